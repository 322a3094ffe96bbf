import { routeServersOfNetwork } from "@ztix/core";
import { desiredMembersOfNetwork, getRequest, type JoinRequestItem } from "@ztix/data";
import type { WorkflowDeps } from "./deps.ts";

export interface DesiredStateRepair {
  /** Active requests that had no desired route-server record (added, from their membership). */
  added: string[];
  /** Desired records whose request is no longer provisioning or active (deleted). */
  removed: string[];
}

const live = new Set<JoinRequestItem["status"]>(["provisioning", "active"]);

/**
 * Keeps the desired route-server state equal to the requests it derives from: every active
 * request has its member record, and no record outlives its request. The records are written
 * in the same transactions as the status changes, so this finds nothing in steady state; it
 * repairs what an older version left (members made active before the reconciler existed) or
 * any write lost to a bug. Reads two Queries per network; every repair is re-checked with a
 * strongly consistent read first, so an index that lags cannot trigger one.
 */
export async function repairDesiredState(deps: WorkflowDeps): Promise<DesiredStateRepair> {
  const report: DesiredStateRepair = { added: [], removed: [] };
  const networks = (await deps.data.entities.ixNetwork.query.all({}).go({ pages: "all" })).data;
  for (const network of networks) {
    const suffix = network.suffix;
    if (routeServersOfNetwork(deps.config.route_servers, deps.config.networks, suffix).length === 0) continue;
    const q = deps.data.entities.joinRequest.query;
    const [provisioning, active, desired] = await Promise.all([
      q.byNetworkStatus({ networkId: network.networkId, status: "provisioning" }).go({ pages: "all" }),
      q.byNetworkStatus({ networkId: network.networkId, status: "active" }).go({ pages: "all" }),
      desiredMembersOfNetwork(deps.data, suffix),
    ]);
    const liveIds = new Set([...provisioning.data, ...active.data].map((r) => r.requestId));
    const desiredIds = new Set(desired.map((d) => d.requestId));

    for (const request of active.data) {
      if (desiredIds.has(request.requestId)) continue;
      const [current, membership] = await Promise.all([
        getRequest(deps.data, request.requestId),
        deps.data.entities.membership.get({ requestId: request.requestId }).go({ consistent: true }),
      ]);
      const m = membership.data;
      if (current?.status !== "active" || !m || (!m.ipv4 && !m.ipv6)) continue;
      await deps.data.entities.routeServerMember
        .put({
          network: suffix,
          asn: current.asn,
          nodeId: m.nodeId,
          networkId: current.networkId,
          requestId: current.requestId,
          ...(m.ipv4 ? { ipv4: m.ipv4 } : {}),
          ...(m.ipv6 ? { ipv6: m.ipv6 } : {}),
          activation: "active",
          updatedAt: deps.now().toISOString(),
        })
        .go();
      report.added.push(current.requestId);
    }
    for (const record of desired) {
      if (liveIds.has(record.requestId)) continue;
      const current = await getRequest(deps.data, record.requestId);
      if (current && live.has(current.status)) continue;
      await deps.data.entities.routeServerMember
        .delete({ network: record.network, asn: record.asn, nodeId: record.nodeId })
        .go();
      report.removed.push(record.requestId);
    }
  }
  if (report.added.length + report.removed.length > 0) {
    deps.log.warn("desired route-server state repaired", {
      added: report.added.length,
      removed: report.removed.length,
      requests: [...report.added, ...report.removed].slice(0, 20),
    });
  }
  return report;
}
