import { AppError } from "@ztix/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Auth } from "../env.ts";

/** 401 unless signed in. */
export const requireUser = createMiddleware<AppEnv>(async function requireSignedIn(c, next) {
  if (!c.get("auth")) throw new AppError("unauthenticated", "sign in first");
  return next();
});

/** 401 unless signed in, 403 unless an admin. */
export const requireAdmin = createMiddleware<AppEnv>(async function requireAdminUser(c, next) {
  const auth = c.get("auth");
  if (!auth) throw new AppError("unauthenticated", "sign in first");
  if (!auth.user.isAdmin) throw new AppError("forbidden", "admins only");
  return next();
});

/** The signed-in user of a route behind requireUser/requireAdmin. */
export function authOf(c: { get(key: "auth"): Auth | undefined }): Auth {
  const auth = c.get("auth");
  if (!auth) throw new AppError("unauthenticated", "sign in first");
  return auth;
}
