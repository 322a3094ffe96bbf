import { spawn } from "node:child_process";
import { z } from "zod";
import { DEFAULT_MAX_LENGTH } from "./bird.ts";
import { IrrError } from "./errors.ts";
import { type IrrTarget, isPrivateAsn, isValidIrrHost, normalizeSources, parseIrrTarget } from "./names.ts";
import { type Family, type ParsedPrefix, parsePrefix, sortUnique } from "./prefixes.ts";

/**
 * How bgpq4 is run for one member. Aggregation: no `-A` and no `-R`, but `-m <policy max length>`:
 * - `-A` merges registered routes into covering ranges (two /25s become `/24{24,25}`, two /48s a
 *   `/47{48,48}` that is no route object at all), so the answer stops being a list of routes;
 * - `-R len` turns each route into a `le len` range and drops the more-specifics it covers, so
 *   the range, which is policy, would be baked into the IRR data. We add the range when
 *   rendering (`birdPrefixSet`), from the policy in force then;
 * - `-m len` drops route objects longer than the policy accepts anyway (IPv4 /24, IPv6 /48 by
 *   default), which the route server would reject on length alone: smaller answer, same filter.
 */
export const bgpq4OptionsSchema = z.object({
  /** The IRRd server: a host name or IPv4 address (bgpq4's `-h host:port` cannot take IPv6 literals). */
  host: z.string().refine(isValidIrrHost, "a host name or IPv4 address"),
  port: z.number().int().min(1).max(65_535).default(43),
  /**
   * IRR sources for `-S`, in priority order (e.g. RIPE, ARIN, RADB). Empty: whatever the server
   * serves by default, which on public mirrors includes unvalidated databases; configure them.
   */
  sources: z.array(z.string()).max(32).default([]),
  /** Hard limit for the whole expansion (both families); bgpq4 is killed when it passes. */
  timeoutMs: z.number().int().min(1).max(3_600_000).default(120_000),
  /** Limit on bgpq4's stdout, both families together; bgpq4 is killed when it passes. */
  maxBytes: z
    .number()
    .int()
    .min(1)
    .default(32 * 1024 * 1024),
  /** Limit on prefixes per family after de-duplication. */
  maxPrefixes: z.number().int().min(1).default(200_000),
  /** Longest prefix kept per family (`-m`): the policy's maximum accepted length. */
  maxLength: z
    .object({
      ipv4: z.number().int().min(0).max(32).default(DEFAULT_MAX_LENGTH.ipv4),
      ipv6: z.number().int().min(0).max(128).default(DEFAULT_MAX_LENGTH.ipv6),
    })
    .default({ ...DEFAULT_MAX_LENGTH }),
  /**
   * Keep private, documentation and reserved origin ASNs (`-p`). Off in production: bgpq4 then
   * drops e.g. AS64500 or AS4200000000 from origin lists, and their routes where it sees the
   * origins (servers without `!a`; with `!a` the server expands the set and they stay). Labs
   * using documentation ASNs need it on.
   */
  allowPrivateAsns: z.boolean().default(false),
  /** The executable; found on PATH by default. */
  bgpq4Path: z.string().min(1).default("bgpq4"),
});

export type Bgpq4Options = z.input<typeof bgpq4OptionsSchema> & {
  /** Aborting kills bgpq4 and rejects with `irr_aborted`. */
  signal?: AbortSignal;
};

export interface IrrPrefixes {
  /** The expanded object in canonical form: `AS-EXAMPLE`, `RIPE::AS-FOO`, `AS64500`. */
  asSet: string;
  /** The sources passed with `-S` (canonical); empty when the server's default was used. */
  sources: string[];
  /** Canonical, de-duplicated, sorted by address then length. */
  ipv4: string[];
  ipv6: string[];
  /** Wall time of the expansion, both families (run in parallel). */
  durationMs: number;
  /** bgpq4's stdout, both families. */
  bytes: number;
}

export interface IrrOriginAsns {
  asSet: string;
  sources: string[];
  /** Every ASN the set expands to, ascending. */
  asns: number[];
  durationMs: number;
  bytes: number;
}

/** The `-l` name bgpq4 puts at the top of its JSON. */
const LIST = "irr";
const prefixOutputSchema = z.object({
  // `exact: true` is all bgpq4 emits without -A/-R; anything else means it did not do what we asked.
  [LIST]: z.array(z.object({ prefix: z.string(), exact: z.literal(true) })),
});
const asnOutputSchema = z.object({ [LIST]: z.array(z.number().int().min(0).max(4_294_967_295)) });

type ResolvedOptions = z.output<typeof bgpq4OptionsSchema>;

/**
 * Expands an as-set or an ASN into IPv4 and IPv6 prefix lists with bgpq4 (two child processes,
 * one per family, never through a shell), from the route and route6 objects of every origin ASN
 * in the set.
 *
 * Throws IrrError:
 * - before bgpq4 runs: `irr_invalid_name`, `irr_private_asn`, `irr_invalid_options`;
 * - `irr_as_set_not_found` (not transient): the server said the set does not exist. This is an
 *   error, not an empty list, so a typo in a member's as-set never becomes "accept nothing"
 *   without anyone noticing. An ASN with no route objects, or an existing empty set, is an
 *   empty list: that is what the IRR says;
 * - `irr_timeout` (transient), `irr_too_large`, `irr_too_many_prefixes` (not transient);
 * - `irr_unreachable`, `irr_query_failed` (transient); `irr_invalid_source`, `irr_bad_response`,
 *   `irr_bgpq4_missing`, `irr_bgpq4_failed` (not transient); `irr_aborted`.
 */
export async function expandPrefixes(name: string, options: Bgpq4Options): Promise<IrrPrefixes> {
  const { target, opts, sources } = prepare(name, options);
  const started = performance.now();
  const families: Family[] = ["ipv4", "ipv6"];
  const outputs = await runAll(
    families.map((family) => [
      ...commonArgs(opts, sources),
      family === "ipv4" ? "-4" : "-6",
      "-m",
      String(opts.maxLength[family]),
      "--",
      target.name,
    ]),
    target,
    opts,
    options.signal,
  );

  const lists: Record<Family, string[]> = { ipv4: [], ipv6: [] };
  families.forEach((family, i) => {
    const out = outputs[i]!;
    const parsed = parseJson(prefixOutputSchema, out.stdout, target);
    const prefixes: ParsedPrefix[] = [];
    for (const entry of parsed[LIST]) {
      const p = parsePrefix(entry.prefix);
      if (!p || p.family !== family) {
        throw new IrrError(
          "irr_bad_response",
          `bgpq4 returned ${entry.prefix} in its ${family} list`,
          false,
          {
            asSet: target.name,
            prefix: entry.prefix,
          },
        );
      }
      prefixes.push(p);
    }
    const unique = sortUnique(prefixes);
    if (unique.length > opts.maxPrefixes) {
      throw new IrrError(
        "irr_too_many_prefixes",
        `${target.name} expands to ${unique.length} ${family} prefixes, more than the limit of ${opts.maxPrefixes}`,
        false,
        { asSet: target.name, family, count: unique.length, limit: opts.maxPrefixes },
      );
    }
    lists[family] = unique.map((p) => p.text);
  });

  return {
    asSet: target.name,
    sources,
    ipv4: lists.ipv4,
    ipv6: lists.ipv6,
    durationMs: Math.round(performance.now() - started),
    bytes: outputs.reduce((n, o) => n + o.bytes, 0),
  };
}

/**
 * The origin ASNs an as-set expands to (`bgpq4 -t`: one recursive set query, no route lookups,
 * so it is cheap next to `expandPrefixes`). For an ASN it is that ASN. Private and documentation
 * ASNs are left out unless `allowPrivateAsns`, as bgpq4 does. Throws as `expandPrefixes`.
 */
export async function expandOriginAsns(name: string, options: Bgpq4Options): Promise<IrrOriginAsns> {
  const { target, opts, sources } = prepare(name, options);
  const started = performance.now();
  const [out] = await runAll(
    [[...commonArgs(opts, sources), "-t", "--", target.name]],
    target,
    opts,
    options.signal,
  );
  const parsed = parseJson(asnOutputSchema, out!.stdout, target);
  return {
    asSet: target.name,
    sources,
    asns: [...new Set(parsed[LIST])].sort((a, b) => a - b),
    durationMs: Math.round(performance.now() - started),
    bytes: out!.bytes,
  };
}

function prepare(name: string, options: Bgpq4Options) {
  const target = parseIrrTarget(name);
  const { signal: _signal, ...rest } = options;
  const result = bgpq4OptionsSchema.safeParse(rest);
  if (!result.success) {
    throw new IrrError("irr_invalid_options", "bgpq4 options refused", false, {
      issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  const opts = result.data;
  const sources = normalizeSources(opts.sources);
  // bgpq4 drops a private top-level ASN with only a stderr line and prints an empty list.
  if (target.kind === "asn" && isPrivateAsn(target.asn) && !opts.allowPrivateAsns) {
    throw new IrrError(
      "irr_private_asn",
      `${target.name} is a private, documentation or reserved ASN (set allowPrivateAsns to expand it)`,
      false,
      { asSet: target.name },
    );
  }
  return { target, opts, sources };
}

function commonArgs(opts: ResolvedOptions, sources: string[]): string[] {
  return [
    "-h",
    `${opts.host}:${opts.port}`,
    ...(sources.length > 0 ? ["-S", sources.join(",")] : []),
    "-j",
    "-l",
    LIST,
    ...(opts.allowPrivateAsns ? ["-p"] : []),
    // Debug lines are how bgpq4 tells "set not found" from "set empty" (see notFoundPattern).
    "-d",
  ];
}

function parseJson<T extends z.ZodType>(schema: T, stdout: string, target: IrrTarget): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new IrrError("irr_bad_response", "bgpq4 printed something that is not JSON", false, {
      asSet: target.name,
      stdout: stdout.slice(0, 500),
    });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new IrrError("irr_bad_response", "bgpq4's JSON is not the list we asked for", false, {
      asSet: target.name,
      issues: result.error.issues.slice(0, 5).map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  return result.data;
}

interface RunOutput {
  stdout: string;
  bytes: number;
}

/**
 * Runs bgpq4 once per argument list, in parallel, under one deadline and one byte budget. The
 * first failure kills the others; the promise settles only once every child has exited.
 */
async function runAll(
  argLists: string[][],
  target: IrrTarget,
  opts: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<RunOutput[]> {
  if (signal?.aborted) throw aborted(target);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  const budget = { bytes: 0, max: opts.maxBytes };
  const deadline = Date.now() + opts.timeoutMs;
  let first: unknown;
  try {
    const settled = await Promise.allSettled(
      argLists.map((args) =>
        runOne(opts.bgpq4Path, args, { target, opts, budget, deadline, stop: stop.signal }).catch(
          (e: unknown) => {
            first ??= e;
            stop.abort();
            throw e;
          },
        ),
      ),
    );
    if (first !== undefined) throw first;
    return settled.map((s) => (s as PromiseFulfilledResult<RunOutput>).value);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

function aborted(target: IrrTarget): IrrError {
  return new IrrError("irr_aborted", "IRR expansion aborted", false, { asSet: target.name });
}

interface RunContext {
  target: IrrTarget;
  opts: ResolvedOptions;
  budget: { bytes: number; max: number };
  deadline: number;
  stop: AbortSignal;
}

const STDERR_TAIL = 4096;
const MAX_ERROR_LINES = 20;

function runOne(path: string, args: string[], ctx: RunContext): Promise<RunOutput> {
  const { target, opts, budget } = ctx;
  const notFound = notFoundPattern(target);
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderrTail = "";
    let partial = "";
    const errors: string[] = [];
    let setMissing = false;
    // Set when we kill the child; reported once it has exited, so no bgpq4 outlives the call.
    let failure: IrrError | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;

    const kill = (e: IrrError) => {
      failure ??= e;
      child.kill("SIGKILL");
    };
    const onStop = () => kill(aborted(target));
    ctx.stop.addEventListener("abort", onStop, { once: true });
    const timer = setTimeout(
      () =>
        kill(
          new IrrError(
            "irr_timeout",
            `bgpq4 did not finish ${target.name} within ${opts.timeoutMs} ms`,
            true,
            {
              asSet: target.name,
              host: opts.host,
              port: opts.port,
              timeoutMs: opts.timeoutMs,
            },
          ),
        ),
      Math.max(0, ctx.deadline - Date.now()),
    );

    child.stdout.on("data", (chunk: Buffer) => {
      if (failure) return;
      bytes += chunk.length;
      budget.bytes += chunk.length;
      if (budget.bytes > budget.max) {
        kill(
          new IrrError(
            "irr_too_large",
            `bgpq4's answer for ${target.name} passed ${budget.max} bytes`,
            false,
            {
              asSet: target.name,
              limit: budget.max,
            },
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    // Stderr is scanned line by line and only a tail kept: with -d it grows with the query count.
    let lastWasError = false;
    const scan = (line: string) => {
      if (notFound?.test(line)) setMissing = true;
      // bgpq4 puts the server's answer on the line after the error (`: F <message>`).
      if (lastWasError && line.startsWith(": ")) {
        errors[errors.length - 1] += ` ${line}`;
        return;
      }
      lastWasError =
        /^(FATAL )?ERROR:/.test(line) && !BENIGN_ERROR.test(line) && errors.length < MAX_ERROR_LINES;
      if (lastWasError) errors.push(line);
    };
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) scan(line);
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      ctx.stop.removeEventListener("abort", onStop);
      if (partial) scan(partial);
      if (failure) return reject(failure);
      if (spawnError) {
        return reject(
          new IrrError("irr_bgpq4_missing", `cannot run ${path}: ${spawnError.message}`, false, {
            path,
            errno: spawnError.code,
          }),
        );
      }
      const details = { asSet: target.name, host: opts.host, port: opts.port, exitCode: code, signal: sig };
      // bgpq4 reports a server's `F` answer and unparsable data on stderr yet exits 0 with an
      // empty list, so stderr decides before the exit code does.
      const classified = classify(errors, { ...details, stderr: stderrTail });
      if (classified) return reject(classified);
      if (code !== 0) {
        return reject(
          new IrrError("irr_bgpq4_failed", `bgpq4 exited with ${code ?? sig}`, false, {
            ...details,
            stderr: stderrTail,
          }),
        );
      }
      if (setMissing) {
        return reject(
          new IrrError("irr_as_set_not_found", `the IRR has no as-set ${target.name}`, false, {
            asSet: target.name,
            host: opts.host,
            port: opts.port,
          }),
        );
      }
      resolve({ stdout: Buffer.concat(chunks).toString("utf8"), bytes });
    });
  });
}

/**
 * bgpq4 1.9 prints `Key not found expanding !a4AS-FOO` (IRRd 4 `!a` queries), `!iAS-FOO,1`
 * (older servers) or `!iAS-FOO` (source-prefixed names, which bgpq4 expands itself) under `-d`
 * when the server answers `D` for the top-level set. Only the top-level name counts: a dangling
 * nested member is the IRR's everyday untidiness, not the member's set missing. A test pins this
 * text, so a bgpq4 that changes it fails loudly instead of turning "not found" into "empty".
 */
function notFoundPattern(target: IrrTarget): RegExp | null {
  if (target.kind !== "as-set") return null;
  const name = target.setName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`Key not found expanding !(?:a[46]?|i)${name}(?:,1)?\\s*$`, "i");
}

/** bgpq4 dropping a private origin ASN from an expansion, as asked (no `-p`). */
const BENIGN_ERROR = /^ERROR:Invalid AS number: \d+$/;

function classify(errors: string[], details: Record<string, unknown>): IrrError | null {
  if (errors.length === 0) return null;
  const all = errors.join("\n");
  const d = { ...details, errors };
  if (
    /All attempts to connect|Unable to resolve|EOF reading IRRd|EOF from IRRd|reset by peer|Broken pipe/i.test(
      all,
    )
  ) {
    return new IrrError("irr_unreachable", `IRR server ${details.host}:${details.port} unreachable`, true, d);
  }
  if (/Invalid source/i.test(all)) {
    return new IrrError("irr_invalid_source", "the IRR server does not serve a requested source", false, d);
  }
  if (/Error expanding /i.test(all)) {
    return new IrrError("irr_query_failed", "the IRR server answered with an error", true, d);
  }
  if (/Unable to parse prefix|Unable to add prefix|Invalid symbol/i.test(all)) {
    return new IrrError("irr_bad_response", "the IRR server sent data bgpq4 could not read", false, d);
  }
  return new IrrError("irr_bgpq4_failed", "bgpq4 reported an error", false, d);
}
