import { type ReconcileJob, withLogContext } from "@ztix/core";
import { routeServerState } from "@ztix/data";
import { isReconcileWait, reconcileRouteServer } from "@ztix/route-servers";
import { settleRequests } from "./activation.ts";
import { MAX_RECEIVE_COUNT, type WorkerDeps } from "./deps.ts";
import type { DeliveryInfo, JobOutcome } from "./process-job.ts";
import { notYet, superseded, tooEarlyMs, waitAndRetry } from "./waiting.ts";

/** Reconciles that re-read all policy data rather than trust the process's cache. */
const FULL_READ_REASONS = new Set<ReconcileJob["reason"]>(["schedule", "admin", "cli", "startup"]);

/**
 * One reconcile of one route server (its FIFO group keeps it the only one running there),
 * then the requests it settles. A reconcile that must wait (BIRD's undo window, the server
 * unreachable, misconfigured or busy) is never given up: it is queued again as a fresh message
 * with a growing `notBefore`, so however long the outage lasts, it resumes by itself soon
 * after the route server is back (FIFO queues have no per-message delay; a message that
 * arrives early is put back until its time).
 */
export function processReconcile(
  deps: WorkerDeps,
  job: ReconcileJob,
  delivery: DeliveryInfo,
): Promise<JobOutcome> {
  const correlationId = job.correlationId ?? `reconcile-${job.routeServerId}-${job.requestedAt}`;
  const last = delivery.receiveCount >= (deps.maxReceiveCount ?? MAX_RECEIVE_COUNT);
  return withLogContext(
    { requestId: `rs:${job.routeServerId}`, correlationId, reason: job.reason },
    async (): Promise<JobOutcome> => {
      const early = tooEarlyMs(job, deps.now());
      if (early > 0) return notYet(deps, job, early, last);
      if (job.waitToken) {
        const state = await routeServerState(deps.data, job.routeServerId).catch(() => null);
        if (superseded(job, state?.waitToken))
          return { action: "ack", result: "skipped", reason: "superseded" };
      }
      try {
        const outcome = await reconcileRouteServer(deps, job.routeServerId, {
          requestedAt: job.requestedAt,
          // The schedule and people asking re-read everything; a change trusts the warm cache.
          fullRead: FULL_READ_REASONS.has(job.reason),
          ...(deps.applyHooks ? { hooks: deps.applyHooks } : {}),
        });
        if (outcome.status === "unknown_route_server") {
          deps.log.warn("reconcile for a route server not in config: dropped", {
            routeServerId: job.routeServerId,
          });
          return { action: "ack", result: "skipped", reason: "unknown_route_server" };
        }
        if (outcome.status !== "coalesced") await settleRequests(deps, outcome);
        return { action: "ack", result: "reconciled", reason: outcome.status };
      } catch (e) {
        if (!isReconcileWait(e)) deps.log.error("reconcile failed; tried again later", { err: e });
        return waitAndRetry(
          deps,
          job,
          isReconcileWait(e) ? e.code : "reconcile_crashed",
          isReconcileWait(e) ? e.retryAfterMs : 0,
        );
      }
    },
  );
}
