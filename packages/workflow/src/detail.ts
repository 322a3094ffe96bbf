import { auditTrail, type DataService, getRequest, routeServerStates, syncsOfRequest } from "@ztix/data";

/**
 * Everything the detail pages show about one request, read in one parallel round: the
 * request (strongly consistent), its membership, its per-route-server state, its audit trail
 * and, with route servers configured, their recorded state (one BatchGet). Four or five calls
 * whatever the table holds.
 */
export async function loadRequestBundle(
  data: DataService,
  requestId: string,
  routeServerIds: readonly string[] = [],
) {
  const [request, membership, syncs, events, servers] = await Promise.all([
    getRequest(data, requestId),
    data.entities.membership.get({ requestId }).go(),
    syncsOfRequest(data, requestId),
    auditTrail(data, `request#${requestId}`),
    routeServerStates(data, routeServerIds),
  ]);
  return { request, membership: membership.data, syncs, events, servers };
}

export type RequestBundle = Awaited<ReturnType<typeof loadRequestBundle>>;
