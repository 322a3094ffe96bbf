import type { RouteServerMemberItem } from "./entities/route-server-member.ts";
import type { RouteServerStateItem } from "./entities/route-server-state.ts";
import type { RouteServerSyncItem } from "./entities/route-server-sync.ts";
import type { DataService } from "./service.ts";

/** Desired members of one network, by (asn, node): one strongly consistent Query, paged. */
export async function desiredMembersOfNetwork(
  data: DataService,
  network: string,
): Promise<RouteServerMemberItem[]> {
  const out = await data.entities.routeServerMember.query
    .byNetwork({ network })
    .go({ pages: "all", consistent: true });
  return out.data;
}

/** What the reconciles of one route server recorded per request (consistent, paged). */
export async function syncsOfRouteServer(
  data: DataService,
  routeServerId: string,
): Promise<RouteServerSyncItem[]> {
  const out = await data.entities.routeServerSync.query
    .byRouteServer({ routeServerId })
    .go({ pages: "all", consistent: true });
  return out.data;
}

/** One request's record on each route server, for detail pages (eventually consistent index). */
export async function syncsOfRequest(data: DataService, requestId: string): Promise<RouteServerSyncItem[]> {
  const out = await data.entities.routeServerSync.query.byRequest({ requestId }).go({ pages: "all" });
  return out.data;
}

/** One request's records on the given route servers, read consistently (activation decisions). */
export async function syncsOfRequestOn(
  data: DataService,
  requestId: string,
  routeServerIds: readonly string[],
): Promise<RouteServerSyncItem[]> {
  if (routeServerIds.length === 0) return [];
  const out = await data.entities.routeServerSync
    .get(routeServerIds.map((routeServerId) => ({ routeServerId, requestId })))
    .go({ consistent: true });
  return out.data;
}

/** The recorded state of each route server asked for (absent ones are left out). */
export async function routeServerStates(
  data: DataService,
  routeServerIds: readonly string[],
  options: { consistent?: boolean } = {},
): Promise<RouteServerStateItem[]> {
  if (routeServerIds.length === 0) return [];
  const out = await data.entities.routeServerState
    .get(routeServerIds.map((routeServerId) => ({ routeServerId })))
    .go({ consistent: options.consistent ?? false });
  return out.data;
}

export async function routeServerState(
  data: DataService,
  routeServerId: string,
): Promise<RouteServerStateItem | null> {
  const out = await data.entities.routeServerState.get({ routeServerId }).go({ consistent: true });
  return out.data;
}
