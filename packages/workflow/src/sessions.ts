import { enqueueCollectSessions } from "@ztix/aws";
import { AppError, type CollectSessionsJob, routeServersOfNetwork, splitNetworkId } from "@ztix/core";
import {
  type BgpSessionItem,
  getRequest,
  isConditionFailure,
  type JoinRequestItem,
  type SessionCollectionItem,
  statusEntities,
  syncsOfRequest,
} from "@ztix/data";
import type { WorkflowDeps } from "./deps.ts";
import { userAsns } from "./eligibility.ts";

/** Who reads: an operator sees only requests of ASNs they hold; an admin sees every request. */
export type Viewer = { kind: "operator"; userId: string } | { kind: "admin"; userId: string };

/** An on-demand collection is not asked for again while the last one is younger than this. */
export const SESSION_REFRESH_MIN_SECONDS = 30;

/**
 * A request the viewer may see, or 404: an operator asking about a request of an ASN they do
 * not hold gets the same answer as for one that does not exist, so ids cannot be probed.
 */
export async function requestForViewer(
  deps: WorkflowDeps,
  viewer: Viewer,
  requestId: string,
): Promise<JoinRequestItem> {
  const [request, asns] = await Promise.all([
    getRequest(deps.data, requestId),
    viewer.kind === "operator" ? userAsns(deps.data, viewer.userId) : Promise.resolve(null),
  ]);
  if (!request || (asns && !asns.some((a) => a.asn === request.asn))) {
    throw new AppError("not_found", "no such request", { request_id: requestId });
  }
  return request;
}

/** The configured route servers that serve the request's network, in config order. */
export function routeServersOfRequest(deps: Pick<WorkflowDeps, "config">, request: { networkId: string }) {
  const { suffix } = splitNetworkId(request.networkId);
  return routeServersOfNetwork(deps.config.route_servers, deps.config.networks, suffix);
}

/** Queues a session collection of each route server, in its status group (`rs-status:<id>`). */
export async function requestSessionCollection(
  deps: Pick<WorkflowDeps, "sqs" | "queueUrl" | "now">,
  routeServerIds: readonly string[],
  reason: CollectSessionsJob["reason"],
  options: { correlationId?: string; dedupKey?: string } = {},
): Promise<void> {
  const requestedAt = deps.now().toISOString();
  await Promise.all(
    routeServerIds.map((routeServerId) =>
      enqueueCollectSessions(
        deps.sqs,
        deps.queueUrl,
        {
          kind: "collect_sessions",
          routeServerId,
          reason,
          requestedAt,
          ...(options.correlationId ? { correlationId: options.correlationId } : {}),
        },
        options.dedupKey,
      ),
    ),
  );
}

/**
 * Asks for a fresh read of the sessions on the route servers of a request's network: one
 * collection per route server, unless one ran or was asked for in the last 30 s (`fresh`).
 * The stamp is a conditional write, so parallel clicks queue one collection, not many.
 */
export async function refreshRequestSessions(
  deps: WorkflowDeps,
  viewer: Viewer,
  requestId: string,
  options: { correlationId?: string } = {},
): Promise<{ queued: string[]; fresh: string[] }> {
  const request = await requestForViewer(deps, viewer, requestId);
  const { sessionCollection } = statusEntities(deps.data);
  const now = deps.now();
  const at = now.toISOString();
  const cutoff = new Date(now.getTime() - SESSION_REFRESH_MIN_SECONDS * 1000).toISOString();
  const queued: string[] = [];
  const fresh: string[] = [];
  for (const rs of routeServersOfRequest(deps, request)) {
    try {
      await sessionCollection
        .update({ routeServerId: rs.id })
        .set({ lastRequestedAt: at, updatedAt: at })
        .where(
          ({ lastRequestedAt, lastAttemptAt }, { notExists, lte }) =>
            `(${notExists(lastRequestedAt)} OR ${lte(lastRequestedAt, cutoff)}) AND (${notExists(lastAttemptAt)} OR ${lte(lastAttemptAt, cutoff)})`,
        )
        .go({ response: "none" });
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      fresh.push(rs.id);
      continue;
    }
    queued.push(rs.id);
  }
  if (queued.length > 0) {
    await requestSessionCollection(deps, queued, "on_demand", {
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
    });
  }
  return { queued, fresh };
}

/** BIRD's BGP `Last error` prefixes: words about the member's own session, safe to show it. */
const SESSION_ERROR = /^(Error|Socket|Received|BGP Error|Automatic shutdown|Kernel): [\x20-\x7e]{1,200}$/;

function sessionView(row: BgpSessionItem, audience: Viewer["kind"]) {
  const info = row.lastError ?? null;
  return {
    family: row.family,
    protocol: row.protocol,
    state: row.bgpState,
    established: row.bgpState === "Established",
    since: row.since ?? null,
    // What BIRD says went wrong with the session; for operators only in BIRD's BGP words.
    info: audience === "admin" || (info !== null && SESSION_ERROR.test(info)) ? info : null,
    routes: {
      received: row.imported + row.filtered,
      accepted: row.imported,
      filtered: row.filtered,
      exported: row.exported,
    },
    receive_limit: row.receiveLimit ?? null,
    limit_hit: row.limitHit,
  };
}

/**
 * A request's live BGP sessions on each route server of its network, as the worker last read
 * them: whether the member's file is applied there (`configured`), whether the sessions are up,
 * and how old the reading is. Three reads: the sessions (one Query on the request), the
 * request's route-server records (one Query) and the collections' state (one BatchGet).
 */
export async function requestSessionsView(deps: WorkflowDeps, viewer: Viewer, requestId: string) {
  const request = await requestForViewer(deps, viewer, requestId);
  const servers = routeServersOfRequest(deps, request);
  const { bgpSession, sessionCollection } = statusEntities(deps.data);
  const [sessions, syncs, collections] = await Promise.all([
    bgpSession.query
      .byRequest({ requestId: request.requestId })
      .go({ pages: "all" })
      .then((r) => r.data),
    syncsOfRequest(deps.data, request.requestId),
    servers.length === 0
      ? Promise.resolve([] as SessionCollectionItem[])
      : sessionCollection
          .get(servers.map((rs) => ({ routeServerId: rs.id })))
          .go()
          .then((r) => r.data),
  ]);
  const now = deps.now().getTime();
  const collectionOf = new Map(collections.map((c) => [c.routeServerId, c]));
  const syncOf = new Map(syncs.map((s) => [s.routeServerId, s]));
  const familyOrder = (f: string) => (f === "ipv4" ? 0 : 1);
  return {
    request,
    route_servers: servers.map((rs) => {
      const rows = sessions
        .filter((s) => s.routeServerId === rs.id)
        .sort((a, b) => familyOrder(a.family) - familyOrder(b.family));
      const collection = collectionOf.get(rs.id);
      // The oldest reading shown is the age of the whole block: never fresher than its data.
      const collectedAt =
        rows.length > 0 ? rows.map((r) => r.collectedAt).sort()[0]! : (collection?.lastCollectedAt ?? null);
      return {
        route_server_id: rs.id,
        asn: rs.asn,
        configured: syncOf.get(rs.id)?.state === "in_sync",
        collected_at: collectedAt,
        age_seconds:
          collectedAt === null ? null : Math.max(0, Math.round((now - Date.parse(collectedAt)) / 1000)),
        reachable: collection?.reachable ?? null,
        ...(viewer.kind === "admin"
          ? {
              error: collection?.reachable === false ? (collection.error ?? null) : null,
              error_code: collection?.reachable === false ? (collection.errorCode ?? null) : null,
              error_at: collection?.reachable === false ? (collection.errorAt ?? null) : null,
            }
          : {}),
        sessions: rows.map((r) => sessionView(r, viewer.kind)),
      };
    }),
  };
}
