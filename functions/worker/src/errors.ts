import { AppError, isAppError, isTransientFailure } from "@ztix/core";
import { isControllerError } from "@ztix/zerotier";

/**
 * Whether a failure may pass by itself: the adapter that raised it decided
 * (`isTransientFailure`). Only the request's own problems — pool exhausted, a node the
 * controller refuses, a member BIRD refuses — are not; those fail the request.
 */
export function isTransient(e: unknown): boolean {
  return isTransientFailure(e);
}

/**
 * The request's own problems — the only failures that fail a request: no address left on
 * its network, a node (or data) the controller refuses, a member BIRD refuses. Everything
 * else is a dependency's problem and makes the request wait.
 */
export const requestProblemCodes = new Set([
  "address_pool_exhausted",
  "controller_rejected",
  "route_server_rejected_member",
  "validation_failed",
  "replaced_membership_gone",
]);

export function isRequestProblem(e: unknown): boolean {
  return isAppError(e) && requestProblemCodes.has(e.code);
}

/** The code and message stored on a failed request: what an admin reads to act. */
export function describeFailure(e: unknown): { code: string; message: string } {
  if (isControllerError(e)) return { code: e.code, message: `${e.message} (${e.remediation})` };
  if (isAppError(e)) return { code: e.code, message: e.message };
  return { code: "provisioning_error", message: (e as Error)?.message ?? String(e) };
}

export class PermanentJobError extends AppError {}
