import { humanDuration } from "../format.ts";

/** An error answer from /api/v1 (`{error: {code, message, details}}`) or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  /** Seconds from a 429's Retry-After header. */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  /** Field messages of a `validation_failed` answer: `{node_id: ["must be ..."]}`. */
  get fields(): Record<string, string[]> {
    const fields = this.details.fields;
    return fields && typeof fields === "object" ? (fields as Record<string, string[]>) : {};
  }
}

/** What the user should read for each stable code; the API's message is the fallback. */
const messages: Record<string, string> = {
  invalid_credentials: "Wrong username or password.",
  account_disabled: "This account is disabled. Ask an exchange administrator to enable it.",
  too_many_requests: "Too many attempts. Wait a moment and try again.",
  invalid_state: "This sign-in link is not valid any more. Start again from the sign-in page.",
  state_expired: "The sign-in took too long and expired. Start again from the sign-in page.",
  nonce_mismatch: "PeeringDB's answer did not match this sign-in. Start again from the sign-in page.",
  invalid_authorization_code:
    "This sign-in code is not valid any more (expired or already used). Start again from the sign-in page.",
  issuer_mismatch:
    "This sign-in answer did not come from the PeeringDB this exchange uses. Start again from the sign-in page.",
  provider_error: "PeeringDB did not complete the sign-in. Start again from the sign-in page.",
  token_exchange_failed: "PeeringDB did not complete the sign-in. Try again in a moment.",
  id_token_invalid: "PeeringDB's identity token could not be verified. Try again, or contact the exchange.",
  userinfo_failed: "Your PeeringDB profile could not be read. Try again in a moment.",
  unverified_user: "Your PeeringDB account is not verified yet. Verify it on PeeringDB, then sign in again.",
  no_eligible_networks:
    "Your PeeringDB account has no network where you may do more than read. Ask your network's PeeringDB admin for write access.",
  provider_unavailable: "PeeringDB is not reachable right now. Try again later, or use a local account.",
  auth_method_disabled: "This sign-in method is turned off on this exchange.",
  csrf_failed: "Your session's security token was out of date. Reload the page and try again.",
  unauthenticated: "You are signed out. Sign in again.",
  session_expired: "Your session expired. Sign in again.",
  forbidden: "You are not allowed to do that.",
  not_found: "Not found.",
  duplicate_active_request: "A live request for this ASN, network and node already exists.",
  node_in_use:
    "That ZeroTier node is already in use on this network by another member. Check the node id (zerotier-cli info).",
  invalid_transition: "The request changed meanwhile; it cannot take that action now.",
  network_not_allowed: "Your account may not join this network.",
  asn_not_allowed: "This ASN is not linked to your account.",
  service_unavailable: "The exchange is temporarily unavailable. Try again shortly.",
  network_error: "The exchange could not be reached. Check your connection and try again.",
};

/** A sentence for the user explaining `error`. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "too_many_requests" && error.retryAfter) {
      return `Too many attempts. Try again in ${humanDuration(error.retryAfter)}.`;
    }
    if (error.code === "validation_failed") {
      const first = Object.entries(error.fields)[0];
      return first ? `${first[0].replaceAll("_", " ")}: ${first[1][0]}` : error.message;
    }
    return messages[error.code] ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
