import { error, redirect } from "@sveltejs/kit";
// types.ts, not the api barrel: web/test reaches this file through the root tsc, which has no DOM.
import type { Me } from "./api/types.ts";

/** Sends a signed-out visitor to /login, remembering where they were going. */
export function requireUser(me: Me | null, url: URL): Me {
  if (!me) redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  return me;
}

/** Admin screens: operators get a plain "admins only" page. */
export function requireAdmin(me: Me | null, url: URL): Me {
  const user = requireUser(me, url);
  // Not an inline literal: the root tsc (see above) lacks app.d.ts, whose App.Error has `code`.
  const adminsOnly = { message: "This page is for exchange administrators.", code: "forbidden" };
  if (!user.is_admin) error(403, adminsOnly);
  return user;
}

/**
 * A post-login destination on this origin, as path + search + hash, or null. The value is
 * resolved the way the browser will resolve it (URL parsing turns `/\host`, `/<TAB>/host` and
 * `/\n/host` into `//host`), so a string check on the raw text cannot be trusted: only what
 * resolves to our own origin passes, and a path that would itself read as protocol-relative
 * (`//host`) is refused too.
 *
 * @example safeNext("/requests/abc?tab=log", "https://ix.example.net") // "/requests/abc?tab=log"
 * @example safeNext("/\\evil.example/x", "https://ix.example.net") // null
 */
export function safeNext(
  next: string | null,
  origin: string | undefined = (globalThis as { location?: { origin?: string } }).location?.origin,
): string | null {
  if (!next || !origin) return null;
  let url: URL;
  let base: URL;
  try {
    base = new URL(origin);
    url = new URL(next, base);
  } catch {
    return null;
  }
  if (url.origin !== base.origin) return null;
  const destination = url.pathname + url.search + url.hash;
  return destination.startsWith("/") && !destination.startsWith("//") ? destination : null;
}
