import { anyAsnSchema, asnProblem } from "@ztix/core";
import { z } from "zod";
import { PeeringDbError } from "./errors.ts";
import {
  type PeeringDbNetwork,
  rawNetListSchema,
  rawNetSchema,
  rawOrgListSchema,
  toNetwork,
} from "./schema.ts";

export const DEFAULT_PEERINGDB_URL = "https://www.peeringdb.com";
const DEFAULT_TIMEOUT_MS = 10_000;
/** One `net` object is ~2 KB; this leaves room for long text and still bounds memory. */
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;
/** A Retry-After beyond a day is not a plan, it is a bug (or hostile): cap what we report. */
const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;
const MAX_API_KEY_LENGTH = 256;
const NEVER_VIA_MAX_RESPONSE_BYTES = 1024 * 1024;
const neverViaListSchema = z.object({
  data: z.array(z.object({ asn: anyAsnSchema })).max(50_000),
});

export type ApiKeySource = string | (() => Promise<string>);

export interface PeeringDbClientOptions {
  /** Default https://www.peeringdb.com. Plain http only to this machine (the stand-in). */
  baseUrl?: string;
  /** The key itself, or a function that asks the secrets adapter (called on every lookup, so a rotated key is picked up). */
  apiKey?: ApiKeySource;
  /** For the whole exchange, body included. Default 10 s. */
  timeoutMs?: number;
  /** Answers larger than this are refused. Default 256 KiB. */
  maxResponseBytes?: number;
  /**
   * Also read `/api/org/{org_id}` for `orgName`. Off by default: it doubles the requests
   * counted against PeeringDB's rate limit for a field only shown to humans, while the `net`
   * record already holds everything the route servers need. When on, it is best-effort.
   */
  includeOrgName?: boolean;
  /** Clock for `fetchedAt` and HTTP-date Retry-After values (tests). */
  now?: () => Date;
}

export interface PeeringDbClient {
  /**
   * The network with this ASN, or null when PeeringDB has none (an empty answer or 404).
   * Throws PeeringDbError (with `transient`) for every failure; never retries by itself:
   * the caller schedules the next try (see refresh.ts).
   */
  getNetwork(asn: number): Promise<PeeringDbNetwork | null>;
  /**
   * Every ASN whose PeeringDB record says `info_never_via_route_servers` (one request, ASNs
   * only), ascending: route servers reject paths through them, as arouteserver does.
   */
  listNeverViaRouteServers(): Promise<number[]>;
}

// Any real ASN may be looked up: which ASNs may join is the exchange's policy, decided elsewhere.
const LOOKUP_POLICY = { allowPrivate: true, allowDocumentation: true };

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function parseBaseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PeeringDbError("peeringdb_config_invalid", "PeeringDB base URL is not a URL", false, {
      baseUrl: value,
    });
  }
  // The API key travels in a header: never in clear text across a network.
  const ok = url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  if (!ok || url.username || url.password || url.search || url.hash) {
    throw new PeeringDbError(
      "peeringdb_config_invalid",
      "PeeringDB base URL must be https (plain http only to this machine), without credentials, query or fragment",
      false,
      { baseUrl: url.origin },
    );
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/**
 * Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Anything else, or
 * a negative value, is ignored: the caller then backs off on its own schedule.
 */
export function parseRetryAfter(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  let seconds: number;
  if (/^\d{1,10}$/.test(text)) seconds = Number(text);
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
    seconds = Math.max(0, Math.ceil((at - now.getTime()) / 1000));
  }
  return Math.min(seconds, MAX_RETRY_AFTER_SECONDS);
}

async function resolveKey(source: ApiKeySource): Promise<string> {
  let key: string;
  try {
    key = typeof source === "string" ? source : await source();
  } catch (e) {
    if (e instanceof PeeringDbError) throw e;
    // A secrets store that cannot answer now usually can later, so transient unless the adapter
    // says otherwise; a secret that is missing for good still only costs a try per backoff step.
    const flag = e !== null && typeof e === "object" ? (e as { transient?: unknown }).transient : undefined;
    const transient = typeof flag === "boolean" ? flag : true;
    throw new PeeringDbError(
      "peeringdb_api_key_unavailable",
      "could not read the PeeringDB API key from the secrets adapter",
      transient,
      { cause: e instanceof Error ? e.message : String(e) },
    );
  }
  // A header value with CR/LF or controls could inject headers; an empty one is a config slip.
  if (typeof key !== "string" || !key || key.length > MAX_API_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new PeeringDbError(
      "peeringdb_unauthorized",
      "the PeeringDB API key is empty or not a printable token",
      false,
    );
  }
  return key;
}

function describe(path: string): string {
  return `GET ${path}`;
}

/** The failure behind a rejected fetch or body read, classified. */
function transportError(e: unknown, path: string, timeoutMs: number): PeeringDbError {
  if (e instanceof PeeringDbError) return e;
  const name = (e as { name?: string }).name;
  if (name === "TimeoutError" || name === "AbortError") {
    return new PeeringDbError("peeringdb_timeout", `${describe(path)}: no answer in ${timeoutMs} ms`, true, {
      timeoutMs,
    });
  }
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return new PeeringDbError(
    "peeringdb_unreachable",
    `${describe(path)}: ${cause?.message ?? String(e)}`,
    true,
    {
      ...(cause?.code ? { errno: cause.code } : {}),
    },
  );
}

/** Reads at most `max` bytes; more is refused without buffering it. */
async function readBounded(res: Response, max: number, path: string): Promise<Buffer> {
  const tooLarge = () =>
    new PeeringDbError(
      "peeringdb_bad_response",
      `${describe(path)}: answer larger than ${max} bytes`,
      false,
      {
        reason: "too_large",
        maxBytes: max,
      },
    );
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function badResponse(path: string, reason: string, details: Record<string, unknown> = {}): PeeringDbError {
  return new PeeringDbError("peeringdb_bad_response", `${describe(path)}: ${reason}`, false, {
    reason,
    ...details,
  });
}

export function createPeeringDbClient(options: PeeringDbClientOptions): PeeringDbClient {
  const base = parseBaseUrl(options.baseUrl ?? DEFAULT_PEERINGDB_URL);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const now = options.now ?? (() => new Date());

  /** One GET; the parsed JSON body, or null for a 404. */
  async function getJson(path: string, limitBytes = maxBytes): Promise<unknown> {
    // No key: PeeringDB serves public data anonymously, with a lower rate limit.
    const key = options.apiKey === undefined ? undefined : await resolveKey(options.apiKey);
    const url = new URL(path, base);
    // One signal for connect, headers and body: a server that sends headers and then stalls
    // is caught too.
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { ...(key ? { authorization: `Api-Key ${key}` } : {}), accept: "application/json" },
        // A redirect would carry the key to wherever it points; PeeringDB's API does not redirect.
        redirect: "manual",
        signal,
      });
    } catch (e) {
      throw transportError(e, path, timeoutMs);
    }
    const status = res.status;
    if (status !== 200) {
      // Nothing in an error body changes what we do; free the connection at once.
      await res.body?.cancel().catch(() => {});
      if (status === 404) return null;
      if (status === 401 || status === 403) {
        throw new PeeringDbError(
          "peeringdb_unauthorized",
          `${describe(path)}: PeeringDB refused the API key (HTTP ${status})`,
          false,
          { status },
        );
      }
      if (status === 429) {
        const retryAfter = parseRetryAfter(res.headers.get("retry-after"), now());
        throw new PeeringDbError(
          "peeringdb_rate_limited",
          `${describe(path)}: rate limited by PeeringDB` +
            (retryAfter !== undefined ? `, retry after ${retryAfter} s` : ""),
          true,
          { status, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) },
          retryAfter,
        );
      }
      if (status >= 500 || status === 408) {
        throw new PeeringDbError("peeringdb_unavailable", `${describe(path)}: HTTP ${status}`, true, {
          status,
        });
      }
      throw badResponse(path, `unexpected HTTP ${status}`, { status });
    }
    let bytes: Buffer;
    try {
      bytes = await readBounded(res, limitBytes, path);
    } catch (e) {
      throw transportError(e, path, timeoutMs);
    }
    try {
      // fatal: a body that is not UTF-8 is not PeeringDB's JSON, whatever JSON.parse makes of it.
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      throw badResponse(path, "answer is not UTF-8 JSON");
    }
  }

  async function orgName(orgId: number): Promise<string | undefined> {
    try {
      const body = await getJson(`api/org/${orgId}`);
      const parsed = rawOrgListSchema.safeParse(body);
      return parsed.success ? parsed.data.data[0]?.name : undefined;
    } catch {
      // Best-effort by design: a display-only name must not cost the record route servers need.
      return undefined;
    }
  }

  return {
    async getNetwork(asn) {
      const problem = asnProblem(asn, LOOKUP_POLICY);
      if (problem) {
        throw new PeeringDbError("peeringdb_invalid_asn", `not an ASN: ${problem}`, false, { asn });
      }
      const path = `api/net?asn=${asn}`;
      const body = await getJson(path);
      if (body === null) return null;
      const list = rawNetListSchema.safeParse(body);
      if (!list.success) throw badResponse(path, "answer has no data list");
      const matching = [];
      for (const item of list.data.data) {
        const net = rawNetSchema.safeParse(item);
        if (!net.success) {
          throw badResponse(path, "a net object does not match the expected shape", {
            issues: net.error.issues.slice(0, 5).map((i) => ({ path: i.path.join("."), message: i.message })),
          });
        }
        // Another ASN means the filter was not applied: nothing in this answer can be trusted.
        if (net.data.asn !== asn)
          throw badResponse(path, `answer holds AS${net.data.asn}, asked for AS${asn}`);
        matching.push(net.data);
      }
      // An ASN belongs to at most one net; PeeringDB enforces that, so two is a broken answer.
      if (matching.length > 1) throw badResponse(path, `${matching.length} networks claim AS${asn}`);
      const raw = matching[0];
      // A record that is not live (pending, deleted) is, for the route servers, not there.
      if (!raw || (raw.status && raw.status !== "ok")) return null;
      const fetchedAt = now();
      const name = options.includeOrgName && raw.org_id ? await orgName(raw.org_id) : undefined;
      return toNetwork(raw, fetchedAt, name);
    },

    async listNeverViaRouteServers() {
      const path = "api/net?info_never_via_route_servers=1&fields=asn";
      // A few hundred networks set the flag; at ~15 bytes each a MiB is far more than enough.
      const body = await getJson(path, NEVER_VIA_MAX_RESPONSE_BYTES);
      if (body === null) throw badResponse(path, "PeeringDB has no net list");
      const list = neverViaListSchema.safeParse(body);
      if (!list.success) throw badResponse(path, "answer is not a list of ASNs");
      return [...new Set(list.data.data.map((n) => n.asn))].sort((a, b) => a - b);
    },
  };
}
