import {
  adminRequestDetail,
  approveRequest,
  asnRequestsView,
  auditView,
  deciderView,
  dispatchView,
  listAdminRequests,
  listRouteServers,
  membershipView,
  networkView,
  nodeCheckView,
  peeringDbContextView,
  personView,
  reconcileRouteServerNow,
  rejectRequest,
  removeMembership,
  requestNodeCheck,
  requestView,
  retryRequest,
  routeServersView,
} from "@ztix/workflow";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { authOf, requireAdmin } from "../middleware/guards.ts";
import { parseOptionalJsonBody } from "../schemas/body.ts";
import { requestIdParam, routeServerIdParam } from "../schemas/params.ts";
import {
  adminListQuerySchema,
  emptyBodySchema,
  rejectBodySchema,
  removeBodySchema,
} from "../schemas/requests.ts";
import { parseJsonBody, parseQuery } from "../validation.ts";

/**
 * Admin request routes (mounted under /api/v1); 401 signed out, 403 for non-admins.
 *
 * DynamoDB calls per route (measured in admin.test.ts; plus 2 GetItem for the session):
 * | route                                  | calls after session                                  |
 * |----------------------------------------|------------------------------------------------------|
 * | GET /admin/requests?status=S           | 1 Query per named status (byStatus)                  |
 * | GET /admin/requests (no status)        | 9 Query, one per status partition (byStatus)         |
 * | GET /admin/requests?zt_network_id=N    | 1 Query per status (byNetworkStatus)                 |
 * | GET /admin/requests?asn=A[&...]        | Query on the ASN's partition (byAsn; filters paged   |
 * |                                        | within it only when status/network are filters)      |
 * |   every listing, page not empty        | + 1 BatchGetItem (the page's distinct requesters)    |
 * | GET /admin/requests/{id}               | 2 GetItem + 2 Query (request, membership, RS, audit) |
 * |                                        | + 1 GetItem (PeeringDB record) + 1 Query (byAsn)     |
 * |                                        | + 1 BatchGetItem (requester, decider, timeline), +1  |
 * |                                        |   when the ASN's other requests name other people    |
 * | POST /admin/requests/{id}/inspect      | 1 GetItem + 1 UpdateItem (30 s throttle); 2 SQS sends|
 * | POST /admin/requests/{id}/approve      | 1 GetItem + 1 TransactWrite (+1 PutItem on a lost    |
 * | POST /admin/requests/{id}/retry        |  enqueue; +1 GetItem when another admin won)         |
 * | POST /admin/requests/{id}/reject       | 1 GetItem + 1 TransactWrite                          |
 * | GET /admin/route-servers               | 1 BatchGetItem (every route server's state)          |
 * | POST /admin/route-servers/{id}/reconcile | 1 UpdateItem + 1 PutItem (audit); 1 SQS send        |
 */
export const adminRoutes = new Hono<AppEnv>()
  .use("/admin/*", requireAdmin)
  .get("/admin/requests", async (c) => {
    const q = parseQuery(c, adminListQuerySchema);
    const page = await listAdminRequests(c.get("deps"), {
      statuses: q.status,
      asn: q.asn,
      networkId: q.zt_network_id,
      minAgeMinutes: q.min_age_minutes,
      order: q.order,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({
      items: page.items.map((r) => ({
        ...requestView(r, "admin", c.get("deps").config),
        requester: personView(r.userId, page.requesters.get(r.userId)),
      })),
      next_cursor: page.nextCursor ?? null,
    });
  })
  .get("/admin/requests/:id", async (c) => {
    const deps = c.get("deps");
    const detail = await adminRequestDetail(deps, requestIdParam(c.req.param("id")));
    return c.json({
      request: {
        ...requestView(detail.request, "admin", deps.config),
        requester: personView(detail.request.userId, detail.people.get(detail.request.userId)),
        decider: deciderView(detail.request.decidedBy, detail.people),
      },
      network: networkView(deps.config, detail.request.networkId),
      membership: membershipView(detail.membership),
      route_servers: routeServersView(
        deps.config,
        detail.request.networkId,
        detail.syncs,
        detail.servers,
        "admin",
      ),
      events: detail.events.map((e) => auditView(e, "admin", detail.people)),
      // What an admin decides on: the ASN's PeeringDB record, its other requests and
      // memberships, and whether the node asked the controller to join.
      context: {
        peeringdb: peeringDbContextView(detail.peeringDb, detail.request.requestId, deps.config, deps.now()),
        asn_requests: asnRequestsView(
          detail.asnRequests,
          detail.asnRequestsTruncated,
          detail.people,
          deps.config,
        ),
        node: nodeCheckView(detail.request, deps.now()),
      },
    });
  })
  .post("/admin/requests/:id/inspect", async (c) => {
    await parseOptionalJsonBody(c, emptyBodySchema);
    const deps = c.get("deps");
    const out = await requestNodeCheck(deps, requestIdParam(c.req.param("id")), c.get("correlationId"));
    return c.json(
      {
        request_id: out.request.requestId,
        queued: out.queued,
        requested_at: out.requestedAt,
        retry_after_seconds: out.retryAfterSeconds,
        policy_data_queued: out.policyDataQueued,
        node: nodeCheckView(out.request, deps.now()),
      },
      out.queued ? 202 : 200,
    );
  })
  .post("/admin/requests/:id/approve", async (c) => {
    const id = requestIdParam(c.req.param("id"));
    await parseOptionalJsonBody(c, emptyBodySchema);
    const out = await approveRequest(c.get("deps"), authOf(c).user.userId, id);
    return c.json({
      request: requestView(out.request, "admin", c.get("deps").config),
      dispatch: dispatchView(out.dispatch),
    });
  })
  .post("/admin/requests/:id/reject", async (c) => {
    const id = requestIdParam(c.req.param("id"));
    const body = await parseJsonBody(c, rejectBodySchema);
    const request = await rejectRequest(c.get("deps"), authOf(c).user.userId, id, body.reason);
    return c.json({ request: requestView(request, "admin", c.get("deps").config) });
  })
  .get("/admin/route-servers", async (c) => {
    return c.json({ items: await listRouteServers(c.get("deps")) });
  })
  .post("/admin/route-servers/:id/reconcile", async (c) => {
    await parseOptionalJsonBody(c, emptyBodySchema);
    const id = routeServerIdParam(c.req.param("id"));
    const out = await reconcileRouteServerNow(
      c.get("deps"),
      { type: "admin", id: authOf(c).user.userId },
      id,
    );
    return c.json(out, 202);
  })
  .post("/admin/requests/:id/remove", async (c) => {
    const id = requestIdParam(c.req.param("id"));
    const body = await parseJsonBody(c, removeBodySchema);
    const out = await removeMembership(c.get("deps"), authOf(c).user.userId, id, body.reason);
    return c.json({
      request: requestView(out.request, "admin", c.get("deps").config),
      dispatch: dispatchView(out.dispatch),
    });
  })
  .post("/admin/requests/:id/retry", async (c) => {
    const id = requestIdParam(c.req.param("id"));
    await parseOptionalJsonBody(c, emptyBodySchema);
    const out = await retryRequest(c.get("deps"), authOf(c).user.userId, id);
    return c.json({
      request: requestView(out.request, "admin", c.get("deps").config),
      dispatch: dispatchView(out.dispatch),
    });
  });
