import { refreshRequestSessions, requestSessionsView, type Viewer } from "@ztix/workflow";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { authOf, requireAdmin, requireUser } from "../middleware/guards.ts";
import { parseOptionalJsonBody } from "../schemas/body.ts";
import { requestIdParam } from "../schemas/params.ts";
import { emptyBodySchema } from "../schemas/requests.ts";

/**
 * A membership's live BGP sessions, as the VPC worker last read them from each route server
 * (the API never reaches a route server), and an on-demand refresh through the queue.
 * Operators see requests of their ASNs only (any other is a 404) and never the collection's
 * raw errors; admins see every request and, per route server, the error as `error`.
 *
 * DynamoDB calls per route (plus the session's):
 * | route                                        | calls after session                                        |
 * |----------------------------------------------|------------------------------------------------------------|
 * | GET /requests/{id}/sessions                  | 1 GetItem + 1 Query (ASNs) + 2 Query + 1 BatchGetItem       |
 * | GET /admin/requests/{id}/sessions            | 1 GetItem + 2 Query + 1 BatchGetItem                        |
 * | POST /requests/{id}/sessions/refresh         | 1 GetItem + 1 Query (ASNs) + 1 UpdateItem per route server; 1 SQS send per queued |
 * | POST /admin/requests/{id}/sessions/refresh   | 1 GetItem + 1 UpdateItem per route server; 1 SQS send per queued |
 */
const viewerOf = (c: Context<AppEnv>, kind: Viewer["kind"]): Viewer => ({
  kind,
  userId: authOf(c).user.userId,
});

async function read(c: Context<AppEnv>, kind: Viewer["kind"]) {
  const out = await requestSessionsView(c.get("deps"), viewerOf(c, kind), requestIdParam(c.req.param("id")));
  return c.json({ route_servers: out.route_servers });
}

async function refresh(c: Context<AppEnv>, kind: Viewer["kind"]) {
  const id = requestIdParam(c.req.param("id"));
  await parseOptionalJsonBody(c, emptyBodySchema);
  const out = await refreshRequestSessions(c.get("deps"), viewerOf(c, kind), id, {
    correlationId: c.get("correlationId"),
  });
  return c.json({ queued: out.queued, fresh: out.fresh }, 202);
}

export const sessionsRoutes = new Hono<AppEnv>()
  .get("/requests/:id/sessions", requireUser, (c) => read(c, "operator"))
  .post("/requests/:id/sessions/refresh", requireUser, (c) => refresh(c, "operator"))
  .get("/admin/requests/:id/sessions", requireAdmin, (c) => read(c, "admin"))
  .post("/admin/requests/:id/sessions/refresh", requireAdmin, (c) => refresh(c, "admin"));
