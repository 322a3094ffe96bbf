import { randomBytes } from "node:crypto";
import type { RouteServerConfig } from "@ztix/core";
import { shellQuote as q } from "@ztix/ssh";
import { birdcCommand } from "../box/birdc.ts";
import { checkProtocolName, LookingGlassError, type LookupTarget, parseLookupTarget } from "./inputs.ts";
import { type Reply, ReplyCode, type ReplyProblem, replyProblem, splitReply } from "./reply.ts";
import { type BirdRoute, parseRoutes } from "./routes.ts";
import { type BirdStatus, type ProtocolStatus, parseProtocolsAll, parseShowStatus } from "./status.ts";

/** What the collector needs of a connection: `SshConnection` has it, and so can a local shell. */
export interface LookingGlassShell {
  exec(
    command: string,
    options: { timeoutMs: number; maxOutputBytes: number },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export type LookingGlassRouteServer = Pick<RouteServerConfig, "asn" | "commands" | "paths">;

export interface LookingGlassLimits {
  /** The longest one remote command may take; it is abandoned (`looking_glass_timeout`) after. */
  timeLimitMs: number;
  /** Routes per answer; more are left out and the answer says `truncated`. */
  maxRoutes: number;
  /** Bytes of BIRD output read per route listing; the rest is never sent. */
  maxOutputBytes: number;
  /** Protocols per remote command when reading sessions; more take further commands. */
  protocolsPerCommand: number;
}

export const defaultLookingGlassLimits: LookingGlassLimits = {
  timeLimitMs: 10_000,
  maxRoutes: 1_000,
  maxOutputBytes: 1024 * 1024,
  protocolsPerCommand: 50,
};

/** Protocols per `sessions()` call: a looking glass shows one member's, or a page of them. */
const MAX_SESSIONS_PER_CALL = 500;
/** Output read per `show protocols all <name>`: a BGP session's is about 2 KiB. */
const BYTES_PER_PROTOCOL = 16 * 1024;
/** `show status` and the markers. */
const BYTES_OVERHEAD = 4 * 1024;

export interface SessionReport {
  protocol: string;
  status?: ProtocolStatus;
  /** Why there is no status: not configured, BIRD's error, or cut by the size cap. */
  problem?: ReplyProblem | { kind: "truncated"; message: string };
}

export interface SessionsReport {
  /** When the answer arrived, on our clock (ISO 8601). */
  observedAt: string;
  status: BirdStatus;
  /** In the order asked, one per distinct protocol. */
  sessions: SessionReport[];
}

export interface ListingProblem {
  command: string;
  problem: ReplyProblem;
}

export interface RoutesReport {
  observedAt: string;
  status: BirdStatus;
  routes: BirdRoute[];
  /** Some routes were left out; `truncatedBy` says which cap. */
  truncated: boolean;
  truncatedBy?: "routes" | "bytes";
  /** Listings BIRD did not answer with routes (an unknown protocol, a channel down, an error). */
  problems: ListingProblem[];
}

export interface LookupReport extends RoutesReport {
  target: LookupTarget;
}

interface Section {
  reply: Reply;
  /** False for the section the byte cap cut into. */
  complete: boolean;
}

interface Batch {
  observedAtMs: number;
  /** One per command, undefined for a command whose output the byte cap left out entirely. */
  sections: Array<Section | undefined>;
  truncated: boolean;
}

/**
 * Reads a route server's live state for a looking glass: its sessions with members, the
 * routes it took (and refused) from a member, the routes it sends a member, and what it
 * holds for a prefix. Each read is one remote command: a `sh -c` script that runs the
 * needed `birdc -v` commands in turn, each output introduced by a marker carrying a random
 * nonce (so nothing BIRD prints, which includes text from members, can fake a boundary), the
 * whole piped through `head -c` so the box never sends more than the cap. `show status` comes
 * first in every script: its clock dates the other timestamps.
 */
export class LookingGlass {
  readonly limits: LookingGlassLimits;

  constructor(
    private readonly shell: LookingGlassShell,
    private readonly rs: LookingGlassRouteServer,
    limits: Partial<LookingGlassLimits> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.limits = { ...defaultLookingGlassLimits, ...limits };
    const { timeLimitMs, maxRoutes, maxOutputBytes, protocolsPerCommand } = this.limits;
    for (const [name, v] of Object.entries({ timeLimitMs, maxRoutes, maxOutputBytes, protocolsPerCommand })) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`looking glass limit ${name} must be a positive integer`);
    }
  }

  /** `show protocols all <p>` for each protocol (batched), with the box's status. */
  async sessions(protocols: readonly string[]): Promise<SessionsReport> {
    const names = [...new Set(protocols.map(checkProtocolName))];
    if (names.length > MAX_SESSIONS_PER_CALL) {
      throw new LookingGlassError(
        "looking_glass_invalid_input",
        `at most ${MAX_SESSIONS_PER_CALL} protocols per call`,
        { count: names.length },
        400,
      );
    }
    const sessions: SessionReport[] = [];
    let status: BirdStatus = {};
    let observedAtMs = this.clock();
    for (let i = 0; i === 0 || i < names.length; i += this.limits.protocolsPerCommand) {
      const chunk = names.slice(i, i + this.limits.protocolsPerCommand);
      const batch = await this.run(
        chunk.map((p) => `show protocols all ${p}`),
        BYTES_OVERHEAD + BYTES_PER_PROTOCOL * chunk.length,
      );
      const chunkStatus = this.status(batch);
      if (i === 0) {
        status = chunkStatus;
        observedAtMs = batch.observedAtMs;
      }
      for (const [j, protocol] of chunk.entries())
        sessions.push(sessionOf(protocol, batch.sections[j + 1], chunkStatus));
    }
    return { observedAt: new Date(observedAtMs).toISOString(), status, sessions };
  }

  /**
   * What the route server received from a member's sessions: the routes its import filter
   * refused (with their reasons) first, since those explain a member's problem and must
   * survive the cap, then the routes it accepted.
   */
  async receivedRoutes(protocols: readonly string[]): Promise<RoutesReport> {
    const names = this.fewProtocols(protocols);
    return this.listing([
      ...names.map((p) => ({ command: `show route protocol ${p} filtered all`, filtered: true })),
      ...names.map((p) => ({ command: `show route protocol ${p} all`, filtered: false })),
    ]);
  }

  /** What the route server sends a member (`show route export`: its export filter run now). */
  async exportedRoutes(protocols: readonly string[]): Promise<RoutesReport> {
    const names = this.fewProtocols(protocols);
    return this.listing(names.map((p) => ({ command: `show route export ${p} all`, filtered: false })));
  }

  /**
   * Every route the route server holds for a prefix (`exact`, the default for a prefix) or the
   * longest match of an address or prefix (`longest`, the default for an address), in all
   * tables of its family, accepted and filtered. `filteredFrom` limits the filtered routes to
   * those sessions (a member sees why its own routes were refused, not others'); protocols
   * of the other family are skipped.
   */
  async lookup(
    input: string,
    options: { match?: "exact" | "longest"; filteredFrom?: readonly string[] } = {},
  ): Promise<LookupReport> {
    const target = parseLookupTarget(input);
    const what = target.kind === "prefix" ? target.prefix : target.address;
    const match = options.match ?? (target.kind === "prefix" ? "exact" : "longest");
    if (match === "exact" && target.kind === "address") {
      throw new LookingGlassError("looking_glass_invalid_input", "an exact lookup needs a prefix", {}, 400);
    }
    // BIRD 2.0.12's `for` picks the longest prefix holding an accepted route, so `for … filtered`
    // misses a more specific prefix that holds only filtered ones (it answers "Network not
    // found"); an exact lookup has no such gap.
    const net = match === "exact" ? what : `for ${what}`;
    const commands = [{ command: `show route ${net} table all all`, filtered: false }];
    if (options.filteredFrom === undefined) {
      commands.push({ command: `show route ${net} table all filtered all`, filtered: true });
    } else {
      const suffix = target.family === 4 ? "_v4" : "_v6";
      for (const p of this.fewProtocols(options.filteredFrom, true).filter((n) => n.endsWith(suffix)))
        commands.push({ command: `show route ${net} protocol ${p} filtered all`, filtered: true });
    }
    return { target, ...(await this.listing(commands)) };
  }

  /**
   * A prefix lookup confined to one member: the routes its own sessions sent for the prefix
   * (refused, with their reasons, and accepted) and what the route server exports to it for
   * the prefix (its export filter run now). Unlike `lookup`, which lists every session's
   * routes in the tables, this never reads another member's received routes beyond what
   * they become on the way out to this one: the form a member's own lookup must take.
   */
  async memberLookup(input: string, protocols: readonly string[]): Promise<LookupReport> {
    const target = parseLookupTarget(input);
    const net = target.kind === "prefix" ? target.prefix : `for ${target.address}`;
    const suffix = target.family === 4 ? "_v4" : "_v6";
    const own = this.fewProtocols(protocols, true).filter((p) => p.endsWith(suffix));
    if (own.length === 0) {
      const observedAt = new Date(this.clock()).toISOString();
      return { target, observedAt, status: {}, routes: [], truncated: false, problems: [] };
    }
    const commands = own.flatMap((p) => [
      { command: `show route ${net} protocol ${p} filtered all`, filtered: true },
      { command: `show route ${net} protocol ${p} all`, filtered: false },
      { command: `show route ${net} export ${p} all`, filtered: false },
    ]);
    return { target, ...(await this.listing(commands)) };
  }

  private fewProtocols(protocols: readonly string[], allowNone = false): string[] {
    const names = [...new Set(protocols.map(checkProtocolName))];
    // A member has one session per family: more would be someone else's too.
    if ((!allowNone && names.length === 0) || names.length > 4) {
      throw new LookingGlassError(
        "looking_glass_invalid_input",
        "between one and four protocols (one member's sessions)",
        { count: names.length },
        400,
      );
    }
    return names;
  }

  private status(batch: Batch): BirdStatus {
    const section = batch.sections[0];
    const status = section ? parseShowStatus(section.reply, batch.observedAtMs) : {};
    const problem = section ? replyProblem(section.reply) : undefined;
    if (!section || problem?.kind === "unreachable") {
      throw new LookingGlassError(
        "looking_glass_unavailable",
        `BIRD did not answer: ${problem?.message ?? "no output"}`,
        {},
        503,
      );
    }
    return status;
  }

  private async listing(commands: Array<{ command: string; filtered: boolean }>): Promise<RoutesReport> {
    const batch = await this.run(
      commands.map((c) => c.command),
      this.limits.maxOutputBytes,
    );
    const status = this.status(batch);
    const routes: BirdRoute[] = [];
    const problems: ListingProblem[] = [];
    let truncatedBy: RoutesReport["truncatedBy"];
    for (const [i, { command, filtered }] of commands.entries()) {
      const section = batch.sections[i + 1];
      if (!section) {
        truncatedBy ??= "bytes";
        continue;
      }
      const problem = replyProblem(section.reply);
      // "Network not found" is an answer: there is nothing there.
      if (problem && problem.kind !== "not_found") problems.push({ command, problem });
      if (problem) continue;
      const remaining = this.limits.maxRoutes - routes.length;
      if (remaining <= 0) {
        // Only a listing with something in it was left out.
        if (section.reply.lines.some((l) => l.code === ReplyCode.route)) truncatedBy ??= "routes";
        continue;
      }
      const parsed = parseRoutes(section.reply, {
        filtered,
        clock: status.clock,
        rsAsn: this.rs.asn,
        maxRoutes: remaining,
        incomplete: !section.complete || section.reply.cut,
      });
      routes.push(...parsed.routes);
      if (parsed.truncated) truncatedBy ??= section.complete && !section.reply.cut ? "routes" : "bytes";
    }
    return {
      observedAt: new Date(batch.observedAtMs).toISOString(),
      status,
      routes,
      truncated: truncatedBy !== undefined,
      ...(truncatedBy ? { truncatedBy } : {}),
      problems,
    };
  }

  /** Runs `show status` and the commands in one remote command; at most `capBytes` come back. */
  private async run(commands: readonly string[], capBytes: number): Promise<Batch> {
    const marker = `ztix-lg-${randomBytes(12).toString("hex")}`;
    const steps = ["show status", ...commands].flatMap((command, i) => [
      `echo; echo ${marker} ${i}`,
      // Every word of `command` was written by this module from validated parts.
      `${birdcCommand(this.rs, q(command))} </dev/null`,
    ]);
    // `head` stops reading at the cap, and birdc dies writing to the closed pipe, so a huge
    // table is never walked to its end. One byte more than the cap tells a cut from a fit.
    const script = `{ ${steps.join("; ")}; } 2>&1 | head -c ${capBytes + 1}`;
    const { timeLimitMs } = this.limits;
    const timeout = () =>
      new LookingGlassError(
        "looking_glass_timeout",
        `the route server did not answer within ${timeLimitMs} ms`,
        { timeLimitMs },
        504,
      );
    let timer: NodeJS.Timeout | undefined;
    let result: { code: number | null; stdout: string; stderr: string };
    try {
      const exec = this.shell.exec(`sh -c ${q(script)}`, {
        timeoutMs: timeLimitMs,
        maxOutputBytes: capBytes + 1 + 64 * 1024,
      });
      // A late failure of an exec we stopped waiting for is not anyone's to handle.
      exec.catch(() => undefined);
      // Our own deadline as well, a little later than the shell's: the answer's time limit
      // holds even for a shell that ignores `timeoutMs`.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), timeLimitMs + 1_000);
      });
      result = await Promise.race([exec, deadline]);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === "ssh_exec_timeout") throw timeout();
      if (code === "ssh_output_too_large") {
        throw new LookingGlassError(
          "looking_glass_output_too_large",
          "the route server sent more than was asked for",
          {},
          502,
        );
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const observedAtMs = this.clock();
    const split = splitSections(result.stdout, marker, commands.length + 1, capBytes);
    if (split.sections.every((s) => s === undefined)) {
      throw new LookingGlassError(
        "looking_glass_unavailable",
        `the looking-glass command failed: ${(result.stderr || result.stdout).trim().slice(0, 300) || `exit ${result.code}`}`,
        { exitCode: result.code },
        503,
      );
    }
    return { observedAtMs, ...split };
  }
}

/** Cuts the script's output at its markers; the part beyond `capBytes` (if any) is dropped. */
export function splitSections(
  stdout: string,
  marker: string,
  count: number,
  capBytes: number,
): { sections: Array<Section | undefined>; truncated: boolean } {
  const bytes = Buffer.from(stdout, "utf8");
  const truncated = bytes.length > capBytes;
  const lines = (truncated ? bytes.subarray(0, capBytes).toString("utf8") : stdout).split("\n");
  // A cut output's last line is partial; a whole one ends in "\n", leaving an empty last item.
  if (truncated || lines.at(-1) === "") lines.pop();
  const raw: Array<string[] | undefined> = Array.from({ length: count }, () => undefined);
  let current: string[] | undefined;
  let next = 0;
  for (const line of lines) {
    if (next < count && line === `${marker} ${next}`) {
      current = [];
      raw[next++] = current;
      continue;
    }
    current?.push(line);
  }
  const last = next - 1;
  return {
    sections: raw.map((r, i) => (r ? { reply: splitReply(r), complete: !truncated || i < last } : undefined)),
    truncated,
  };
}

function sessionOf(protocol: string, section: Section | undefined, status: BirdStatus): SessionReport {
  if (!section) return { protocol, problem: { kind: "truncated", message: "left out by the size cap" } };
  const problem = replyProblem(section.reply);
  if (problem) return { protocol, problem };
  if (!section.complete) return { protocol, problem: { kind: "truncated", message: "cut by the size cap" } };
  const [parsed] = parseProtocolsAll(section.reply, status.clock, 1);
  // BIRD answers about the protocol it was asked about; anything else is not shown as it.
  if (!parsed || parsed.name !== protocol) {
    return { protocol, problem: { kind: "error", code: 0, message: "BIRD's reply named no such protocol" } };
  }
  return { protocol, status: parsed };
}
