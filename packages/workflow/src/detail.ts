import { auditTrail, type DataService, getRequest } from "@ztix/data";

/**
 * Everything the detail pages show about one request, read in one parallel round: the
 * request (strongly consistent), its membership, its per-route-server state and its audit
 * trail. Four calls whatever the table holds; all keyed by the request id.
 */
export async function loadRequestBundle(data: DataService, requestId: string) {
  const [request, membership, syncs, events] = await Promise.all([
    getRequest(data, requestId),
    data.entities.membership.get({ requestId }).go(),
    data.entities.routeServerSync.query.byRequest({ requestId }).go({ pages: "all" }),
    auditTrail(data, `request#${requestId}`),
  ]);
  return { request, membership: membership.data, syncs: syncs.data, events };
}

export type RequestBundle = Awaited<ReturnType<typeof loadRequestBundle>>;
