import { enqueueDeprovisionJob, enqueueProvisioningJob } from "@ztix/aws";
import { newWaitToken } from "@ztix/core";
import { type JoinRequestItem, writeAudit } from "@ztix/data";
import type { WorkflowDeps } from "./deps.ts";

/** What happened to the job after the status change committed. */
export interface DispatchOutcome {
  enqueued: boolean;
  attempt: number;
  messageId?: string;
  /** Set when the enqueue failed: the request stays approved and the sweeper re-sends it. */
  error?: string;
}

/**
 * Puts the request's provisioning job on the FIFO queue. Called only after the status change
 * and its audit event committed, so a job never exists for a request the table does not show
 * as approved. A failed send is not the caller's failure: it is logged and audited
 * (`dispatch.enqueue_failed`) and left to the sweeper, which finds approved requests that sat
 * past `workflow.stuck_after_minutes`.
 */
export async function dispatchJob(
  deps: WorkflowDeps,
  request: JoinRequestItem,
  trigger: "approve" | "retry" | "policy_auto" | "sweeper",
): Promise<DispatchOutcome> {
  const job = {
    kind: "provision" as const,
    requestId: request.requestId,
    attempt: request.attempt,
    correlationId: request.correlationId,
  };
  try {
    const messageId = await enqueueProvisioningJob(deps.sqs, deps.queueUrl, job);
    deps.log.info("dispatch.enqueued", { request_id: request.requestId, attempt: request.attempt, trigger });
    return { enqueued: true, attempt: request.attempt, messageId };
  } catch (e) {
    const error = (e as Error).name || "Error";
    deps.log.error("dispatch.enqueue_failed", {
      request_id: request.requestId,
      attempt: request.attempt,
      trigger,
      error: e,
    });
    await writeAudit(deps.data, {
      subject: `request#${request.requestId}`,
      requestId: request.requestId,
      action: "dispatch.enqueue_failed",
      actorType: "system",
      actorId: "dispatch",
      correlationId: request.correlationId,
      message: "the provisioning job could not be queued; the sweeper will re-send it",
      metadata: { attempt: request.attempt, trigger, error },
      at: deps.now(),
    }).catch((auditError: unknown) =>
      deps.log.error("dispatch.audit_failed", { request_id: request.requestId, error: auditError }),
    );
    return { enqueued: false, attempt: request.attempt, error };
  }
}

/** The dispatch outcome as the API reports it. */
export function dispatchView(d: DispatchOutcome) {
  return { enqueued: d.enqueued, attempt: d.attempt, ...(d.error ? { error: d.error } : {}) };
}

/**
 * Sends a request's job again as the start of a new chain (the sweeper, a controller gate that
 * reopened): `waitToken` names it on the request, so any copy still waiting in the queue ends
 * when it arrives instead of running beside it. Sends the job its status calls for.
 */
export async function resendJob(
  deps: WorkflowDeps,
  request: JoinRequestItem,
  waitToken: string = newWaitToken(deps.now()),
): Promise<void> {
  if (request.status === "deprovisioning") {
    await enqueueDeprovisionJob(deps.sqs, deps.queueUrl, {
      kind: "deprovision",
      requestId: request.requestId,
      purpose: "removal",
      correlationId: request.correlationId,
      waitToken,
    });
    return;
  }
  await enqueueProvisioningJob(deps.sqs, deps.queueUrl, {
    kind: "provision",
    requestId: request.requestId,
    attempt: request.attempt,
    correlationId: request.correlationId,
    // A continuation, never deduplicated against the first send of this attempt.
    waits: 1,
    waitToken,
  });
}

/**
 * The controller gate reopened: every request that waited on the controller gets its job now
 * rather than at its next backoff (a new chain; the waiting copies end when they arrive).
 * One Query per live status, filtered on what the request waits on.
 */
export async function resumeWaitingOnController(deps: WorkflowDeps): Promise<string[]> {
  const q = deps.data.entities.joinRequest.query;
  const waiting = (
    await Promise.all(
      (["approved", "provisioning", "deprovisioning"] as const).map((status) =>
        q
          .byStatus({ status })
          .where(({ waitingOn }, { eq }) => eq(waitingOn, "controller"))
          .go({ pages: "all" }),
      ),
    )
  ).flatMap((o) => o.data);
  const resumed: string[] = [];
  for (const request of waiting) {
    const token = newWaitToken(deps.now());
    try {
      await deps.data.entities.joinRequest
        .patch({ requestId: request.requestId })
        .set({ waitToken: token, enqueuedAt: deps.now().toISOString() })
        .where(({ status }, { eq }) => eq(status, request.status))
        .go();
      await resendJob(deps, request, token);
      resumed.push(request.requestId);
    } catch (e) {
      deps.log.warn("could not resume a request waiting on the controller", {
        request_id: request.requestId,
        error: e,
      });
    }
  }
  if (resumed.length > 0)
    deps.log.info("controller back: waiting requests resumed", { count: resumed.length });
  return resumed;
}
