import { randomUUID } from "node:crypto";
import { enqueueDeprovisionJob, enqueueProvisioningJob, enqueueReconcile } from "@ztix/aws";
import type { QueueJob } from "@ztix/core";
import type { JoinRequestItem } from "@ztix/data";
import type { WorkerDeps } from "./deps.ts";
import type { JobOutcome } from "./process-job.ts";

/** Backoff between tries of a job that waits on a dependency: base·2^waits, capped. */
export const defaultWaitBackoff = { baseMs: 5_000, maxMs: 300_000 };

export function waitDelayMs(waits: number, backoff = defaultWaitBackoff): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(waits, 20));
}

/** How long until a job may run (0 when it may run now). */
export function tooEarlyMs(job: QueueJob, now: Date): number {
  return job.notBefore ? Math.max(0, Date.parse(job.notBefore) - now.getTime()) : 0;
}

/** Puts a job on its queue (its own group: the request's, or `rs:<id>`). */
export function sendJob(deps: WorkerDeps, job: QueueJob): Promise<string> {
  if (job.kind === "provision") return enqueueProvisioningJob(deps.sqs, deps.queueUrl, job);
  if (job.kind === "deprovision") return enqueueDeprovisionJob(deps.sqs, deps.queueUrl, job);
  return enqueueReconcile(deps.sqs, deps.queueUrl, job);
}

/** Records the newest chain of waiting copies on what the job is for; false when that failed. */
async function recordChain(deps: WorkerDeps, job: QueueJob, token: string): Promise<boolean> {
  const at = deps.now().toISOString();
  try {
    if (job.kind === "reconcile") {
      await deps.data.entities.routeServerState
        .update({ routeServerId: job.routeServerId })
        .set({ waitToken: token, updatedAt: at })
        .go();
    } else {
      // `enqueuedAt` tells the sweeper this request's job is alive.
      await deps.data.entities.joinRequest
        .patch({ requestId: job.requestId })
        .set({ waitToken: token, enqueuedAt: at })
        .go();
    }
    return true;
  } catch (e) {
    deps.log.warn("could not record the waiting job; its copy goes out unnamed", { err: e });
    return false;
  }
}

/**
 * Lets a job that cannot go on now wait, however long its dependency is down: it is queued
 * again as a fresh message with a growing `notBefore`, and this one is let go. It never
 * burns through SQS's receive count into the DLQ, so nothing ends `failed` because a
 * controller or a route server was away; one chain of copies per request (or route server)
 * is current, so waiting work never multiplies. If even the send fails, SQS redelivers this one.
 */
export async function waitAndRetry(
  deps: WorkerDeps,
  job: QueueJob,
  reason: string,
  minDelayMs = 0,
): Promise<JobOutcome> {
  const waits = job.waits ?? 0;
  const delay = Math.max(minDelayMs, waitDelayMs(waits, deps.waitBackoff));
  const notBefore = new Date(deps.now().getTime() + delay).toISOString();
  const token = randomUUID();
  const named = await recordChain(deps, job, token);
  const { waitToken: _old, ...rest } = job;
  try {
    await sendJob(deps, {
      ...rest,
      waits: waits + 1,
      notBefore,
      ...(named ? { waitToken: token } : {}),
    } as QueueJob);
    return { action: "ack", result: "waiting", reason };
  } catch (e) {
    deps.log.warn("could not queue the job again; leaving it for redelivery", { err: e });
    return { action: "retry", reason: "requeue_failed", retryAfterSeconds: 30 };
  }
}

/** A message that arrived before its `notBefore`: back on the queue until then. */
export async function notYet(deps: WorkerDeps, job: QueueJob, remainingMs: number, lastDelivery: boolean) {
  if (!lastDelivery) {
    return {
      action: "retry",
      reason: "not_before",
      retryAfterSeconds: Math.ceil(remainingMs / 1000),
    } as JobOutcome;
  }
  // Its receives are running out: a fresh copy keeps the same time and token.
  try {
    await sendJob(deps, job);
    return { action: "ack", result: "waiting", reason: "not_before" } as JobOutcome;
  } catch {
    return { action: "retry", reason: "requeue_failed", retryAfterSeconds: 30 } as JobOutcome;
  }
}

/** Whether a waiting copy was superseded by a newer chain (a resume, a sweep, a later wait). */
export function superseded(job: QueueJob, recorded: string | undefined): boolean {
  return job.waitToken !== undefined && recorded !== undefined && job.waitToken !== recorded;
}

/**
 * Shows on the request what it waits on (`controller`, `route_server:<id>`), for operators
 * and admins; only while it is still in the status the job saw. Best effort: a dependency
 * that is down may be DynamoDB itself.
 */
export async function markWaiting(
  deps: WorkerDeps,
  request: JoinRequestItem,
  on: string,
  reason: string,
): Promise<void> {
  if (request.waitingOn === on && request.waitingReason === reason) return;
  const at = deps.now().toISOString();
  await deps.data.entities.joinRequest
    .patch({ requestId: request.requestId })
    .set({ waitingOn: on, waitingReason: reason.slice(0, 500), waitingSince: request.waitingSince ?? at })
    .where(({ status }, { eq }) => eq(status, request.status))
    .go()
    .catch((e: unknown) => deps.log.warn("could not record what the request waits on", { err: e }));
}
