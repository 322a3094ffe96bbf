import { enqueueProvisioningJob } from "@ztix/aws";
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
