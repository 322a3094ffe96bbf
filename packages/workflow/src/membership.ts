import { enqueueDeprovisionJob } from "@ztix/aws";
import { AppError, routeServersOfNetwork, splitNetworkId } from "@ztix/core";
import {
  createRequest,
  getRequest,
  type JoinRequestItem,
  routeServerMemberKey,
  transitionRequest,
} from "@ztix/data";
import { type Actor, actorFields, type WorkflowDeps } from "./deps.ts";
import { type DispatchOutcome, dispatchJob } from "./dispatch.ts";
import { userAsns } from "./eligibility.ts";
import { inspectNewRequest } from "./inspect.ts";
import { autoApproval } from "./policy.ts";
import { requestReconcile } from "./reconcile-request.ts";

function notFound(requestId: string): AppError {
  return new AppError("not_found", "no such request", { request_id: requestId });
}

/** The request if the user holds its ASN, else 404 (other networks' requests cannot be probed). */
async function owned(deps: WorkflowDeps, userId: string, requestId: string): Promise<JoinRequestItem> {
  const [asns, request] = await Promise.all([userAsns(deps.data, userId), getRequest(deps.data, requestId)]);
  if (!request || !asns.some((a) => a.asn === request.asn)) throw notFound(requestId);
  return request;
}

/**
 * Queues the deprovisioning job and asks the route servers of the network to drop the member
 * (the status change already took it out of the desired state). A lost send is not lost
 * work: the sweeper re-sends jobs of requests sitting in `deprovisioning`.
 */
export async function dispatchRemoval(
  deps: WorkflowDeps,
  request: JoinRequestItem,
): Promise<DispatchOutcome> {
  const servers = routeServersOfNetwork(
    deps.config.route_servers,
    deps.config.networks,
    splitNetworkId(request.networkId).suffix,
  ).map((s) => s.id);
  try {
    if (servers.length > 0) {
      await requestReconcile(deps, servers, "member_change", { correlationId: request.correlationId });
    }
    await enqueueDeprovisionJob(
      deps.sqs,
      deps.queueUrl,
      {
        kind: "deprovision",
        requestId: request.requestId,
        purpose: "removal",
        correlationId: request.correlationId,
      },
      "start",
    );
    return { enqueued: true, attempt: request.attempt };
  } catch (e) {
    deps.log.error("dispatch.removal_failed", { request_id: request.requestId, error: e });
    return { enqueued: false, attempt: request.attempt, error: (e as Error).name || "Error" };
  }
}

/**
 * active → deprovisioning, with the member taken out of the desired route-server state in
 * the same transaction, then the removal job. `leave` for the operator, `remove` for an admin
 * (with a reason the operator reads).
 */
async function endMembership(
  deps: WorkflowDeps,
  request: JoinRequestItem,
  actor: Actor,
  action: "leave" | "remove",
  reason: string,
) {
  const now = deps.now();
  const key = routeServerMemberKey(request);
  const next = await transitionRequest(deps.data, request, action, {
    now,
    set: { removalReason: reason, decidedAt: now.toISOString(), decidedBy: `${actor.type}:${actor.id}` },
    audit: { ...actorFields(actor), visibility: "operator", message: reason },
    also: (tx) => [
      tx.routeServerMember
        .delete(key)
        .where(
          ({ requestId }, { eq, notExists }) =>
            `${notExists(requestId)} OR ${eq(requestId, request.requestId)}`,
        )
        .commit(),
    ],
  });
  const dispatch = await dispatchRemoval(deps, next);
  return { request: next, dispatch };
}

/** An operator leaves one of their active memberships. */
export async function leaveMembership(deps: WorkflowDeps, userId: string, requestId: string) {
  const request = await owned(deps, userId, requestId);
  return endMembership(deps, request, { type: "user", id: userId }, "leave", "left by the member");
}

/** An admin removes an active membership, with a reason. */
export async function removeMembership(
  deps: WorkflowDeps,
  adminId: string,
  requestId: string,
  reason: string,
) {
  const request = await getRequest(deps.data, requestId);
  if (!request) throw notFound(requestId);
  return endMembership(deps, request, { type: "admin", id: adminId }, "remove", reason);
}

/**
 * An operator asks to move an active membership to a new node (a new router): a request like
 * a join, approved like one (by an admin, or at once under policy_auto), that takes over the
 * membership's addresses and BGP sessions when it goes live.
 */
export async function requestNodeReplacement(
  deps: WorkflowDeps,
  userId: string,
  requestId: string,
  nodeId: string,
  correlationId?: string,
) {
  const request = await owned(deps, userId, requestId);
  if (request.status !== "active") {
    throw new AppError(
      "invalid_transition",
      `only an active membership can move to a new node; this one is ${request.status}`,
      {
        status: request.status,
      },
    );
  }
  if (nodeId === request.nodeId.toLowerCase()) {
    throw new AppError("validation_failed", "the request is invalid", {
      fields: { node_id: ["this is already the membership's node"] },
    });
  }
  const policy = autoApproval(deps.config);
  const replacement = await createRequest(
    deps.data,
    {
      userId,
      asn: request.asn,
      ...(request.asnName ? { asnName: request.asnName } : {}),
      networkId: request.networkId,
      nodeId,
      notes: `replaces node ${request.nodeId} of request ${request.requestId}`,
      replacesRequestId: request.requestId,
      memberNodeId: request.memberNodeId ?? request.nodeId.toLowerCase(),
      ...(correlationId ? { correlationId } : {}),
    },
    { actorType: "user", actorId: userId, action: "request.node_replacement_requested" },
    deps.now(),
    policy.approve
      ? {
          actorType: "system",
          actorId: "policy",
          message: "approved by policy",
          metadata: { mode: policy.mode, rule: policy.rule },
        }
      : undefined,
  );
  await inspectNewRequest(deps, replacement);
  const dispatch = policy.approve ? await dispatchJob(deps, replacement, "policy_auto") : undefined;
  return { request: replacement, dispatch, autoApproved: policy.approve };
}
