import { controllerErrorCodes } from "../errors.ts";
import { readGate } from "./gate.ts";
import { type LifecycleDeps, runPreflight } from "./preflight.ts";

export type GateDecision =
  | { open: true; controllerAddress: string }
  | { open: false; code: string; message: string };

const selfHealing = new Set(
  Object.entries(controllerErrorCodes)
    .filter(([, spec]) => spec.transient)
    .map(([code]) => code),
);

/**
 * What a provisioning job asks before touching the controller. An open gate checked
 * recently is trusted; a missing or stale one is re-checked with a preflight; a gate closed
 * for a transient reason (unreachable, not ready) is retried at most every
 * `gate_retry_seconds`; one closed for a permanent reason (bad token, restore under way,
 * config the controller refuses) stays closed until an operator acts.
 */
export async function checkGate(deps: LifecycleDeps): Promise<GateDecision> {
  const now = (deps.now ?? (() => new Date()))();
  const { preflight_max_age_seconds: maxAge, gate_retry_seconds: retryAfter } = deps.config.controller;
  const state = await readGate(deps.data);
  const age = state?.lastPreflightAt
    ? (now.getTime() - Date.parse(state.lastPreflightAt)) / 1000
    : Number.POSITIVE_INFINITY;
  if (state?.gateOpen && state.controllerAddress && age < maxAge) {
    return { open: true, controllerAddress: state.controllerAddress };
  }
  if (state && !state.gateOpen) {
    const code = state.reasonCode ?? "controller_gate_closed";
    if (!selfHealing.has(code) || age < retryAfter) {
      return { open: false, code, message: state.reasonMessage ?? "the controller gate is closed" };
    }
  }
  const report = await runPreflight(deps);
  if (report.ok && report.controllerAddress)
    return { open: true, controllerAddress: report.controllerAddress };
  return {
    open: false,
    code: report.error?.code ?? "controller_gate_closed",
    message: report.error?.message ?? "preflight failed",
  };
}
