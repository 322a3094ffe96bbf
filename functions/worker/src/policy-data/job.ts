import { type PolicyDataJob, routeServersOfNetwork, withLogContext } from "@ztix/core";
import {
  desiredMembersOfNetwork,
  irrPrefixLists,
  peeringDbRecords,
  type RouteServerMemberItem,
} from "@ztix/data";
import { peeringDbFacts, resolveIrrTargets } from "@ztix/route-servers";
import { requestReconcile } from "@ztix/workflow";
import type { WorkerDeps } from "../deps.ts";
import type { JobOutcome } from "../process-job.ts";
import { builtFromOtherSources, refreshIrrList } from "./irr.ts";
import { peeringDbClientFor, refreshNeverVia, refreshPeeringDbRecord } from "./peeringdb.ts";
import { isDue } from "./refresh-state.ts";

/** Lookups and builds run two at a time: PeeringDB throttles, and bgpq4 is CPU- and IRR-heavy. */
const CONCURRENCY = 2;

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

export interface PolicyDataReport {
  lookups: { asn: number; ok: boolean; changed: boolean; errorCode?: string }[];
  builds: { target: string; ok: boolean; changed: boolean; errorCode?: string }[];
  neverVia?: { ok: boolean; changed: boolean };
  /** Route servers asked to reconcile because something they render changed. */
  reconciled: string[];
}

/** Every member the route servers carry, all networks (one consistent Query per network). */
async function allMembers(deps: WorkerDeps): Promise<RouteServerMemberItem[]> {
  const lists = await Promise.all(
    deps.config.networks.map((n) => desiredMembersOfNetwork(deps.data, n.suffix)),
  );
  return lists.flat();
}

/** ASNs whose requests wait for a decision: admins see their PeeringDB record in the queue. */
async function pendingAsns(deps: WorkerDeps): Promise<number[]> {
  const out = await deps.data.entities.joinRequest.query.byStatus({ status: "pending" }).go({ pages: "all" });
  return out.data.map((r) => r.asn);
}

/**
 * Refreshes the route servers' per-member data and reconciles the route servers whose
 * rendering it changed. `due`: what the schedule says is due, within the per-run caps (the
 * rest is due next run). `asn`: one network now, and its IRR lists when asked or never built.
 * Each source's failure is recorded on its record and backs off there; the job itself only
 * fails when our own storage does, and then SQS redelivers it.
 */
export async function refreshPolicyData(deps: WorkerDeps, job: PolicyDataJob): Promise<PolicyDataReport> {
  const report: PolicyDataReport = { lookups: [], builds: [], reconciled: [] };
  const now = deps.now();
  const pdb = deps.config.peeringdb_api;
  const irrMode = deps.config.route_server_policy.irr.mode;
  const members = await allMembers(deps);
  const client = pdb.enabled ? peeringDbClientFor(deps) : undefined;

  const wanted =
    job.scope === "asn" && job.asn !== undefined
      ? [job.asn]
      : [...new Set([...members.map((m) => m.asn), ...(await pendingAsns(deps))])];
  const records = await peeringDbRecords(deps.data, wanted);
  const changedAsns = new Set<number>();
  if (client) {
    const due =
      job.scope === "asn"
        ? wanted
        : wanted.filter((asn) => isDue(records.get(asn), now)).slice(0, pdb.lookups_per_run);
    await eachLimited(due, CONCURRENCY, async (asn) => {
      const r = await refreshPeeringDbRecord(deps, client, asn, records.get(asn) ?? null);
      report.lookups.push(r);
      if (r.changed) changedAsns.add(asn);
    });
  }
  let neverViaChanged = false;
  if (client && job.scope === "due") {
    const list = (await deps.data.entities.neverViaList.get({}).go()).data;
    if (isDue(list, now)) {
      report.neverVia = await refreshNeverVia(deps, client);
      neverViaChanged = report.neverVia.changed;
    }
  }

  // IRR: the objects each member's lists come from, after the lookups above.
  const changedTargets = new Set<string>();
  const targetsByMember = new Map<RouteServerMemberItem, string[]>();
  if (irrMode !== "off" && deps.config.irr_sources.host) {
    const scoped = job.scope === "asn" ? members.filter((m) => m.asn === job.asn) : members;
    const fresh = changedAsns.size > 0 ? await peeringDbRecords(deps.data, [...changedAsns]) : new Map();
    for (const m of scoped) {
      const record = fresh.get(m.asn) ?? records.get(m.asn);
      targetsByMember.set(m, resolveIrrTargets(m.asn, m, peeringDbFacts(record)).targets);
    }
    const targets = [...new Set([...targetsByMember.values()].flat())];
    const lists = await irrPrefixLists(deps.data, targets);
    const cap = deps.config.irr_sources.builds_per_run;
    const due = targets
      .filter((t) => {
        const item = lists.get(t);
        if (!item?.listsGz) return job.scope === "asn" || isDue(item, now);
        return (job.scope === "asn" && job.irr) || isDue(item, now) || builtFromOtherSources(deps, item);
      })
      .slice(0, cap);
    await eachLimited(due, CONCURRENCY, async (target) => {
      const r = await refreshIrrList(deps, target, lists.get(target) ?? null);
      report.builds.push(r);
      if (r.changed) changedTargets.add(target);
    });
  }

  // Reconcile the route servers of the networks whose members' rendering changed.
  const networks = new Set<string>();
  for (const m of members) {
    const targets = targetsByMember.get(m) ?? [];
    if (changedAsns.has(m.asn) || targets.some((t) => changedTargets.has(t))) networks.add(m.network);
  }
  const servers = new Set<string>();
  if (neverViaChanged) for (const rs of deps.config.route_servers) servers.add(rs.id);
  for (const suffix of networks) {
    for (const rs of routeServersOfNetwork(deps.config.route_servers, deps.config.networks, suffix))
      servers.add(rs.id);
  }
  if (servers.size > 0) {
    report.reconciled = [...servers].sort();
    await requestReconcile(deps, report.reconciled, "policy_data", {
      ...(job.correlationId ? { correlationId: job.correlationId } : {}),
    });
  }
  deps.log.info("policy data refreshed", {
    scope: job.scope,
    ...(job.asn !== undefined ? { asn: job.asn } : {}),
    lookups: report.lookups.length,
    lookupFailures: report.lookups.filter((l) => !l.ok).length,
    builds: report.builds.length,
    buildFailures: report.builds.filter((b) => !b.ok).length,
    reconciled: report.reconciled,
  });
  return report;
}

/** The queue job: a refresh that our own storage failed is redelivered by SQS. */
export function processPolicyData(deps: WorkerDeps, job: PolicyDataJob): Promise<JobOutcome> {
  const correlationId = job.correlationId ?? `policy-data-${job.requestedAt}`;
  return withLogContext({ requestId: "policy-data", correlationId }, async (): Promise<JobOutcome> => {
    try {
      await refreshPolicyData(deps, job);
      return { action: "ack", result: "refreshed" };
    } catch (e) {
      deps.log.error("policy data refresh failed; retried by redelivery", { err: e });
      return { action: "retry", reason: "policy_data_failed" };
    }
  });
}
