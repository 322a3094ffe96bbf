import { controllerErrorCodes, isControllerError } from "../errors.ts";
import { heldByRestore, readGate } from "./gate.ts";
import { type LifecycleDeps, runPreflight } from "./preflight.ts";

export type GateDecision =
  /** `reopened`: this check ran the preflight that took the gate from closed to open. */
  | { open: true; controllerAddress: string; reopened: boolean }
  | { open: false; code: string; message: string };

export interface GateCheckOptions {
  /**
   * The controller error the caller just met, e.g. a 401 on a member write. When it is one a
   * preflight confirms or clears (the token, the SSH key or host key, a secret), an open gate is
   * re-checked at once instead of being trusted until `preflight_max_age_seconds`, so a token
   * that stopped working closes the gate for every job now, not minutes later.
   */
  after?: unknown;
}

/**
 * Closed-gate reasons a later preflight may find gone by themselves: the transient ones, and
 * a token or key that was wrong — fixed by putting the right one in the secrets store (or on
 * the controller), not by anyone touching the gate or the requests waiting behind it.
 */
const selfHealing = new Set([
  ...Object.entries(controllerErrorCodes)
    .filter(([, spec]) => spec.transient)
    .map(([code]) => code),
  "controller_unauthorized",
  "controller_secret_missing",
  "controller_ssh_auth_failed",
]);

/** Errors about the credentials or the path, which `/status` in a preflight proves or disproves. */
const recheckAtOnce = new Set([
  "controller_unauthorized",
  "controller_ssh_auth_failed",
  "controller_host_key_mismatch",
  "controller_secret_missing",
]);

/**
 * What a provisioning job asks before touching the controller. An open gate checked
 * recently is trusted (unless `options.after` says the caller just met a credential error);
 * a missing or stale one is re-checked with a preflight; a gate closed for a transient reason
 * (unreachable, not ready) or a wrong token or key is retried at most every
 * `gate_retry_seconds`; one closed for a reason only an operator can clear (a changed host key
 * or identity, config the controller refuses) stays closed until they act, and one a restore
 * holds stays closed until restore-validate passes.
 */
export async function checkGate(deps: LifecycleDeps, options: GateCheckOptions = {}): Promise<GateDecision> {
  const now = (deps.now ?? (() => new Date()))();
  const { preflight_max_age_seconds: maxAge, gate_retry_seconds: retryAfter } = deps.config.controller;
  const state = await readGate(deps.data);
  const age = state?.lastPreflightAt
    ? (now.getTime() - Date.parse(state.lastPreflightAt)) / 1000
    : Number.POSITIVE_INFINITY;
  const suspect = isControllerError(options.after) && recheckAtOnce.has(options.after.code);
  if (state?.gateOpen && state.controllerAddress && age < maxAge && !suspect) {
    return { open: true, controllerAddress: state.controllerAddress, reopened: false };
  }
  if (state && !state.gateOpen) {
    const code = state.reasonCode ?? "controller_gate_closed";
    if (heldByRestore(state) || !selfHealing.has(code) || age < retryAfter) {
      return { open: false, code, message: state.reasonMessage ?? "the controller gate is closed" };
    }
  }
  // A job never overrides a restore's hold, whatever the deps it was handed carry.
  const report = await runPreflight({ ...deps, overrideRestore: false });
  if (report.ok && report.controllerAddress)
    return { open: true, controllerAddress: report.controllerAddress, reopened: report.reopened };
  return {
    open: false,
    code: report.error?.code ?? "controller_gate_closed",
    message: report.error?.message ?? "preflight failed",
  };
}
