import {
  auditView,
  cancelRequest,
  dispatchView,
  leaveMembership,
  listOperatorRequests,
  membershipView,
  networkView,
  operatorRequestDetail,
  requestNodeReplacement,
  requestView,
  routeServersView,
  submitRequest,
} from "@ztix/workflow";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { authOf, requireUser } from "../middleware/guards.ts";
import { parseOptionalJsonBody } from "../schemas/body.ts";
import { requestIdParam } from "../schemas/params.ts";
import {
  emptyBodySchema,
  newRequestBodySchema,
  operatorListQuerySchema,
  replaceNodeBodySchema,
} from "../schemas/requests.ts";
import { parseJsonBody, parseQuery } from "../validation.ts";

/**
 * Operator request routes (mounted under /api/v1). An operator sees the requests of the
 * ASNs they hold; any other request is a 404.
 *
 * DynamoDB calls per route (measured in requests.test.ts; "session" = 2 GetItem by the session
 * middleware, +1 UpdateItem at most once a minute when it slides the idle expiry):
 * | route                         | calls after session                                      |
 * |-------------------------------|----------------------------------------------------------|
 * | POST /requests                | 3 Query (ASNs, networks, access) + 1 TransactWrite       |
 * |   policy_auto                 | + 1 TransactWrite (approve) [+1 PutItem if enqueue fails]|
 * |   duplicate                   | + 1 GetItem (the slot, to name the existing request)     |
 * | GET /requests                 | 1 Query (ASNs) + 1 Query per ASN                         |
 * | GET /requests/{id}            | 1 Query (ASNs) + 1 GetItem + 1 GetItem + 2 Query         |
 * | POST /requests/{id}/cancel    | 1 Query (ASNs) + 1 GetItem + 1 TransactWrite             |
 * | POST /requests/{id}/leave     | 1 Query (ASNs) + 1 GetItem + 1 TransactWrite (+ 1 UpdateItem|
 * |                               |  per route server of the network); SQS sends             |
 * | POST /requests/{id}/replace-node | 1 Query (ASNs) + 1 GetItem + 1 TransactWrite          |
 */
export const requestsRoutes = new Hono<AppEnv>()
  .post("/requests", requireUser, async (c) => {
    const deps = c.get("deps");
    const { user } = authOf(c);
    const body = await parseJsonBody(c, newRequestBodySchema(deps.config));
    const out = await submitRequest(
      deps,
      user,
      { asn: body.asn, networkId: body.zt_network_id, nodeId: body.node_id, notes: body.notes || undefined },
      c.get("correlationId"),
    );
    return c.json(
      {
        request: requestView(out.request, "operator", c.get("deps").config),
        auto_approved: out.autoApproved,
        dispatch: out.dispatch ? dispatchView(out.dispatch) : null,
      },
      201,
    );
  })
  .get("/requests", requireUser, async (c) => {
    const { user } = authOf(c);
    const query = parseQuery(c, operatorListQuerySchema);
    const page = await listOperatorRequests(c.get("deps"), user.userId, query);
    return c.json({
      items: page.items.map((r) => requestView(r, "operator", c.get("deps").config)),
      next_cursor: page.nextCursor ?? null,
    });
  })
  .get("/requests/:id", requireUser, async (c) => {
    const deps = c.get("deps");
    const { user } = authOf(c);
    const detail = await operatorRequestDetail(deps, user.userId, requestIdParam(c.req.param("id")));
    return c.json({
      request: requestView(detail.request, "operator", deps.config),
      network: networkView(deps.config, detail.request.networkId),
      membership: membershipView(detail.membership),
      route_servers: routeServersView(
        deps.config,
        detail.request.networkId,
        detail.syncs,
        detail.servers,
        "operator",
      ),
      events: detail.events.map((e) => auditView(e, "operator")),
    });
  })
  .post("/requests/:id/leave", requireUser, async (c) => {
    const { user } = authOf(c);
    const id = requestIdParam(c.req.param("id"));
    await parseOptionalJsonBody(c, emptyBodySchema);
    const out = await leaveMembership(c.get("deps"), user.userId, id);
    return c.json({
      request: requestView(out.request, "operator", c.get("deps").config),
      dispatch: dispatchView(out.dispatch),
    });
  })
  .post("/requests/:id/replace-node", requireUser, async (c) => {
    const deps = c.get("deps");
    const { user } = authOf(c);
    const id = requestIdParam(c.req.param("id"));
    const body = await parseJsonBody(c, replaceNodeBodySchema);
    const out = await requestNodeReplacement(deps, user.userId, id, body.node_id, c.get("correlationId"));
    return c.json(
      {
        request: requestView(out.request, "operator", c.get("deps").config),
        auto_approved: out.autoApproved,
        dispatch: out.dispatch ? dispatchView(out.dispatch) : null,
      },
      201,
    );
  })
  .post("/requests/:id/cancel", requireUser, async (c) => {
    const { user } = authOf(c);
    const id = requestIdParam(c.req.param("id"));
    await parseOptionalJsonBody(c, emptyBodySchema);
    const request = await cancelRequest(c.get("deps"), user.userId, id);
    return c.json({ request: requestView(request, "operator", c.get("deps").config) });
  });
