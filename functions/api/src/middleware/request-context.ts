import { randomUUID } from "node:crypto";
import { withLogContext } from "@ztix/core";
import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv } from "../env.ts";

const idPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (kept from `x-request-id` when well-formed), a correlation id,
 * a logger carrying both, and one access-log line when it ends.
 */
export function requestContext(deps: AppDeps) {
  return createMiddleware<AppEnv>(async function requestContextMiddleware(c, next) {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && idPattern.test(incoming) ? incoming : randomUUID();
    const incomingCorrelation = c.req.header("x-correlation-id");
    const correlationId =
      incomingCorrelation && idPattern.test(incomingCorrelation) ? incomingCorrelation : requestId;
    c.set("deps", deps);
    c.set("requestId", requestId);
    c.set("correlationId", correlationId);
    c.set("log", deps.log);
    c.header("x-request-id", requestId);
    // Responses are per user: the CDN in front of the API and the browser must never cache them.
    c.header("cache-control", "no-store");
    const started = performance.now();
    await withLogContext({ requestId, correlationId }, async () => {
      await next();
      deps.log.info("http.request", {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        user_id: c.get("auth")?.user.userId,
      });
    });
  });
}
