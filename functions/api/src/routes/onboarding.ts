import { onboardingContext, requestView } from "@ztix/workflow";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { authOf, requireUser } from "../middleware/guards.ts";

/**
 * onboarding routes (mounted under /api/v1).
 * GET /onboarding/context: the user's ASNs (with names), the networks they may join and
 * their open requests. DynamoDB: 2 (session) + 3 in one round (ASNs, networks, access)
 * + 1 per ASN (open requests).
 */
export const onboardingRoutes = new Hono<AppEnv>().get("/onboarding/context", requireUser, async (c) => {
  const { user } = authOf(c);
  const ctx = await onboardingContext(c.get("deps"), user.userId);
  return c.json({
    asns: ctx.asns.map((a) => ({ asn: a.asn, name: a.name ?? null })),
    networks: ctx.networks.map((n) => ({
      zt_network_id: n.networkId,
      name: n.name,
      description: n.description ?? null,
    })),
    open_requests: ctx.open.map((r) => requestView(r, "operator", c.get("deps").config)),
  });
});
