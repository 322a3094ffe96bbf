import { enqueueInspectRequest } from "@ztix/aws";
import { AppError } from "@ztix/core";
import { getRequest, isConditionFailure, type JoinRequestItem } from "@ztix/data";
import { approveAndDispatch } from "./approval.ts";
import { systemActor, type WorkflowDeps } from "./deps.ts";
import { autoApproval } from "./policy.ts";
import { requestPolicyDataRefresh } from "./policy-data.ts";

/** An admin's "check again" is honoured at most this often per request. */
export const INSPECT_THROTTLE_SECONDS = 30;

/** What the controller holds for a request's node on its network. */
export type NodeMemberState = "absent" | "unauthorized" | "authorized";

/**
 * Whether the request waits for its node before policy approves it (policy_auto with
 * `require_node_seen`, still pending, node not seen): the node check then keeps watching.
 */
export function waitsForNode(
  deps: Pick<WorkflowDeps, "config">,
  request: Pick<JoinRequestItem, "status" | "nodeSeen">,
): boolean {
  if (request.status !== "pending" || request.nodeSeen) return false;
  const policy = autoApproval(deps.config, { nodeSeen: false });
  return !policy.approve && policy.waitsForNode === true;
}

/**
 * Queues a node check for a request. Best effort where the caller's own work is done (a new
 * request is created either way; the admin page or the next check asks again): a failed send
 * is logged, never thrown, unless `throwOnFailure`.
 */
export async function queueNodeCheck(
  deps: WorkflowDeps,
  request: Pick<JoinRequestItem, "requestId" | "correlationId">,
  options: { watch?: boolean; correlationId?: string; requestedAt?: Date; throwOnFailure?: boolean } = {},
): Promise<boolean> {
  try {
    await enqueueInspectRequest(deps.sqs, deps.queueUrl, {
      kind: "inspect_request",
      requestId: request.requestId,
      requestedAt: (options.requestedAt ?? deps.now()).toISOString(),
      ...(options.watch ? { watch: 0 } : {}),
      correlationId: options.correlationId ?? request.correlationId,
    });
    return true;
  } catch (e) {
    if (options.throwOnFailure) throw e;
    deps.log.warn("could not queue a node check; it is asked again when an admin opens the request", {
      err: e,
      requestId: request.requestId,
    });
    return false;
  }
}

/**
 * What a new request asks the worker for at once: a node check (watching, when policy waits
 * for the node) and, with PeeringDB lookups on, the ASN's PeeringDB record for the admin who
 * reviews it. Never fails the submission.
 */
export async function inspectNewRequest(deps: WorkflowDeps, request: JoinRequestItem): Promise<void> {
  await Promise.all([
    queueNodeCheck(deps, request, { watch: waitsForNode(deps, request) }),
    deps.config.peeringdb_api.enabled
      ? requestPolicyDataRefresh(
          deps,
          { scope: "asn", asn: request.asn },
          { correlationId: request.correlationId },
        )
      : Promise.resolve(false),
  ]);
}

export interface NodeCheckAsked {
  request: JoinRequestItem;
  /** False when a check was asked for less than INSPECT_THROTTLE_SECONDS ago (that one stands). */
  queued: boolean;
  requestedAt: string;
  retryAfterSeconds: number;
  policyDataQueued: boolean;
}

/**
 * An admin opens or refreshes a request: ask the controller about its node again and refresh
 * the ASN's policy data, at most once per INSPECT_THROTTLE_SECONDS per request. The throttle
 * is a conditional write on the request, so two admins at once queue one check.
 * 1 GetItem + 1 UpdateItem, then 2 SQS sends (none when throttled).
 */
export async function requestNodeCheck(
  deps: WorkflowDeps,
  requestId: string,
  correlationId?: string,
): Promise<NodeCheckAsked> {
  const request = await getRequest(deps.data, requestId);
  if (!request) throw new AppError("not_found", "no such request", { request_id: requestId });
  const now = deps.now();
  const at = now.toISOString();
  const cutoff = new Date(now.getTime() - INSPECT_THROTTLE_SECONDS * 1000).toISOString();
  try {
    await deps.data.entities.joinRequest
      .patch({ requestId })
      .set({ nodeCheckRequestedAt: at })
      .where(
        ({ nodeCheckRequestedAt }, { notExists, lte }) =>
          `${notExists(nodeCheckRequestedAt)} OR ${lte(nodeCheckRequestedAt, cutoff)}`,
      )
      .go();
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    const last = Date.parse(request.nodeCheckRequestedAt ?? at);
    const wait = Math.ceil((last + INSPECT_THROTTLE_SECONDS * 1000 - now.getTime()) / 1000);
    return {
      request,
      queued: false,
      requestedAt: request.nodeCheckRequestedAt ?? at,
      retryAfterSeconds: Math.min(INSPECT_THROTTLE_SECONDS, Math.max(1, wait)),
      policyDataQueued: false,
    };
  }
  const [, policyDataQueued] = await Promise.all([
    queueNodeCheck(deps, request, {
      // One check: the request's watch, if it waits for its node, was started when it was made.
      requestedAt: now,
      throwOnFailure: true,
      ...(correlationId ? { correlationId } : {}),
    }).catch(async (e) => {
      // Not queued: let the admin ask again at once instead of waiting out the throttle.
      await deps.data.entities.joinRequest
        .patch({ requestId })
        .remove(["nodeCheckRequestedAt"])
        .where(({ nodeCheckRequestedAt }, { eq }) => eq(nodeCheckRequestedAt, at))
        .go()
        .catch(() => undefined);
      throw e;
    }),
    requestPolicyDataRefresh(
      deps,
      { scope: "asn", asn: request.asn },
      correlationId ? { correlationId } : {},
    ),
  ]);
  return {
    request: { ...request, nodeCheckRequestedAt: at },
    queued: true,
    requestedAt: at,
    retryAfterSeconds: INSPECT_THROTTLE_SECONDS,
    policyDataQueued,
  };
}

export interface NodeCheckRecorded {
  request: JoinRequestItem;
  seen: boolean;
  /** This check is the first to see the node. */
  newlySeen: boolean;
  /** Policy approved the request on this check (require_node_seen). */
  approved: boolean;
}

/**
 * Records what the controller holds for the request's node. A member record that is not
 * authorized is a node that asked to join: the controller creates it when the node asks, and
 * ZT-IX never leaves one behind (taking a member off deletes it). An authorized record says
 * nothing about the node (ZT-IX, or someone on the controller, wrote it), so it never counts
 * as seen; once seen, the request stays seen.
 *
 * When this check sees the node of a pending request and policy_auto requires a seen node,
 * the approval (status, attempt, audit event) and what the check found commit in one
 * conditional transaction, then the provisioning job is queued, as any policy approval.
 */
export async function recordNodeCheck(
  deps: WorkflowDeps,
  request: JoinRequestItem,
  state: NodeMemberState,
): Promise<NodeCheckRecorded> {
  const at = deps.now().toISOString();
  const seen = request.nodeSeen === true || state === "unauthorized";
  const newlySeen = seen && request.nodeSeen !== true;
  const fields = {
    nodeSeen: seen,
    nodeSeenCheckedAt: at,
    nodeMemberState: state,
    ...(seen ? { nodeSeenAt: request.nodeSeenAt ?? at } : {}),
  };
  if (seen && request.status === "pending") {
    const policy = autoApproval(deps.config, { nodeSeen: true });
    if (policy.approve && policy.requireNodeSeen) {
      try {
        const out = await approveAndDispatch(
          deps,
          request,
          systemActor("policy"),
          {
            message: "approved by policy: the node asked the controller to join",
            metadata: { mode: policy.mode, rule: policy.rule, node_seen_at: fields.nodeSeenAt },
          },
          fields,
        );
        return { request: out.request, seen, newlySeen, approved: true };
      } catch (e) {
        // Decided meanwhile (invalid_transition), or no address left: an admin decides.
        if (!(e instanceof AppError)) throw e;
        deps.log.info("policy did not approve the request its node check saw", {
          requestId: request.requestId,
          code: e.code,
        });
      }
    }
  }
  try {
    await deps.data.entities.joinRequest
      .patch({ requestId: request.requestId })
      .set(fields)
      // An older check that answers late never overwrites a newer one.
      .where(
        ({ nodeSeenCheckedAt }, { notExists, lt }) =>
          `${notExists(nodeSeenCheckedAt)} OR ${lt(nodeSeenCheckedAt, at)}`,
      )
      .go();
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
  }
  return { request: { ...request, ...fields }, seen, newlySeen, approved: false };
}

/** The node check as admin pages show it. */
export function nodeCheckView(r: JoinRequestItem, now: Date) {
  const next = r.nodeCheckRequestedAt
    ? new Date(Date.parse(r.nodeCheckRequestedAt) + INSPECT_THROTTLE_SECONDS * 1000)
    : null;
  return {
    /** null: never checked (or no check got an answer yet). */
    seen: r.nodeSeen ?? null,
    seen_at: r.nodeSeenAt ?? null,
    checked_at: r.nodeSeenCheckedAt ?? null,
    controller_member: r.nodeMemberState ?? null,
    check_requested_at: r.nodeCheckRequestedAt ?? null,
    /** An admin's next "check again" is queued from this instant (null: now). */
    next_check_at: next && next > now ? next.toISOString() : null,
  };
}
