import { withLogContext } from "@ztix/core";
import { getRequest } from "@ztix/data";
import type { WorkerDeps } from "./deps.ts";
import { failDeadLetteredQuery } from "./looking-glass/job.ts";
import { parseJob, type QueueMessage } from "./messages.ts";
import type { JobOutcome } from "./process-job.ts";
import { markWaiting, waitAndRetry } from "./waiting.ts";

/** The least a dead-lettered job waits before it is tried again. */
const DEAD_LETTER_DELAY_MS = 60_000;

/**
 * A job that exhausted its deliveries: every one crashed or could not even be queued again
 * (DynamoDB or SQS down, a bug). It is not the request's fault, so the request does not fail:
 * the job goes back on the queue to wait, and the request says so. Reconciles are dropped:
 * the schedule reconciles every route server anyway.
 */
export async function handleDeadLetter(deps: WorkerDeps, message: QueueMessage): Promise<JobOutcome> {
  const parsed = parseJob(message);
  if (!parsed.ok) {
    deps.log.error("malformed message in the DLQ dropped", {
      messageId: message.messageId,
      problem: parsed.error,
    });
    return { action: "ack", result: "skipped", reason: "malformed" };
  }
  const job = parsed.job;
  if (job.kind === "policy_data") {
    deps.log.warn("dead-lettered policy-data refresh dropped; the schedule refreshes what is due", {
      scope: job.scope,
    });
    return { action: "ack", result: "skipped", reason: "policy_data" };
  }
  if (job.kind === "inspect_request") {
    deps.log.warn("dead-lettered node check dropped; the admin page asks again", {
      requestId: job.requestId,
    });
    return { action: "ack", result: "skipped", reason: "inspect_request" };
  }
  if (job.kind === "collect_sessions") {
    deps.log.warn("dead-lettered session collection dropped; the schedule collects again", {
      routeServerId: job.routeServerId,
    });
    return { action: "ack", result: "skipped", reason: "collect_sessions" };
  }
  if (job.kind === "looking_glass") {
    deps.log.warn("dead-lettered looking-glass query dropped; it is answered as failed", {
      queryId: job.queryId,
    });
    await failDeadLetteredQuery(deps, job);
    return { action: "ack", result: "skipped", reason: "looking_glass" };
  }
  if (job.kind === "reconcile") {
    deps.log.warn("dead-lettered reconcile dropped; the schedule reconciles the route server", {
      routeServerId: job.routeServerId,
      reason: job.reason,
    });
    return { action: "ack", result: "skipped", reason: "reconcile" };
  }
  return withLogContext({ requestId: job.requestId, correlationId: job.correlationId }, async () => {
    const request = await getRequest(deps.data, job.requestId);
    if (!request || (job.kind === "provision" && job.attempt < request.attempt)) {
      return { action: "ack", result: "skipped", reason: "stale" } as const;
    }
    deps.log.error("a job exhausted its deliveries; queued again to wait", {
      kind: job.kind,
      deliveries: message.receiveCount,
    });
    await markWaiting(
      deps,
      request,
      "service",
      `the worker could not finish this job in ${message.receiveCount} tries; it retries by itself (correlation id ${job.correlationId ?? request.correlationId})`,
    );
    return waitAndRetry(deps, job, "dead_lettered", DEAD_LETTER_DELAY_MS);
  });
}
