import { type RequestStatus, withLogContext } from "@ztix/core";
import { auditItem, type JoinRequestItem } from "@ztix/data";
import type { WorkflowDeps } from "./deps.ts";
import { dispatchJob } from "./dispatch.ts";

/** Statuses in which a request waits on a job; one sitting there too long lost its job. */
export const sweptStatuses: readonly RequestStatus[] = ["approved", "provisioning"];

export interface SweepReport {
  cutoff: string;
  found: number;
  requeued: string[];
  failed: string[];
}

/**
 * Re-enqueues requests that sat in `approved` or `provisioning` past
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
  const report: SweepReport = { cutoff, found: found.length, requeued: [], failed: [] };
  for (const request of found) {
    // Log lines of this re-send carry the request's own correlation id, like the original's.
    const outcome = await withLogContext({ correlationId: request.correlationId }, () =>
      dispatchJob(deps, request, "sweeper"),
    );
    if (!outcome.enqueued) {
      report.failed.push(request.requestId);
      continue;
    }
    report.requeued.push(request.requestId);
    await recordRequeue(deps, request, now).catch((e: unknown) =>
      // Sent but not stamped: the next run re-sends once more, which dedup or the worker absorbs.
      deps.log.warn("sweeper.stamp_failed", { request_id: request.requestId, error: e }),
    );
  }
  deps.log.info("sweeper.done", {
    cutoff,
    found: report.found,
    requeued: report.requeued.length,
    failed: report.failed.length,
  });
  return report;
}

async function recordRequeue(deps: WorkflowDeps, request: JoinRequestItem, now: Date) {
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
  await deps.data.transaction
    .write(({ joinRequest, auditEvent }) => [
      joinRequest
        .patch({ requestId: request.requestId })
        .set({ enqueuedAt: now.toISOString() })
        .where(
          ({ status, attempt }, { eq }) =>
            `${eq(status, request.status)} AND ${eq(attempt, request.attempt)}`,
        )
        .commit(),
      auditEvent.create(event).commit(),
    ])
    .go();
}
