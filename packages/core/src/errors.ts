/** Stable error codes with the HTTP status each maps to. Clients match on the code, never the message. */
export const errorCodes = {
  validation_failed: 400,
  invalid_json: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  session_expired: 401,
  csrf_failed: 403,
  forbidden: 403,
  account_disabled: 403,
  network_not_allowed: 403,
  asn_not_allowed: 403,
  not_found: 404,
  duplicate_active_request: 409,
  node_in_use: 409,
  invalid_transition: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  invalid_state: 400,
  state_expired: 400,
  nonce_mismatch: 400,
  /** The provider refused the sign-in code (invalid_grant): unknown, used, expired or not this sign-in's. */
  invalid_authorization_code: 400,
  /** RFC 9207: the callback's `iss` names another issuer than the one the sign-in started at. */
  issuer_mismatch: 400,
  /** The provider sent the browser back with an error (the user cancelled, or it refused the request). */
  provider_error: 400,
  token_exchange_failed: 502,
  id_token_invalid: 400,
  userinfo_failed: 502,
  unverified_user: 403,
  no_eligible_networks: 403,
  auth_method_disabled: 403,
  provider_unavailable: 503,
  service_unavailable: 503,
  address_pool_exhausted: 409,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes | (string & {});

/** An error the caller can act on: a stable code, a human message, and structured details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, status?: number) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.status = status ?? (errorCodes as Record<string, number>)[code] ?? 500;
    this.details = details;
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
