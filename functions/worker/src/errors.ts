import { AppError, isAppError } from "@ztix/core";
import { isControllerError } from "@ztix/zerotier";

/**
 * Whether a failure may pass by itself. Controller errors say so themselves; other
 * AppErrors are decisions (pool exhausted, invalid config) and do not; anything else —
 * DynamoDB throttling, a socket reset, a crash — is worth another try.
 */
export function isTransient(e: unknown): boolean {
  if (isControllerError(e)) return e.transient;
  if (isAppError(e)) return false;
  return true;
}

/** The code and message stored on a failed request: what an admin reads to act. */
export function describeFailure(e: unknown): { code: string; message: string } {
  if (isControllerError(e)) return { code: e.code, message: `${e.message} (${e.remediation})` };
  if (isAppError(e)) return { code: e.code, message: e.message };
  return { code: "provisioning_error", message: (e as Error)?.message ?? String(e) };
}

export class PermanentJobError extends AppError {}
