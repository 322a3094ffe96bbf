import { AppError } from "@ztix/core";

/** Stable codes for IRR failures. Callers match on the code and on `transient`, never the message. */
export type IrrErrorCode =
  /** The name is not an ASN or an as-set name bgpq4 would expand as one; bgpq4 was not run. */
  | "irr_invalid_name"
  /** A private, documentation or reserved ASN, which bgpq4 drops unless `allowPrivateAsns`. */
  | "irr_private_asn"
  /** The options were refused (host, port, sources, limits); bgpq4 was not run. */
  | "irr_invalid_options"
  /** The IRR server answered that the as-set does not exist. */
  | "irr_as_set_not_found"
  /** No complete answer within the time limit; bgpq4 was killed. */
  | "irr_timeout"
  /** bgpq4's output passed the byte limit; bgpq4 was killed. */
  | "irr_too_large"
  /** More prefixes in one family than the configured limit. */
  | "irr_too_many_prefixes"
  /** DNS, TCP connect, or the connection dropped before a full answer. */
  | "irr_unreachable"
  /** The IRR server answered a query with an error (`F ...`). */
  | "irr_query_failed"
  /** The IRR server does not serve one of the requested sources. */
  | "irr_invalid_source"
  /** An answer we will not use: data bgpq4 could not parse, or output that is not what we asked for. */
  | "irr_bad_response"
  /** The bgpq4 executable could not be started. */
  | "irr_bgpq4_missing"
  /** bgpq4 failed in a way not recognised above (see `details.stderr`). */
  | "irr_bgpq4_failed"
  /** The caller's AbortSignal fired; bgpq4 was killed. */
  | "irr_aborted"
  /** A prefix handed to the BIRD renderer is malformed, has host bits set, or mixes families. */
  | "irr_invalid_prefix";

/**
 * An IRR failure. `transient` is decided where the failure is seen: a timeout, an unreachable
 * server or a server-side error may pass by itself; a missing as-set, an oversized answer or a
 * bad name comes back the same on every retry until someone changes the data or the config.
 */
export class IrrError extends AppError {
  override readonly code: IrrErrorCode;
  readonly transient: boolean;

  constructor(
    code: IrrErrorCode,
    message: string,
    transient: boolean,
    details: Record<string, unknown> = {},
  ) {
    // The caller's own mistake is a 400; an outside dependency failing is 503 while it may pass, else 502.
    const callerFault =
      code === "irr_invalid_name" ||
      code === "irr_private_asn" ||
      code === "irr_invalid_options" ||
      code === "irr_invalid_prefix";
    super(code, message, details, callerFault ? 400 : transient ? 503 : 502);
    this.name = "IrrError";
    this.code = code;
    this.transient = transient;
  }
}

export function isIrrError(e: unknown): e is IrrError {
  return e instanceof IrrError;
}
