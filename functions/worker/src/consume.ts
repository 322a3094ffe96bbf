import { type QueueJob, withLogContext } from "@ztix/core";
import { processDeprovision } from "./deprovision-job.ts";
import type { WorkerDeps } from "./deps.ts";
import { processInspect } from "./inspect/job.ts";
import { processLookingGlass } from "./looking-glass/job.ts";
import { parseJob, type QueueMessage } from "./messages.ts";
import { processPolicyData } from "./policy-data/job.ts";
import { type JobOutcome, processJob } from "./process-job.ts";
import { processReconcile } from "./reconcile-job.ts";
import { processCollectSessions } from "./sessions/collect.ts";

/**
 * One message, start to decision. A body that is not a job can never succeed: it is
 * acknowledged (and logged) rather than cycled to the DLQ. Unexpected errors mean "retry".
 */
export async function consumeMessage(deps: WorkerDeps, message: QueueMessage): Promise<JobOutcome> {
  const parsed = parseJob(message);
  if (!parsed.ok) {
    deps.log.error("malformed provisioning message dropped", {
      messageId: message.messageId,
      problem: parsed.error,
    });
    return { action: "ack", result: "skipped", reason: "malformed" };
  }
  const job = parsed.job;
  const outcome = await dispatch(deps, job, { receiveCount: message.receiveCount });
  deps.log.debug("job outcome", {
    messageId: message.messageId,
    receiveCount: message.receiveCount,
    kind: job.kind,
    waits: "waits" in job ? job.waits : undefined,
    chain: "waitToken" in job ? job.waitToken : undefined,
    target: "requestId" in job ? job.requestId : undefined,
    ...outcome,
  });
  return outcome;
}

async function dispatch(
  deps: WorkerDeps,
  job: QueueJob,
  delivery: { receiveCount: number },
): Promise<JobOutcome> {
  if (job.kind === "reconcile") return processReconcile(deps, job, delivery);
  if (job.kind === "deprovision") return processDeprovision(deps, job, delivery);
  if (job.kind === "policy_data") return processPolicyData(deps, job);
  if (job.kind === "inspect_request") return processInspect(deps, job, delivery);
  if (job.kind === "collect_sessions") return processCollectSessions(deps, job);
  if (job.kind === "looking_glass") return processLookingGlass(deps, job);
  try {
    return await processJob(deps, job, delivery);
  } catch (e) {
    withLogContext({ requestId: job.requestId, correlationId: job.correlationId }, () =>
      deps.log.error("job crashed: left for redelivery", { err: e }),
    );
    return { action: "retry", reason: "crashed" };
  }
}

/**
 * A batch from a FIFO queue: messages of one group in order; once one of a group must be
 * retried, the rest of that group is retried too (never run out of order). Groups run
 * concurrently. Returns the ids to report as batch item failures.
 */
export async function consumeBatch(
  deps: WorkerDeps,
  messages: QueueMessage[],
  onRetry?: (message: QueueMessage, outcome: Extract<JobOutcome, { action: "retry" }>) => Promise<void>,
): Promise<string[]> {
  const groups = new Map<string, QueueMessage[]>();
  for (const m of messages) {
    const key = m.groupId ?? m.messageId;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const failures: string[] = [];
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (let i = 0; i < group.length; i++) {
        const outcome = await consumeMessage(deps, group[i]!);
        if (outcome.action === "retry") {
          await onRetry?.(group[i]!, outcome);
          failures.push(...group.slice(i).map((m) => m.messageId));
          return;
        }
      }
    }),
  );
  return failures;
}
