import { enqueuePolicyData } from "@ztix/aws";
import type { WorkflowDeps } from "./deps.ts";

/**
 * Asks the worker (the only one that reaches PeeringDB and the IRR) to refresh policy data:
 * what is due, or one ASN now. Best effort where the caller's own work is already done: a
 * refresh that is not queued is picked up by the next schedule, so it is logged, not thrown.
 */
export async function requestPolicyDataRefresh(
  deps: WorkflowDeps,
  target: { scope: "due"; dedupKey?: string } | { scope: "asn"; asn: number; irr?: boolean },
  options: { correlationId?: string; throwOnFailure?: boolean } = {},
): Promise<boolean> {
  const requestedAt = deps.now().toISOString();
  try {
    await enqueuePolicyData(
      deps.sqs,
      deps.queueUrl,
      {
        kind: "policy_data",
        scope: target.scope,
        ...(target.scope === "asn" ? { asn: target.asn, ...(target.irr ? { irr: true } : {}) } : {}),
        requestedAt,
        ...(options.correlationId ? { correlationId: options.correlationId } : {}),
      },
      target.scope === "due" ? target.dedupKey : undefined,
    );
    return true;
  } catch (e) {
    if (options.throwOnFailure) throw e;
    deps.log.warn("could not queue a policy-data refresh; the schedule will do it", { err: e });
    return false;
  }
}
