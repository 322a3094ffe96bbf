import { RECONCILE_SCHEDULE_MINUTES } from "@ztix/core";
import type { WorkflowDeps } from "./deps.ts";
import { type DesiredStateRepair, repairDesiredState } from "./desired-state.ts";
import { requestPolicyDataRefresh } from "./policy-data.ts";
import { requestReconcile } from "./reconcile-request.ts";
import { requestSessionCollection } from "./sessions.ts";

export interface ScheduledReconcile {
  repair: DesiredStateRepair;
  routeServers: string[];
}

/**
 * The scheduled run (a cron in AWS, a timer in `npm run dev`): repairs the desired state, then
 * asks every configured route server for a reconcile and the worker for the policy data
 * (PeeringDB, IRR) that is due. Runs that land in the same window share
 * one message per server (its dedup id names the window), so a retried cron adds nothing.
 */
export async function runScheduledReconcile(deps: WorkflowDeps): Promise<ScheduledReconcile> {
  const repair = await repairDesiredState(deps);
  const ids = deps.config.route_servers.map((rs) => rs.id);
  const window = Math.floor(deps.now().getTime() / (RECONCILE_SCHEDULE_MINUTES * 60_000));
  await requestReconcile(deps, ids, "schedule", { dedupKey: `schedule-${window}` });
  // PeeringDB records and IRR lists that are due; a change there reconciles on its own.
  await requestPolicyDataRefresh(deps, { scope: "due", dedupKey: `schedule-${window}` });
  // And a fresh read of every route server's BGP sessions (its own group: never behind an apply).
  await requestSessionCollection(deps, ids, "schedule", { dedupKey: `schedule-${window}` });
  deps.log.info("scheduled reconcile requested", { routeServers: ids.length, window });
  return { repair, routeServers: ids };
}
