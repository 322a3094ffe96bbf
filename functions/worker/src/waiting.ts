import { enqueueDeprovisionJob, enqueueProvisioningJob, enqueueReconcile } from "@ztix/aws";
import { isOlderChain, newWaitToken, type WaitableJob } from "@ztix/core";
import { isConditionFailure, type JoinRequestItem } from "@ztix/data";
import type { WorkerDeps } from "./deps.ts";
import type { JobOutcome } from "./process-job.ts";

/** Backoff between tries of a job that waits on a dependency: base·2^waits, capped. */
export const defaultWaitBackoff = { baseMs: 5_000, maxMs: 300_000 };

export function waitDelayMs(waits: number, backoff = defaultWaitBackoff): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(waits, 20));
}

/** How long until a job may run (0 when it may run now). */
export function tooEarlyMs(job: WaitableJob, now: Date): number {
  return job.notBefore ? Math.max(0, Date.parse(job.notBefore) - now.getTime()) : 0;
}

/** Puts a job on its queue (its own group: the request's, or `rs:<id>`). */
export function sendJob(deps: WorkerDeps, job: WaitableJob): Promise<string> {
  if (job.kind === "provision") return enqueueProvisioningJob(deps.sqs, deps.queueUrl, job);
  if (job.kind === "deprovision") return enqueueDeprovisionJob(deps.sqs, deps.queueUrl, job);
  return enqueueReconcile(deps.sqs, deps.queueUrl, job);
}

/**
 * Records a new chain of waiting copies on what the job is for, unless a newer chain is
 * recorded there already (then this copy is superseded). Tokens sort by issue time
 * (`newWaitToken`), so a write that timed out yet reached the table later fails its
 * condition instead of replacing the newer chain and stranding the copy that chain sent.
 */
async function recordChain(
  deps: WorkerDeps,
  job: WaitableJob,
  token: string,
): Promise<"named" | "unnamed" | "superseded"> {
  const at = deps.now().toISOString();
  const olderOnly = ({ waitToken }: { waitToken: unknown }, { notExists, lt }: ChainOps) =>
    `${notExists(waitToken)} OR ${lt(waitToken, token)}`;
  try {
    if (job.kind === "reconcile") {
      await deps.data.entities.routeServerState
        .update({ routeServerId: job.routeServerId })
        .set({ waitToken: token, updatedAt: at })
        .where(olderOnly as never)
        .go();
    } else {
      // `enqueuedAt` tells the sweeper this request's job is alive.
      await deps.data.entities.joinRequest
        .patch({ requestId: job.requestId })
        .set({ waitToken: token, enqueuedAt: at })
        .where(olderOnly as never)
        .go();
    }
    return "named";
  } catch (e) {
    if (isConditionFailure(e)) return "superseded";
    deps.log.warn("could not record the waiting job; its copy goes out unnamed", { err: e });
    return "unnamed";
  }
}

type ChainOps = { notExists: (a: unknown) => string; lt: (a: unknown, v: string) => string };

/**
 * Lets a job that cannot go on now wait, however long its dependency is down: it is queued
 * again as a fresh message with a growing `notBefore`, and this one is let go. It never
 * burns through SQS's receive count into the DLQ, so nothing ends `failed` because a
 * controller or a route server was away; one chain of copies per request (or route server)
 * is current, so waiting work never multiplies. If even the send fails, SQS redelivers this one.
 */
export async function waitAndRetry(
  deps: WorkerDeps,
  job: WaitableJob,
  reason: string,
  minDelayMs = 0,
): Promise<JobOutcome> {
  const waits = job.waits ?? 0;
  const delay = Math.max(minDelayMs, waitDelayMs(waits, deps.waitBackoff));
  const notBefore = new Date(deps.now().getTime() + delay).toISOString();
  const token = newWaitToken(deps.now());
  const chain = await recordChain(deps, job, token);
  if (chain === "superseded") {
    deps.log.info("a newer copy of this waiting job is in the queue: this one ends", {
      chain: job.waitToken,
    });
    return { action: "ack", result: "skipped", reason: "superseded" };
  }
  const named = chain === "named";
  const { waitToken: _old, ...rest } = job;
  try {
    await sendJob(deps, {
      ...rest,
      waits: waits + 1,
      notBefore,
      ...(named ? { waitToken: token } : {}),
    } as WaitableJob);
    return { action: "ack", result: "waiting", reason };
  } catch (e) {
    deps.log.warn("could not queue the job again; leaving it for redelivery", { err: e });
    return { action: "retry", reason: "requeue_failed", retryAfterSeconds: 30 };
  }
}

/** A message that arrived before its `notBefore`: back on the queue until then. */
export async function notYet(deps: WorkerDeps, job: WaitableJob, remainingMs: number, lastDelivery: boolean) {
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
export function superseded(job: WaitableJob, recorded: string | undefined): boolean {
  return isOlderChain(job.waitToken, recorded);
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
