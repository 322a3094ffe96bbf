import { withLogContext } from "@ztix/core";
import { sweepStuckRequests, workflowDepsFromEnvironment } from "@ztix/workflow";

// Built once per cold start; a bad runtime config fails here, before any sweep.
const deps = workflowDepsFromEnvironment({ service: "sweeper" });

/**
 * Scheduled (cron) entry: re-enqueues requests stuck in approved/provisioning, so a lost
 * enqueue can never strand a request. Returns the report for the Lambda's logs.
 */
export async function handler() {
  const runId = `sweep-${deps.now().toISOString()}`;
  return withLogContext({ requestId: runId, correlationId: runId }, () => sweepStuckRequests(deps));
}
