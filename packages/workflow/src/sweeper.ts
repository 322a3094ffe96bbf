import { enqueueDeprovisionJob } from "@ztix/aws";
import { newWaitToken, type RequestStatus, withLogContext } from "@ztix/core";
import {
  assertCommitted,
  asTransientCancellation,
  auditItem,
  isConditionFailure,
  type JoinRequestItem,
} from "@ztix/data";
import type { WorkflowDeps } from "./deps.ts";
import { resendJob } from "./dispatch.ts";

/** Statuses in which a request waits on a job; one sitting there too long lost its job. */
export const sweptStatuses: readonly RequestStatus[] = ["approved", "provisioning", "deprovisioning"];

export interface SweepReport {
  cutoff: string;
  found: number;
  requeued: string[];
  failed: string[];
  /** Re-sent, but the request changed meanwhile (no stamp or audit needed: it moved on). */
  moved: string[];
  /** Could not be stamped (the next run tries again). */
  unstamped: string[];
  /** Failed requests past the grace period whose addresses were sent to be released. */
  released: string[];
}

/**
 * Re-enqueues requests that sat in `approved`, `provisioning` or `deprovisioning` past
 * `workflow.stuck_after_minutes` (measured from their last status change or last re-send).
 *
 * Reads: one Query per swept status on byStatus, keyed `createdAt <= cutoff` (a request last
 * changed before the cutoff was created before it too) and filtered on updatedAt/enqueuedAt,
 * so only candidates are read, never the whole table.
 *
 * Attempt: the re-send keeps the request's current attempt, so its dedup id is the original's
 * (`<id>-<attempt>`). No status write is needed before sending, the worker still sees the job
 * as the current attempt, and should the original send have gone out after all within SQS's
 * 5-minute dedup window, SQS drops the copy; past it, the worker's idempotence absorbs a
 * duplicate. Each re-send stamps `enqueuedAt` (conditional on status and attempt unchanged)
 * with an admin-visible `dispatch.requeued` audit event, so a request is re-sent at most once
 * per threshold however often the sweeper runs.
 */
export async function sweepStuckRequests(deps: WorkflowDeps): Promise<SweepReport> {
  const now = deps.now();
  const cutoff = new Date(now.getTime() - deps.config.workflow.stuck_after_minutes * 60_000).toISOString();
  const q = deps.data.entities.joinRequest.query;
  const found = (
    await Promise.all(
      sweptStatuses.map((status) =>
        q
          .byStatus({ status })
          .lte({ createdAt: cutoff })
          .where(
            ({ updatedAt, enqueuedAt }, { lte, notExists }) =>
              `${lte(updatedAt, cutoff)} AND (${notExists(enqueuedAt)} OR ${lte(enqueuedAt, cutoff)})`,
          )
          .go({ pages: "all" }),
      ),
    )
  ).flatMap((o) => o.data);
  const report: SweepReport = {
    cutoff,
    found: found.length,
    requeued: [],
    failed: [],
    moved: [],
    unstamped: [],
    released: [],
  };
  for (const request of found) {
    // Log lines of this re-send carry the request's own correlation id, like the original's.
    await withLogContext({ correlationId: request.correlationId }, async () => {
      // Stamped first: the new chain's token must be on the request before its job arrives.
      const token = newWaitToken(now);
      const stamp = await recordRequeue(deps, request, now, token).catch((e: unknown) => {
        deps.log.warn("sweeper.stamp_failed", { request_id: request.requestId, error: e });
        return "failed" as const;
      });
      if (stamp === "moved") return void report.moved.push(request.requestId);
      if (stamp === "failed") return void report.unstamped.push(request.requestId);
      try {
        await resendJob(deps, request, token);
        report.requeued.push(request.requestId);
      } catch (e) {
        deps.log.error("sweeper.resend_failed", { request_id: request.requestId, error: e });
        report.failed.push(request.requestId);
        // Not sent after all: unstamp (so the next run tries again) and say so in the trail.
        await unstamp(deps, request, token, e).catch((u: unknown) =>
          deps.log.warn("sweeper.unstamp_failed", { request_id: request.requestId, error: u }),
        );
      }
    });
  }
  report.released = await releaseExpiredFailures(deps, now);
  deps.log.info("sweeper.done", {
    cutoff,
    found: report.found,
    requeued: report.requeued.length,
    failed: report.failed.length,
  });
  return report;
}

/** Stamps the re-send with its audit event (one transaction); "moved" when the request changed meanwhile. */
async function recordRequeue(
  deps: WorkflowDeps,
  request: JoinRequestItem,
  now: Date,
  waitToken: string,
): Promise<"stamped" | "moved"> {
  const event = auditItem({
    subject: `request#${request.requestId}`,
    requestId: request.requestId,
    action: "dispatch.requeued",
    actorType: "system",
    actorId: "sweeper",
    correlationId: request.correlationId,
    message: `re-sent the provisioning job after ${deps.config.workflow.stuck_after_minutes} minutes in ${request.status}`,
    metadata: { attempt: request.attempt, status: request.status },
    at: now,
  });
  try {
    const result = await deps.data.transaction
      .write(({ joinRequest, auditEvent }) => [
        joinRequest
          .patch({ requestId: request.requestId })
          .set({ enqueuedAt: now.toISOString(), waitToken })
          .where(
            ({ status, attempt }, { eq }) =>
              `${eq(status, request.status)} AND ${eq(attempt, request.attempt)}`,
          )
          .commit(),
        auditEvent.create(event).commit(),
      ])
      .go();
    assertCommitted(result);
    return "stamped";
  } catch (e) {
    if (isConditionFailure(e)) return "moved";
    throw asTransientCancellation(e);
  }
}

/**
 * Failed requests that stayed failed past `workflow.failed_address_grace_hours` give their
 * addresses back: the worker's release job takes the node off the controller and frees them
 * (a later retry allocates anew). One Query on the failed partition, narrowed by the cutoff.
 */
async function releaseExpiredFailures(deps: WorkflowDeps, now: Date): Promise<string[]> {
  const cutoff = new Date(
    now.getTime() - deps.config.workflow.failed_address_grace_hours * 3_600_000,
  ).toISOString();
  const expired = await deps.data.entities.joinRequest.query
    .byStatus({ status: "failed" })
    .lte({ createdAt: cutoff })
    .where(
      ({ updatedAt, addressesReleasedAt }, { lte, notExists }) =>
        `${lte(updatedAt, cutoff)} AND ${notExists(addressesReleasedAt)}`,
    )
    .go({ pages: "all" });
  const sent: string[] = [];
  for (const request of expired.data) {
    try {
      await enqueueDeprovisionJob(
        deps.sqs,
        deps.queueUrl,
        {
          kind: "deprovision",
          requestId: request.requestId,
          purpose: "release",
          correlationId: request.correlationId,
        },
        `release-${request.attempt}`,
      );
      sent.push(request.requestId);
    } catch (e) {
      deps.log.error("sweeper.release_failed", { request_id: request.requestId, error: e });
    }
  }
  return sent;
}

async function unstamp(deps: WorkflowDeps, request: JoinRequestItem, token: string, cause: unknown) {
  await deps.data.entities.joinRequest
    .patch({ requestId: request.requestId })
    .remove(["enqueuedAt"])
    .where(({ waitToken }, { eq }) => eq(waitToken, token))
    .go();
  await deps.data.entities.auditEvent
    .create(
      auditItem({
        subject: `request#${request.requestId}`,
        requestId: request.requestId,
        action: "dispatch.enqueue_failed",
        actorType: "system",
        actorId: "sweeper",
        correlationId: request.correlationId,
        message: "the sweeper could not re-send the job; it tries again on its next run",
        metadata: { error: (cause as Error).name || "Error" },
        at: deps.now(),
      }),
    )
    .go();
}
