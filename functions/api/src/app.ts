import { AppError } from "@ztix/core";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppDeps, AppEnv } from "./env.ts";
import { csrfMiddleware } from "./middleware/csrf.ts";
import { handleError, notFound } from "./middleware/errors.ts";
import { frontGuard } from "./middleware/front.ts";
import { requestContext } from "./middleware/request-context.ts";
import { sessionMiddleware } from "./middleware/session.ts";
import { adminRoutes } from "./routes/admin.ts";
import { authRoutes } from "./routes/auth.ts";
import { healthRoutes } from "./routes/health.ts";
import { lookingGlassRoutes } from "./routes/looking-glass.ts";
import { onboardingRoutes } from "./routes/onboarding.ts";
import { policyRoutes } from "./routes/policy.ts";
import { requestsRoutes } from "./routes/requests.ts";
import { sessionsRoutes } from "./routes/sessions.ts";
import { snippetsRoutes } from "./routes/snippets.ts";

/** JSON bodies are small; anything bigger is refused before it is read. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * The whole HTTP API under /api/v1, with no runtime in it: Lambda (lambda.ts), the local
 * Node server (server.ts) and tests (`app.request(...)`) all wrap this one app.
 */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.notFound(notFound);
  const api = new Hono<AppEnv>();
  api.use(requestContext(deps));
  // Before the body, the session (a table read) or anything else: an unproven request costs nothing.
  api.use(frontGuard(deps.front ?? { kind: "direct", trustedProxies: [] }));
  api.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError("payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  api.use(sessionMiddleware);
  api.use(csrfMiddleware);
  api.route("/", healthRoutes);
  api.route("/", authRoutes);
  api.route("/", onboardingRoutes);
  api.route("/", requestsRoutes);
  api.route("/", policyRoutes);
  api.route("/", sessionsRoutes);
  api.route("/", lookingGlassRoutes);
  api.route("/", snippetsRoutes);
  api.route("/", adminRoutes);
  // Registered last, and as a route (not notFound) so it still applies when this app is mounted.
  api.all("*", notFound);
  app.route("/api/v1", api);
  return app;
}

export type App = ReturnType<typeof createApp>;
