import type { RuntimeConfig } from "@ztix/core";

/** The rule a policy_auto approval names in its audit metadata. */
export const AUTO_APPROVAL_RULE = "asn_and_network_eligible";
/** The rule when `policy_auto.require_node_seen` is on: eligible, and the node asked to join. */
export const AUTO_APPROVAL_NODE_SEEN_RULE = "asn_and_network_eligible_node_seen";

/**
 * Whether a request that passed the eligibility checks (ASN is the user's, network active and
 * allowed) is approved by policy. Those checks are the whole policy, plus, with
 * `policy_auto.require_node_seen`, the node having asked the controller to join: a request
 * whose node was not seen yet is not approved (`waitsForNode`), and the node check approves it
 * once it sees the node (see inspect.ts).
 */
export function autoApproval(
  config: RuntimeConfig,
  context: { nodeSeen?: boolean } = {},
):
  | { approve: false; waitsForNode?: boolean }
  | { approve: true; mode: "policy_auto"; rule: string; requireNodeSeen?: boolean } {
  if (config.workflow.approval_mode !== "policy_auto") return { approve: false };
  if (config.workflow.policy_auto.require_node_seen) {
    if (!context.nodeSeen) return { approve: false, waitsForNode: true };
    return { approve: true, mode: "policy_auto", rule: AUTO_APPROVAL_NODE_SEEN_RULE, requireNodeSeen: true };
  }
  return { approve: true, mode: "policy_auto", rule: AUTO_APPROVAL_RULE };
}
