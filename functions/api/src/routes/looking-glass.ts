import { isAppError } from "@ztix/core";
import {
  createLookingGlassQuery,
  lookingGlassQuerySchema,
  lookingGlassQueryView,
  type Viewer,
} from "@ztix/workflow";
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { authOf, requireAdmin, requireUser } from "../middleware/guards.ts";
import { requestIdParam } from "../schemas/params.ts";
import { parseJsonBody } from "../validation.ts";

/**
 * A looking glass of one membership's own sessions, through the queue: the API stores the
 * query and queues it; the VPC worker runs it on the route server (only the member's own
 * protocols, taken from the request's desired state) and stores the answer, which the client
 * polls. A query belongs to the request it was made for: read through any other, it is a 404.
 * Each user may ask 10 queries a minute (429 with `Retry-After` beyond).
 *
 * DynamoDB calls per route (plus the session's):
 * | route                                         | calls after session                                          |
 * |-----------------------------------------------|--------------------------------------------------------------|
 * | POST /requests/{id}/looking-glass             | 1 GetItem + 1 Query (ASNs) + 1 UpdateItem (throttle) + 1 PutItem; 1 SQS send |
 * | GET  /requests/{id}/looking-glass/{query_id}  | 2 GetItem + 1 Query (ASNs)                                   |
 * | admin variants                                | as above, without the ASN Query                              |
 */
const viewerOf = (c: Context<AppEnv>, kind: Viewer["kind"]): Viewer => ({
  kind,
  userId: authOf(c).user.userId,
});

async function ask(c: Context<AppEnv>, kind: Viewer["kind"]) {
  const id = requestIdParam(c.req.param("id"));
  const body = await parseJsonBody(c, lookingGlassQuerySchema);
  try {
    const out = await createLookingGlassQuery(c.get("deps"), viewerOf(c, kind), id, body, {
      correlationId: c.get("correlationId"),
    });
    return c.json({ query_id: out.queryId, status: "pending" as const }, 202);
  } catch (e) {
    if (isAppError(e) && e.code === "too_many_requests") {
      c.header("Retry-After", String(e.details.retry_after_seconds ?? 60));
    }
    throw e;
  }
}

async function read(c: Context<AppEnv>, kind: Viewer["kind"]) {
  const out = await lookingGlassQueryView(
    c.get("deps"),
    viewerOf(c, kind),
    requestIdParam(c.req.param("id")),
    c.req.param("queryId") ?? "",
  );
  return c.json(out);
}

export const lookingGlassRoutes = new Hono<AppEnv>()
  .post("/requests/:id/looking-glass", requireUser, (c) => ask(c, "operator"))
  .get("/requests/:id/looking-glass/:queryId", requireUser, (c) => read(c, "operator"))
  .post("/admin/requests/:id/looking-glass", requireAdmin, (c) => ask(c, "admin"))
  .get("/admin/requests/:id/looking-glass/:queryId", requireAdmin, (c) => read(c, "admin"));
