import { type JoinRequestItem, transitionRequest } from "@ztix/data";
import { assertAddressRoom } from "./address-room.ts";
import { type Actor, actorFields, type WorkflowDeps } from "./deps.ts";
import { type DispatchOutcome, dispatchJob } from "./dispatch.ts";

export interface Dispatched {
  request: JoinRequestItem;
  dispatch: DispatchOutcome;
}

/**
 * pending → approved with a new attempt, then the job. The status, attempt and audit event
 * commit in one conditional transaction first: of two admins approving at once exactly one
 * gets here past the write, so exactly one job is sent.
 */
export async function approveAndDispatch(
  deps: WorkflowDeps,
  request: JoinRequestItem,
  actor: Actor,
  audit: { message?: string; metadata?: Record<string, unknown> } = {},
  /** More attributes that commit with the approval (what the node check found, for one). */
  also: Partial<
    Pick<JoinRequestItem, "nodeSeen" | "nodeSeenAt" | "nodeSeenCheckedAt" | "nodeMemberState">
  > = {},
): Promise<Dispatched> {
  await assertAddressRoom(deps, request);
  const now = deps.now();
  const approved = await transitionRequest(deps.data, request, "approve", {
    now,
    set: {
      ...also,
      attempt: request.attempt + 1,
      approvedAt: now.toISOString(),
      decidedAt: now.toISOString(),
      decidedBy: `${actor.type}:${actor.id}`,
    },
    audit: { ...actorFields(actor), visibility: "operator", ...audit },
  });
  const dispatch = await dispatchJob(deps, approved, actor.type === "system" ? "policy_auto" : "approve");
  return { request: approved, dispatch };
}

/** failed → approved with a new attempt (a new dedup id), then the job. */
export async function retryAndDispatch(
  deps: WorkflowDeps,
  request: JoinRequestItem,
  actor: Actor,
): Promise<Dispatched> {
  await assertAddressRoom(deps, request);
  const now = deps.now();
  const approved = await transitionRequest(deps.data, request, "retry", {
    now,
    set: { attempt: request.attempt + 1, approvedAt: now.toISOString() },
    audit: {
      ...actorFields(actor),
      visibility: "operator",
      metadata: { previous_attempt: request.attempt, last_error_code: request.lastErrorCode },
    },
  });
  const dispatch = await dispatchJob(deps, approved, "retry");
  return { request: approved, dispatch };
}
