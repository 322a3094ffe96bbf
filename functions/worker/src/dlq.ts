import { withLogContext } from "@ztix/core";
import { getRequest } from "@ztix/data";
import type { WorkerDeps } from "./deps.ts";
import { parseJob, type QueueMessage } from "./messages.ts";
import { fail, type JobOutcome } from "./process-job.ts";

/**
 * A job that exhausted its deliveries. The worker normally fails the request on the last
 * delivery; this catches what slipped past (a crash on that delivery), so a request never
 * stays `approved`/`provisioning` behind a dead message.
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
  return withLogContext({ requestId: job.requestId, correlationId: job.correlationId }, async () => {
    const request = await getRequest(deps.data, job.requestId);
    if (!request || job.attempt < request.attempt)
      return { action: "ack", result: "skipped", reason: "stale" } as const;
    const outcome = await fail(
      deps,
      request,
      "provisioning_dead_lettered",
      `the provisioning job failed ${message.receiveCount} deliveries and was dead-lettered; check the worker logs for correlation id ${job.correlationId ?? request.correlationId}, then retry the request`,
    );
    deps.log.warn("dead-lettered job handled", { outcome });
    return outcome;
  });
}
