import {
  adminMemberPolicy,
  operatorMemberPolicy,
  policyOverrideSchema,
  requestPolicyDataRefresh,
  setPolicyOverride,
} from "@ztix/workflow";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { authOf, requireAdmin, requireUser } from "../middleware/guards.ts";
import { parseOptionalJsonBody } from "../schemas/body.ts";
import { requestIdParam } from "../schemas/params.ts";
import { emptyBodySchema } from "../schemas/requests.ts";
import { parseJsonBody } from "../validation.ts";

/**
 * What the route servers apply to a membership: limits and where they come from, the IRR
 * objects and their lists' state, the PeeringDB record and its age, and an admin's override.
 *
 * DynamoDB calls per route (plus the session's):
 * | route                                   | calls after session                                    |
 * |-----------------------------------------|--------------------------------------------------------|
 * | GET /requests/{id}/policy               | 1 Query (ASNs) + 3 GetItem + 1 BatchGetItem (IRR lists) |
 * | GET /admin/requests/{id}/policy         | 3 GetItem + 1 BatchGetItem                             |
 * | PUT /admin/requests/{id}/policy-override | 2 GetItem + 1 UpdateItem + 1 PutItem (audit) + 1 UpdateItem per route server; SQS sends |
 * | POST /admin/requests/{id}/refresh-policy-data | 1 GetItem; 1 SQS send                           |
 */
export const policyRoutes = new Hono<AppEnv>()
  .get("/requests/:id/policy", requireUser, async (c) => {
    const out = await operatorMemberPolicy(
      c.get("deps"),
      authOf(c).user.userId,
      requestIdParam(c.req.param("id")),
    );
    return c.json({ request_id: out.request.requestId, ...out.policy });
  })
  .get("/admin/requests/:id/policy", requireAdmin, async (c) => {
    const out = await adminMemberPolicy(c.get("deps"), requestIdParam(c.req.param("id")));
    return c.json({ request_id: out.request.requestId, ...out.policy });
  })
  .put("/admin/requests/:id/policy-override", requireAdmin, async (c) => {
    const id = requestIdParam(c.req.param("id"));
    const body = await parseJsonBody(c, policyOverrideSchema);
    const out = await setPolicyOverride(c.get("deps"), authOf(c).user.userId, id, body);
    return c.json({ request_id: out.requestId, override: out.override, route_servers: out.routeServers });
  })
  .post("/admin/requests/:id/refresh-policy-data", requireAdmin, async (c) => {
    await parseOptionalJsonBody(c, emptyBodySchema);
    const deps = c.get("deps");
    const { request } = await adminMemberPolicy(deps, requestIdParam(c.req.param("id")));
    await requestPolicyDataRefresh(
      deps,
      { scope: "asn", asn: request.asn, irr: true },
      { correlationId: c.get("correlationId"), throwOnFailure: true },
    );
    return c.json({ request_id: request.requestId, asn: request.asn, queued: true }, 202);
  });
