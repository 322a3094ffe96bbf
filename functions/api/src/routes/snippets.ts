import { adminRequestSnippets, operatorRequestSnippets } from "@ztix/workflow";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { authOf, requireAdmin, requireUser } from "../middleware/guards.ts";
import { requestIdParam } from "../schemas/params.ts";

/**
 * Router snippets for the member's side of its route-server sessions (BIRD 2, FRR, Junos,
 * IOS-XR, RouterOS 7), filled with its addresses, the route servers' ASN and addresses and
 * the limits they apply. Only for a membership being provisioned or active that has an address
 * (409 otherwise); an operator's request of another ASN is a 404.
 *
 * DynamoDB calls per route (plus the session's):
 * | route                                | calls after session                                           |
 * |--------------------------------------|---------------------------------------------------------------|
 * | GET /requests/{id}/snippets          | 1 Query (ASNs) + 1 GetItem; then 3 GetItem + 1 BatchGetItem (IRR lists) |
 * | GET /admin/requests/{id}/snippets    | 1 GetItem; then 3 GetItem + 1 BatchGetItem                    |
 */
export const snippetsRoutes = new Hono<AppEnv>()
  .get("/requests/:id/snippets", requireUser, async (c) => {
    const out = await operatorRequestSnippets(
      c.get("deps"),
      authOf(c).user.userId,
      requestIdParam(c.req.param("id")),
    );
    return c.json(out);
  })
  .get("/admin/requests/:id/snippets", requireAdmin, async (c) => {
    return c.json(await adminRequestSnippets(c.get("deps"), requestIdParam(c.req.param("id"))));
  });
