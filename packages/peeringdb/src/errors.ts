import { AppError } from "@ztix/core";

/**
 * Stable codes for PeeringDB failures. "Not in PeeringDB" is not among them: an unknown ASN
 * is an answer (`null`), not a failure.
 */
export type PeeringDbErrorCode =
  /** 401/403: the API key is missing, wrong or revoked. Someone must fix the secret. */
  | "peeringdb_unauthorized"
  /** 429: PeeringDB throttled us; `retryAfterSeconds` says when it wants us back, if it said. */
  | "peeringdb_rate_limited"
  /** 5xx or 408: PeeringDB (or a proxy in front of it) is having trouble. */
  | "peeringdb_unavailable"
  /** No complete answer within the configured time. */
  | "peeringdb_timeout"
  /** DNS, TCP or TLS failure before any answer. */
  | "peeringdb_unreachable"
  /** An answer we will not use: malformed, oversized, a redirect, or an unexpected status. */
  | "peeringdb_bad_response"
  /** The secrets adapter could not give us the API key. */
  | "peeringdb_api_key_unavailable"
  /** The caller asked about something that is not an ASN. */
  | "peeringdb_invalid_asn"
  /** The client was built with settings it refuses (e.g. a plain-http base URL off this machine). */
  | "peeringdb_config_invalid";

/**
 * A PeeringDB failure. `transient` is decided where the failure is seen, because only there
 * is it known: a 429, a 5xx, a timeout or a dropped connection may pass by itself; a wrong key
 * or a body we cannot read will come back the same on every retry.
 */
export class PeeringDbError extends AppError {
  override readonly code: PeeringDbErrorCode;
  readonly transient: boolean;
  /** From a 429's Retry-After header (seconds from when the answer came), when it had one. */
  readonly retryAfterSeconds?: number;

  constructor(
    code: PeeringDbErrorCode,
    message: string,
    transient: boolean,
    details: Record<string, unknown> = {},
    retryAfterSeconds?: number,
  ) {
    // An outside dependency failed, not the caller: 503 while it may pass, 502 when it will not.
    // A bad ASN is the caller's own mistake (400).
    super(code, message, details, code === "peeringdb_invalid_asn" ? 400 : transient ? 503 : 502);
    this.name = "PeeringDbError";
    this.code = code;
    this.transient = transient;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isPeeringDbError(e: unknown): e is PeeringDbError {
  return e instanceof PeeringDbError;
}
