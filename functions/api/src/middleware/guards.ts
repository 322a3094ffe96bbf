import { AppError } from "@ztix/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Auth } from "../env.ts";

function signInError(expired: boolean | undefined): AppError {
  return expired
    ? new AppError("session_expired", "your session has ended; sign in again")
    : new AppError("unauthenticated", "sign in first");
}

/** 401 unless signed in (`session_expired` when the cookie's session is over). */
export const requireUser = createMiddleware<AppEnv>(async function requireSignedIn(c, next) {
  if (!c.get("auth")) throw signInError(c.get("sessionExpired"));
  return next();
});

/** 401 unless signed in, 403 unless an admin. */
export const requireAdmin = createMiddleware<AppEnv>(async function requireAdminUser(c, next) {
  const auth = c.get("auth");
  if (!auth) throw signInError(c.get("sessionExpired"));
  if (!auth.user.isAdmin) throw new AppError("forbidden", "admins only");
  return next();
});

/** The signed-in user of a route behind requireUser/requireAdmin. */
export function authOf(c: { get(key: "auth"): Auth | undefined }): Auth {
  const auth = c.get("auth");
  if (!auth) throw new AppError("unauthenticated", "sign in first");
  return auth;
}
