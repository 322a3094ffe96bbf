import { loadSession } from "@ztix/auth";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";

/** Attaches the signed-in user when a live session cookie came with the request. */
export const sessionMiddleware = createMiddleware<AppEnv>(async function attachSession(c, next) {
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
  }
  await next();
});
