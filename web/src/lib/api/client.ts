import { ApiError } from "./errors.ts";

const BASE = "/api/v1";
const CSRF_COOKIE = "ztix_csrf";
const CSRF_HEADER = "x-csrf-token";

function readCookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** The CSRF token to echo on writes; asks the API for one when the cookie is missing. */
async function csrfToken(): Promise<string> {
  const existing = readCookie(CSRF_COOKIE);
  if (existing) return existing;
  const body = await request<{ csrf_token: string }>("GET", "/auth/csrf");
  return readCookie(CSRF_COOKIE) ?? body.csrf_token;
}

async function toError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {}
  const err = (
    body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null
  )?.error;
  const retry = Number(res.headers.get("retry-after"));
  return new ApiError(
    res.status,
    err?.code ?? (res.status === 404 ? "not_found" : `http_${res.status}`),
    err?.message ?? res.statusText,
    err?.details ?? {},
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
}

/**
 * One call to /api/v1. Writes carry the CSRF header (the API also checks Origin, which the
 * browser sets). A `csrf_failed` answer is retried once with a fresh token, since the token
 * rotates at sign-in and another tab may have signed in meanwhile.
 */
export async function request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers[CSRF_HEADER] = await csrfToken();
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "network_error", "network error");
  }
  if (!res.ok) {
    const error = await toError(res);
    if (error.code === "csrf_failed" && !retried && method !== "GET") {
      await request("GET", "/auth/csrf");
      return request<T>(method, path, body, true);
    }
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A query string from the defined, non-empty values of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
