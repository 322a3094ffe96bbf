import type { RuntimeConfig } from "@ztix/core";
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";

export const CSRF_COOKIE = "ztix_csrf";
export const CSRF_HEADER = "x-csrf-token";

/** Secure everywhere except plain-http localhost, where browsers would drop a Secure cookie. */
export function secureCookies(config: RuntimeConfig): boolean {
  if (config.session.secure_cookie !== "auto") return config.session.secure_cookie;
  const url = new URL(config.public_url);
  return !(url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
}

export function setSessionCookie(c: Context, config: RuntimeConfig, token: string) {
  setCookie(c, config.session.cookie_name, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: secureCookies(config),
    path: "/",
    maxAge: config.session.absolute_timeout_hours * 3600,
  });
}

export function clearSessionCookie(c: Context, config: RuntimeConfig) {
  deleteCookie(c, config.session.cookie_name, { path: "/", secure: secureCookies(config) });
}

/** The CSRF cookie is readable by the SPA (not HttpOnly): it copies it into the header. */
export function setCsrfCookie(c: Context, config: RuntimeConfig, token: string) {
  setCookie(c, CSRF_COOKIE, token, {
    httpOnly: false,
    sameSite: "Strict",
    secure: secureCookies(config),
    path: "/",
  });
}
