import { withLogContext } from "@ztix/core";
import { runScheduledReconcile, workflowDepsFromEnvironment } from "@ztix/workflow";

// Built once per cold start; a bad runtime config fails here, before any run.
const deps = workflowDepsFromEnvironment({ service: "reconcile-schedule" });

/**
 * Scheduled (cron) entry: repairs the desired route-server state and asks every route server
 * for a reconcile, so drift, a policy change or a lost trigger is repaired within the schedule.
 */
export async function handler() {
  const runId = `reconcile-schedule-${deps.now().toISOString()}`;
  return withLogContext({ requestId: runId, correlationId: runId }, () => runScheduledReconcile(deps));
}
