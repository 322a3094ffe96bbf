import { loadSession } from "@ztix/auth";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { clearSessionCookie } from "../cookies.ts";
import type { AppEnv } from "../env.ts";

/** Attaches the signed-in user when a live session cookie came with the request. */
export const sessionMiddleware = createMiddleware<AppEnv>(async function attachSession(c, next) {
  // Health answers without touching sessions: it must work while DynamoDB is down.
  if (c.req.path.endsWith("/api/v1/health")) return next();
  const { config, data, now } = c.get("deps");
  const token = getCookie(c, config.session.cookie_name);
  if (token && token.length <= 128) {
    const session = await loadSession(data, token, config, now());
    if (session) {
      const user = (await data.entities.user.get({ userId: session.userId }).go()).data;
      if (user && !user.disabled) {
        c.set("auth", { user, session });
        c.set("sessionToken", token);
      }
    }
    if (!c.get("auth")) {
      // Say why (the SPA tells "your session expired" from "you are signed out") and drop the dead cookie.
      c.set("sessionExpired", true);
      clearSessionCookie(c, config);
    }
  }
  await next();
});
