import type { RuntimeConfig } from "@ztix/core";

/** The rule a policy_auto approval names in its audit metadata. */
export const AUTO_APPROVAL_RULE = "asn_and_network_eligible";

/**
 * Whether a request that passed the eligibility checks (ASN is the user's, network active and
 * allowed) is approved at creation. Those checks are the whole policy, so the answer depends
 * only on the configured mode.
 */
export function autoApproval(
  config: RuntimeConfig,
): { approve: false } | { approve: true; mode: "policy_auto"; rule: string } {
  if (config.workflow.approval_mode !== "policy_auto") return { approve: false };
  return { approve: true, mode: "policy_auto", rule: AUTO_APPROVAL_RULE };
}
