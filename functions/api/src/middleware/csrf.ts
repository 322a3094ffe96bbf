import { randomToken, safeEqual } from "@ztix/auth";
import { AppError } from "@ztix/core";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { CSRF_COOKIE, CSRF_HEADER, setCsrfCookie } from "../cookies.ts";
import type { AppEnv } from "../env.ts";

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

// The token a safe request's CSRF cookie holds after this middleware (what GET /auth/csrf reports).
const issuedTokens = new WeakMap<Request, string>();

/** The CSRF token the browser holds for this (safe) request, once the middleware has run. */
export function csrfTokenOf(c: { req: { raw: Request } }): string | undefined {
  return issuedTokens.get(c.req.raw);
}

/**
 * CSRF defence on every state-changing route: the `Origin` (or `Referer`) must be our public
 * origin, and the `x-csrf-token` header must equal the CSRF cookie (double submit) and, once
 * signed in, the token bound to the session. Safe requests get the cookie if they lack one.
 */
export const csrfMiddleware = createMiddleware<AppEnv>(async function csrfProtection(c, next) {
  const { config } = c.get("deps");
  const cookie = getCookie(c, CSRF_COOKIE);
  if (safeMethods.has(c.req.method)) {
    // Signed in, the token is the session's (a stale cookie is replaced); otherwise keep or mint one.
    const token = c.get("auth")?.session.csrfToken ?? cookie ?? randomToken();
    if (token !== cookie) setCsrfCookie(c, config, token);
    issuedTokens.set(c.req.raw, token);
    return next();
  }
  const expectedOrigin = new URL(config.public_url).origin;
  const origin = c.req.header("origin") ?? originOf(c.req.header("referer"));
  if (origin !== expectedOrigin) {
    throw new AppError("csrf_failed", "cross-origin request refused", { reason: "origin" });
  }
  const header = c.req.header(CSRF_HEADER) ?? "";
  if (!cookie || !header || !safeEqual(cookie, header)) {
    throw new AppError("csrf_failed", "missing or mismatched CSRF token", { reason: "token" });
  }
  const auth = c.get("auth");
  if (auth && !safeEqual(auth.session.csrfToken, header)) {
    throw new AppError("csrf_failed", "CSRF token does not belong to this session", { reason: "session" });
  }
  return next();
});

function originOf(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
