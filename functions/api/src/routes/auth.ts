import {
  type AuthMethod,
  authenticateLocal,
  checkProfile,
  completeAuthorization,
  createSession,
  deleteSession,
  LoginRefused,
  normalizeUsername,
  randomToken,
  recordAuthAttempt,
  reserveSignInStart,
  startAuthorization,
  syncPeeringDbUser,
  userAsns,
} from "@ztix/auth";
import { AppError } from "@ztix/core";
import { writeAudit } from "@ztix/data";
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import {
  CSRF_COOKIE,
  clearSessionCookie,
  secureCookies,
  setCsrfCookie,
  setSessionCookie,
} from "../cookies.ts";
import type { AppEnv } from "../env.ts";
import { csrfTokenOf } from "../middleware/csrf.ts";
import { authOf, requireUser } from "../middleware/guards.ts";
import { parseJsonBody } from "../validation.ts";

/** HttpOnly cookie tying a pending PeeringDB sign-in to the browser that started it. */
const OIDC_BINDING_COOKIE = "ztix_oidc";
const OIDC_COOKIE_PATH = "/api/v1/auth/peeringdb";

const localLoginSchema = z.strictObject({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
});

/**
 * What the SPA's /auth/callback page got in its query: a code, or the provider's error.
 * Codes are short opaque tokens of printable ASCII (RFC 6749 VSCHAR; PeeringDB's are ~30
 * characters): anything longer or stranger is refused here, never sent to the provider.
 */
const callbackSchema = z
  .object({
    code: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[\x20-\x7e]+$/, "must be printable ASCII")
      .optional(),
    error: z.string().min(1).max(128).optional(),
    state: z.string().min(1).max(512),
    /** RFC 9207: the issuer the provider names in its redirect; checked against ours when sent. */
    iss: z.string().min(1).max(2048).optional(),
  })
  .refine((b) => (b.code === undefined) !== (b.error === undefined), "send either code or error");

type Ctx = Context<AppEnv>;

/** The client's address as the front vouches for it (see middleware/front.ts). */
const addressOf = (c: Ctx) => c.get("clientAddress");

/** What `/auth/me` and every successful sign-in answer. */
async function mePayload(c: Ctx, auth: { userId: string; method: AuthMethod }) {
  const { data } = c.get("deps");
  const user = (await data.entities.user.get({ userId: auth.userId }).go()).data;
  if (!user) throw new AppError("unauthenticated", "sign in first");
  return {
    user: {
      id: user.userId,
      display_name: user.displayName,
      username: user.username ?? null,
      email: user.email ?? null,
      source: user.source,
      peeringdb_id: user.peeringdbId ?? null,
    },
    is_admin: user.isAdmin,
    auth_method: auth.method,
    asns: (await userAsns(data, user.userId)).map((a) => ({
      asn: a.asn,
      name: a.name ?? null,
      perms: a.perms ?? null,
      source: a.source,
    })),
  };
}

/** A new session (new id, new CSRF token) replacing whatever session the browser had. */
async function beginSession(c: Ctx, userId: string, method: AuthMethod) {
  const { data, config, now } = c.get("deps");
  const previous = c.get("sessionToken");
  if (previous) await deleteSession(data, previous);
  const { token, csrfToken } = await createSession(data, { userId, authMethod: method }, config, now());
  setSessionCookie(c, config, token);
  setCsrfCookie(c, config, csrfToken);
  return csrfToken;
}

/** Audits, counts and logs a refusal, then answers it (429s carry `Retry-After`). */
async function refuse(c: Ctx, method: AuthMethod, e: unknown, extra: { username?: string; address: string }) {
  const { data, now } = c.get("deps");
  const refusal = e instanceof LoginRefused ? e : undefined;
  const reason = refusal?.reason ?? (e instanceof AppError ? e.code : "internal_error");
  await recordAuthAttempt(data, c.get("log"), {
    method,
    outcome: "failure",
    reason,
    userId: refusal?.userId,
    requestId: c.get("requestId"),
    now: now(),
    ...extra,
  });
  if (refusal?.code === "too_many_requests") {
    c.header("Retry-After", String(refusal.details.retry_after_seconds));
  }
  if (refusal) return c.json(refusal.toJSON(), refusal.status as ContentfulStatusCode);
  throw e;
}

/** auth routes (mounted under /api/v1). */
export const authRoutes = new Hono<AppEnv>()
  .get("/auth/methods", (c) => {
    const { auth } = c.get("deps").config;
    return c.json({ peeringdb: { enabled: auth.peeringdb.enabled }, local: { enabled: auth.local.enabled } });
  })

  .get("/auth/csrf", (c) => c.json({ csrf_token: csrfTokenOf(c) }))

  .get("/auth/me", requireUser, async (c) => {
    const auth = authOf(c);
    return c.json(await mePayload(c, { userId: auth.user.userId, method: auth.session.authMethod }));
  })

  .post("/auth/logout", async (c) => {
    const { data, config, now } = c.get("deps");
    const token = c.get("sessionToken");
    const auth = c.get("auth");
    if (token) await deleteSession(data, token);
    clearSessionCookie(c, config);
    setCsrfCookie(c, config, randomToken());
    if (auth) {
      await writeAudit(data, {
        subject: "auth",
        action: "auth.logout",
        actorType: "user",
        actorId: auth.user.userId,
        requestId: c.get("requestId"),
        metadata: { method: auth.session.authMethod },
        at: now(),
      });
    }
    return c.json({ signed_out: true });
  })

  .post("/auth/local/login", async (c) => {
    const { data, config, now } = c.get("deps");
    const body = await parseJsonBody(c, localLoginSchema);
    const address = addressOf(c);
    const username = normalizeUsername(body.username).slice(0, 64);
    let userId: string;
    try {
      const user = await authenticateLocal(data, config, { ...body, address }, now());
      userId = user.userId;
    } catch (e) {
      return refuse(c, "local", e, { username, address });
    }
    const csrfToken = await beginSession(c, userId, "local");
    await recordAuthAttempt(data, c.get("log"), {
      method: "local",
      outcome: "success",
      reason: "ok",
      userId,
      username,
      address,
      requestId: c.get("requestId"),
      now: now(),
    });
    return c.json({ ...(await mePayload(c, { userId, method: "local" })), csrf_token: csrfToken });
  })

  .post("/auth/peeringdb/start", async (c) => {
    const { data, config, now } = c.get("deps");
    const address = addressOf(c);
    // Every start stores a state row: count it against the address and the browser first.
    // The browser is its CSRF cookie, which (unlike the binding) survives from start to start.
    const verdict = await reserveSignInStart(data, { address, browser: getCookie(c, CSRF_COOKIE) }, now());
    if (verdict.blocked) {
      // Logged, not audited: a flood of refused starts must not turn into a flood of rows.
      c.get("log").warn("auth.start_throttled", { address, reason: verdict.reason });
      c.header("Retry-After", String(verdict.retryAfterSeconds));
      const refusal = new LoginRefused(
        "too_many_requests",
        "too many PeeringDB sign-ins started; try again later",
        `throttled_${verdict.reason}`,
        { retry_after_seconds: verdict.retryAfterSeconds },
      );
      return c.json(refusal.toJSON(), 429);
    }
    // A fresh binding per start, never the one the browser brings: a binding serves one
    // sign-in, and one planted in or leaked from a browser dies at its next start. (So when
    // two tabs start, the later one wins; the earlier gets invalid_state and starts again.)
    const binding = randomToken();
    try {
      const url = await startAuthorization(data, config, { binding, now: now() });
      setCookie(c, OIDC_BINDING_COOKIE, binding, {
        httpOnly: true,
        sameSite: "Lax",
        secure: secureCookies(config),
        path: OIDC_COOKIE_PATH,
        maxAge: config.auth.peeringdb.state_ttl_seconds,
      });
      return c.json({ authorization_url: url });
    } catch (e) {
      return refuse(c, "peeringdb", e, { address });
    }
  })

  .post("/auth/peeringdb/callback", async (c) => {
    const { data, config, now, secrets } = c.get("deps");
    const body = await parseJsonBody(c, callbackSchema);
    const address = addressOf(c);
    const binding = getCookie(c, OIDC_BINDING_COOKIE) ?? "";
    let result: Awaited<ReturnType<typeof syncPeeringDbUser>>;
    try {
      const signIn = await completeAuthorization(data, config, secrets, { ...body, binding, now: now() });
      const checked = checkProfile(signIn, config);
      result = await syncPeeringDbUser(data, checked, now());
    } catch (e) {
      return refuse(c, "peeringdb", e, { address });
    }
    const csrfToken = await beginSession(c, result.user.userId, "peeringdb");
    await recordAuthAttempt(data, c.get("log"), {
      method: "peeringdb",
      outcome: "success",
      reason: "ok",
      userId: result.user.userId,
      address,
      requestId: c.get("requestId"),
      metadata: { created: result.created, added_asns: result.addedAsns, removed_asns: result.removedAsns },
      now: now(),
    });
    return c.json({
      ...(await mePayload(c, { userId: result.user.userId, method: "peeringdb" })),
      csrf_token: csrfToken,
    });
  });
