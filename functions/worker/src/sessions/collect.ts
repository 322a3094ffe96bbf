import { type CollectSessionsJob, type RouteServerConfig, withLogContext } from "@ztix/core";
import {
  type BgpSessionItem,
  desiredMembersOfNetwork,
  type RouteServerMemberItem,
  statusEntities,
} from "@ztix/data";
import {
  LookingGlass,
  memberProtocolName,
  type ProtocolStatus,
  type SessionReport,
  servedNetworks,
} from "@ztix/route-servers";
import type { WorkerDeps } from "../deps.ts";
import type { JobOutcome } from "../process-job.ts";

/** A session's row is written at most this often (unchanged or not). */
export const SESSION_WRITE_INTERVAL_MS = 60_000;
/** A row nobody refreshes (its route server left the config) expires after this. */
const SESSION_TTL_SECONDS = 86_400;
/** Protocols per `LookingGlass.sessions` call (its own cap), all read in one remote command. */
const PROTOCOLS_PER_CALL = 500;
/** The longest one remote command of a collection may take. */
const COLLECT_TIME_LIMIT_MS = 30_000;

interface Target {
  item: RouteServerMemberItem;
  family: "ipv4" | "ipv6";
}

export interface CollectReport {
  status: "collected" | "coalesced" | "unreachable" | "unknown_route_server";
  /** Protocols asked for (the members the route server should carry, per family). */
  protocols: number;
  written: number;
  deleted: number;
  /** Read but not written: the stored row is younger than a minute. */
  unchanged: number;
  errorCode?: string;
}

/** The BGP state to show: BIRD's `BGP state`, else what its row and protocol state say. */
function bgpStateOf(status: ProtocolStatus): string {
  if (status.bgpState) return status.bgpState;
  if (status.bgpStateText) return status.bgpStateText;
  if (status.state === "down") return "Down";
  return status.info.split(/\s+/)[0] || "Unknown";
}

function rowOf(
  rs: RouteServerConfig,
  protocol: string,
  target: Target,
  status: ProtocolStatus,
  collectedAt: string,
  ttl: number,
): BgpSessionItem {
  const channel = status.channels.find((c) => c.name === target.family) ?? status.channels[0];
  // ZT-IX renders a receive limit; an import limit stands in where a route server has that.
  const limit = channel?.receiveLimit ?? channel?.importLimit;
  const routes = channel?.routes;
  return {
    routeServerId: rs.id,
    protocol,
    requestId: target.item.requestId,
    family: target.family,
    network: target.item.network,
    asn: target.item.asn,
    nodeId: target.item.nodeId,
    birdState: status.state,
    bgpState: bgpStateOf(status),
    ...(status.since?.at ? { since: status.since.at } : {}),
    ...(status.info ? { info: status.info } : {}),
    ...(status.lastError ? { lastError: status.lastError } : {}),
    imported: routes?.imported ?? 0,
    filtered: routes?.filtered ?? 0,
    exported: routes?.exported ?? 0,
    preferred: routes?.preferred ?? 0,
    ...(limit ? { receiveLimit: limit.limit } : {}),
    limitHit: limit?.hit ?? false,
    ...(limit?.action ? { limitAction: limit.action } : {}),
    ...(status.neighborAddress ? { neighborAddress: status.neighborAddress } : {}),
    collectedAt,
    ttl,
  };
}

/** Every member protocol the route server should have, from the desired state of its networks. */
async function managedProtocols(deps: WorkerDeps, rs: RouteServerConfig): Promise<Map<string, Target>> {
  const lists = await Promise.all(
    servedNetworks(deps.config, rs).map((n) => desiredMembersOfNetwork(deps.data, n.suffix)),
  );
  const out = new Map<string, Target>();
  for (const item of lists.flat()) {
    for (const family of ["ipv4", "ipv6"] as const) {
      if (!item[family]) continue;
      out.set(memberProtocolName(item, family), { item, family });
    }
  }
  return out;
}

/** BatchWrite with one more try of what DynamoDB left unprocessed (the next run covers the rest). */
async function batchPut(entity: ReturnType<typeof statusEntities>["bgpSession"], rows: BgpSessionItem[]) {
  if (rows.length === 0) return;
  const out = await entity.put(rows).go();
  if (out.unprocessed.length > 0) {
    const keys = new Set(out.unprocessed.map((k) => `${k.routeServerId} ${k.protocol}`));
    await entity.put(rows.filter((r) => keys.has(`${r.routeServerId} ${r.protocol}`))).go();
  }
}

/**
 * Reads the BGP sessions of every member the route server should carry (`show protocols all`,
 * up to 500 protocols per remote command) and stores them: a row is written when none is
 * stored, when its protocol now belongs to another request, or when the stored one is at least
 * a minute old (so at most one write per session per minute, in BatchWrites); rows of
 * protocols the route server does not have (any more) are deleted. A route server that cannot
 * be read is recorded as such on its collection record, and the job ends: nothing fails, the
 * next schedule or refresh reads it again.
 */
export async function collectSessions(deps: WorkerDeps, job: CollectSessionsJob): Promise<CollectReport> {
  const base = { protocols: 0, written: 0, deleted: 0, unchanged: 0 };
  const rs = deps.config.route_servers.find((r) => r.id === job.routeServerId);
  if (!rs) return { ...base, status: "unknown_route_server" };
  const { bgpSession, sessionCollection } = statusEntities(deps.data);
  const collection = (await sessionCollection.get({ routeServerId: rs.id }).go({ consistent: true })).data;
  // A collection that started after this one was asked for has already answered it.
  if (collection?.lastAttemptAt && collection.lastAttemptAt > job.requestedAt) {
    return { ...base, status: "coalesced" };
  }
  const startedAt = deps.now().toISOString();
  await sessionCollection
    .update({ routeServerId: rs.id })
    .set({ lastAttemptAt: startedAt, updatedAt: startedAt })
    .go({ response: "none" });

  const [targets, stored] = await Promise.all([
    managedProtocols(deps, rs),
    bgpSession.query
      .byRouteServer({ routeServerId: rs.id })
      .go({ pages: "all" })
      .then((r) => r.data),
  ]);
  const protocols = [...targets.keys()].sort();
  const reports: SessionReport[] = [];
  let birdVersion: string | undefined;
  try {
    const lg = new LookingGlass(
      deps.connections.get(rs),
      rs,
      { timeLimitMs: COLLECT_TIME_LIMIT_MS, protocolsPerCommand: PROTOCOLS_PER_CALL },
      () => deps.now().getTime(),
    );
    // An empty list still reads `show status`: the route server's reachability is news too.
    for (let i = 0; i === 0 || i < protocols.length; i += PROTOCOLS_PER_CALL) {
      const report = await lg.sessions(protocols.slice(i, i + PROTOCOLS_PER_CALL));
      birdVersion ??= report.status.version;
      reports.push(...report.sessions);
    }
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const errorCode = typeof code === "string" ? code : "route_server_unreachable";
    const message = (e instanceof Error ? e.message : String(e)).slice(0, 1000);
    const at = deps.now().toISOString();
    deps.log.warn("route server sessions could not be read", { errorCode, err: e });
    await sessionCollection
      .update({ routeServerId: rs.id })
      .set({ reachable: false, errorCode, error: message, errorAt: at, updatedAt: at })
      .go({ response: "none" });
    return { ...base, protocols: protocols.length, status: "unreachable", errorCode };
  }

  const collectedAt = deps.now().toISOString();
  const nowMs = Date.parse(collectedAt);
  const ttl = Math.floor(nowMs / 1000) + SESSION_TTL_SECONDS;
  const storedBy = new Map(stored.map((s) => [s.protocol, s]));
  const keep = new Set<string>();
  const puts: BgpSessionItem[] = [];
  let unchanged = 0;
  for (const report of reports) {
    const target = targets.get(report.protocol);
    if (!target) continue;
    const old = storedBy.get(report.protocol);
    if (!report.status) {
      // Not configured there (not applied yet, or refused): no session to show. Any other
      // problem (an error, the size cap) keeps what was stored.
      if (report.problem?.kind !== "unknown_protocol" && old?.requestId === target.item.requestId)
        keep.add(report.protocol);
      continue;
    }
    keep.add(report.protocol);
    const due =
      !old ||
      old.requestId !== target.item.requestId ||
      nowMs - Date.parse(old.collectedAt) >= SESSION_WRITE_INTERVAL_MS;
    if (!due) {
      unchanged += 1;
      continue;
    }
    puts.push(rowOf(rs, report.protocol, target, report.status, collectedAt, ttl));
  }
  const gone = stored.filter((s) => !keep.has(s.protocol));
  await batchPut(bgpSession, puts);
  if (gone.length > 0) {
    await bgpSession.delete(gone.map((s) => ({ routeServerId: s.routeServerId, protocol: s.protocol }))).go();
  }
  await sessionCollection
    .update({ routeServerId: rs.id })
    .set({
      reachable: true,
      lastCollectedAt: collectedAt,
      sessions: keep.size,
      ...(birdVersion ? { birdVersion } : {}),
      updatedAt: collectedAt,
    })
    .remove(["errorCode", "error", "errorAt"])
    .go({ response: "none" });
  const out: CollectReport = {
    status: "collected",
    protocols: protocols.length,
    written: puts.length,
    deleted: gone.length,
    unchanged,
  };
  deps.log.info("route server sessions collected", { ...out, reason: job.reason });
  return out;
}

/** The queue job: a failure of our own storage is redelivered by SQS; the route server's is recorded. */
export function processCollectSessions(deps: WorkerDeps, job: CollectSessionsJob): Promise<JobOutcome> {
  const correlationId = job.correlationId ?? `sessions-${job.routeServerId}-${job.requestedAt}`;
  return withLogContext(
    { requestId: `rs-status:${job.routeServerId}`, correlationId, reason: job.reason },
    async (): Promise<JobOutcome> => {
      try {
        const report = await collectSessions(deps, job);
        return report.status === "collected"
          ? { action: "ack", result: "refreshed", reason: "sessions_collected" }
          : { action: "ack", result: "skipped", reason: report.status };
      } catch (e) {
        deps.log.error("session collection failed; retried by redelivery", { err: e });
        return { action: "retry", reason: "collect_sessions_failed" };
      }
    },
  );
}
