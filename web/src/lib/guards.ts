import { error, redirect } from "@sveltejs/kit";
import type { Me } from "./api/index.ts";

/** Sends a signed-out visitor to /login, remembering where they were going. */
export function requireUser(me: Me | null, url: URL): Me {
  if (!me) redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  return me;
}

/** Admin screens: operators get a plain "admins only" page. */
export function requireAdmin(me: Me | null, url: URL): Me {
  const user = requireUser(me, url);
  if (!user.is_admin) error(403, { message: "This page is for exchange administrators.", code: "forbidden" });
  return user;
}

/** Only same-site paths may be a post-login destination (no open redirect). */
export function safeNext(next: string | null): string | null {
  return next?.startsWith("/") && !next.startsWith("//") ? next : null;
}
