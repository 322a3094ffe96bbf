import { error, redirect } from "@sveltejs/kit";
import { ApiError, describeError } from "./api/index.ts";

/**
 * The one place a failed load becomes a page state: signed out → /login, missing or not
 * yours → the 404 page (the API answers 404 for other networks' requests), else an error page.
 */
export function loadFailed(e: unknown, url: URL): never {
  if (e instanceof ApiError) {
    if (e.status === 401) redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
    if (e.status === 404) error(404, { message: "Not found", code: e.code });
    error(e.status >= 400 ? e.status : 503, { message: describeError(e), code: e.code });
  }
  error(500, { message: describeError(e) });
}
