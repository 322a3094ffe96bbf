import { createHmac, createPublicKey } from "node:crypto";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { clearDiscoveryCache, randomToken, SIGN_IN_START_LIMITS, tokenHash } from "@ztix/auth";
import type { RuntimeConfig } from "@ztix/core";
import { auditTrail } from "@ztix/data";
import { decodeJwt, generateKeyPair, importJWK, type JWTPayload, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, testApp } from "../../../test/support/api.ts";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import {
  DEMO_USERS,
  type OidcStandIn,
  prepareDemoUsers,
  type StandInUser,
  signInHelp,
  startOidcStandIn,
} from "../../scripts/src/oidc-standin.ts";
import { signInAtProvider } from "./auth-oidc-browser.ts";
import { clientFrom } from "./helpers/clients.ts";

const CLIENT_ID = "ztix-test";
const CLIENT_SECRET = "test-client-secret";
const REDIRECT = "http://localhost:8787/auth/callback";

const users: StandInUser[] = [
  ...DEMO_USERS.map((u) => structuredClone(u)),
  {
    id: 7001,
    username: "unverified",
    password: "pw",
    name: "New Person",
    email: "new@example.com",
    verified_user: false,
    networks: [{ id: 1, asn: 64502, name: "Fresh Net", perms: 15 }],
  },
  {
    id: 7002,
    username: "reader",
    password: "pw",
    name: "Read Only",
    email: "ro@example.com",
    verified_user: true,
    networks: [{ id: 2, asn: 64503, name: "Watched Net", perms: 1 }],
  },
  {
    id: 7003,
    username: "mover",
    password: "pw",
    name: "Job Changer",
    email: "mover@example.com",
    verified_user: true,
    networks: [
      { id: 3, asn: 64504, name: "Old Employer", perms: 15 },
      { id: 4, asn: 64505, name: "Side Project", perms: 2 },
    ],
  },
  {
    // What a hostile PeeringDB profile can hold: a terminal escape, NUL, bidi overrides.
    id: 7005,
    username: "sneaky",
    password: "pw",
    name: "\u001b[2J\u001b[31mMallory\u0000 \u202Enimda\u202C\u2066Ops\u2069",
    email: "mallory@example.com",
    verified_user: true,
    networks: [
      { id: 7, asn: 64508, name: "Good\u200F Net\u000a\u001b]8;;https://evil.example\u0007", perms: 15 },
    ],
  },
  {
    id: 7004,
    username: "banned",
    password: "pw",
    name: "Disabled Person",
    email: "banned@example.com",
    verified_user: true,
    networks: [{ id: 5, asn: 64506, name: "Banned Net", perms: 15 }],
  },
];

type TokenBody = { id_token?: string; [k: string]: unknown };

describe("PeeringDB sign-in against a real OpenID provider", () => {
  let stack: TestStack;
  let idp: OidcStandIn;
  /** Rewrites the provider's token response (forged-token cases only; discovery and JWKS stay real). */
  let tamperToken: ((body: TokenBody) => Promise<TokenBody>) | undefined;
  let failUserinfo = false;
  /** Drops `authorization_response_iss_parameter_supported` from discovery, as a provider without RFC 9207 would. */
  let hideIssSupport = false;
  let tokenCalls = 0;

  beforeAll(async () => {
    stack = await testStack({ secrets: { peeringdb_client_secret: CLIENT_SECRET } });
    idp = await startOidcStandIn({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT],
      users,
    });
    idp.provider.use(async (ctx, next) => {
      if (failUserinfo && ctx.path === "/me") {
        ctx.status = 500;
        ctx.body = { error: "server_error" };
        return;
      }
      if (ctx.path === "/token") tokenCalls += 1;
      await next();
      if (tamperToken && ctx.path === "/token" && ctx.status === 200) {
        ctx.body = await tamperToken(ctx.body as TokenBody);
      }
      if (hideIssSupport && ctx.path === "/.well-known/openid-configuration" && ctx.status === 200) {
        const { authorization_response_iss_parameter_supported: _dropped, ...rest } = ctx.body as Record<
          string,
          unknown
        >;
        ctx.body = rest;
      }
    });
  });
  afterEach(() => {
    tamperToken = undefined;
    failUserinfo = false;
  });
  afterAll(async () => {
    await idp?.stop();
  });

  const config = (): RuntimeConfig =>
    testConfig({ auth: { peeringdb: { issuer: idp.issuer, client_id: CLIENT_ID } } });

  let addressCounter = 0;
  /** The app, handing out clients that each connect from an address of their own. */
  function app(options: { config?: RuntimeConfig; now?: () => Date; address?: string } = {}) {
    const t = testApp(stack, {
      config: options.config ?? config(),
      deps: options.now ? { now: options.now } : {},
    });
    return { ...t, client: () => clientFrom(t.app, options.address ?? `198.51.100.${++addressCounter}`) };
  }

  /** Start at the API, sign in at the provider, come back: what the SPA's callback page posts. */
  async function authorize(c: ReturnType<ReturnType<typeof app>["client"]>, username: string) {
    const start = await c.post("/api/v1/auth/peeringdb/start");
    expect(start.status).toBe(200);
    const password = users.find((u) => u.username === username)!.password;
    const back = await signInAtProvider(start.body.authorization_url, REDIRECT, { username, password });
    return { start, back };
  }

  async function signIn(username: string, options: Parameters<typeof app>[0] = {}) {
    const c = app(options).client();
    const { back } = await authorize(c, username);
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    return { c, res, back };
  }

  /** Re-signs the provider's id_token after `edit` (with the provider's own key unless `key` is given). */
  const reSign =
    (edit: (p: JWTPayload) => JWTPayload, sign?: (p: JWTPayload, kid: string) => Promise<string>) =>
    async (body: TokenBody): Promise<TokenBody> => {
      const payload = edit(decodeJwt(body.id_token!));
      const kid = idp.signingJwk.kid!;
      const token = sign
        ? await sign(payload, kid)
        : await new SignJWT(payload)
            .setProtectedHeader({ alg: "RS256", kid })
            .sign(await importJWK(idp.signingJwk, "RS256"));
      return { ...body, id_token: token };
    };

  /** The audit event written for one API response (matched by its request id). */
  async function auditOf(res: { headers: Headers }) {
    const events = await auditTrail(stack.data, "auth");
    return events.find((e) => e.requestId === res.headers.get("x-request-id"));
  }

  it("starts with PKCE S256, a state and a nonce, storing only the state's hash", async () => {
    const c = app().client();
    const start = await c.post("/api/v1/auth/peeringdb/start");
    const url = new URL(start.body.authorization_url);
    expect(url.origin).toBe(idp.issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      scope: "openid profile email networks",
      code_challenge_method: "S256",
    });
    const state = url.searchParams.get("state")!;
    expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.cookies.get("ztix_oidc")).toBeTruthy();
    const byRawState = await stack.data.entities.oauthState.get({ stateHash: tokenHash(state) }).go();
    expect(byRawState.data).toBeNull();
  });

  it("signs a verified operator in with only the networks they may change, and a fresh session", async () => {
    const c = app().client();
    await c.get("/api/v1/auth/csrf");
    const csrfBefore = c.cookies.get("ztix_csrf");
    const { back } = await authorize(c, "demo-operator");
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: { id: "pdb-9002", display_name: "Demo Operator", source: "peeringdb", peeringdb_id: 9002 },
      is_admin: false,
      auth_method: "peeringdb",
      asns: [{ asn: 64500, name: "Example Network", perms: 15, source: "peeringdb" }],
    });
    expect(c.cookies.get("ztix_session")).toBeTruthy();
    expect(c.cookies.get("ztix_csrf")).toBe(res.body.csrf_token);
    expect(res.body.csrf_token).not.toBe(csrfBefore);
    const me = await c.get("/api/v1/auth/me");
    expect(me.status).toBe(200);
    expect(me.body.asns.map((a: { asn: number }) => a.asn)).toEqual([64500]);
    const events = await auditTrail(stack.data, "auth");
    expect(events.some((e) => e.action === "auth.login" && e.actorId === "pdb-9002")).toBe(true);
  });

  it("keeps none of the provider's tokens or the PKCE verifier after sign-in", async () => {
    const seen: string[] = [];
    tamperToken = async (body) => {
      seen.push(String(body.access_token), String(body.id_token));
      return body;
    };
    const pending = async () => (await stack.data.entities.oauthState.scan.go({ pages: "all" })).data.length;
    const pendingBefore = await pending();
    const { res } = await signIn("demo-operator");
    expect(res.status).toBe(200);
    expect(await pending()).toBe(pendingBefore);
    const items = await stack.doc.send(new ScanCommand({ TableName: stack.names.tableName }));
    const dump = JSON.stringify(items.Items);
    expect(seen).toHaveLength(2);
    for (const token of seen) expect(dump).not.toContain(token);
  });

  it("accepts the issuer configured with a trailing slash (as PeeringDB's default is written)", async () => {
    const slash = testConfig({ auth: { peeringdb: { issuer: `${idp.issuer}/`, client_id: CLIENT_ID } } });
    const { res } = await signIn("demo-admin", { config: slash });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe("pdb-9001");
  });

  it("refuses a replayed callback with invalid_state", async () => {
    const { c, res, back } = await signIn("demo-operator");
    expect(res.status).toBe(200);
    const again = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe("invalid_state");
    expect(await auditOf(again)).toMatchObject({
      action: "auth.login_failed",
      metadata: { method: "peeringdb", reason: "invalid_state" },
    });
  });

  it("refuses a state brought back by another browser with invalid_state", async () => {
    const first = app().client();
    const { back } = await authorize(first, "demo-operator");
    const other = app().client();
    const res = await other.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(res.body.error.code).toBe("invalid_state");
  });

  it("refuses a sign-in that outlived the state's lifetime with state_expired", async () => {
    let offsetMs = 0;
    const { client } = app({ now: () => new Date(Date.now() + offsetMs) });
    const c = client();
    const { back } = await authorize(c, "demo-operator");
    offsetMs = (config().auth.peeringdb.state_ttl_seconds + 1) * 1000;
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("state_expired");
  });

  it("refuses a code the provider does not honour with 400 invalid_authorization_code", async () => {
    const c = app().client();
    const { back } = await authorize(c, "demo-operator");
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: `${back.code}x`,
      state: back.state,
      iss: back.iss,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "invalid_authorization_code",
      details: { provider_error: "invalid_grant" },
    });
    expect((await auditOf(res))?.metadata).toMatchObject({ reason: "token_invalid_grant" });
  });

  it("accepts the RFC 9207 iss the provider adds to its redirect when it names our issuer", async () => {
    const c = app().client();
    const { back } = await authorize(c, "demo-operator");
    // The stand-in (oidc-provider) advertises the parameter and always sends it.
    expect(back.iss).toBe(idp.issuer);
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe("pdb-9002");
  });

  it("refuses a callback whose iss names another issuer with 400 issuer_mismatch, spending nothing at the provider", async () => {
    const c = app().client();
    const { back } = await authorize(c, "demo-operator");
    const before = tokenCalls;
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: "https://auth.example.net",
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("issuer_mismatch");
    expect((await auditOf(res))?.metadata).toMatchObject({ reason: "authorization_response_iss" });
    // The code never reached the token endpoint, and the sign-in is used up all the same.
    expect(tokenCalls).toBe(before);
    const again = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(again.body.error.code).toBe("invalid_state");
  });

  it("refuses a callback without iss from a provider that advertises it (RFC 9207 §2.4), spending nothing at the provider", async () => {
    const c = app().client();
    const { back } = await authorize(c, "demo-operator");
    const before = tokenCalls;
    const res = await c.post("/api/v1/auth/peeringdb/callback", { code: back.code, state: back.state });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("issuer_mismatch");
    expect((await auditOf(res))?.metadata).toMatchObject({ reason: "authorization_response_iss" });
    expect(tokenCalls).toBe(before);
  });

  it("accepts a callback without iss from a provider that does not advertise the parameter", async () => {
    hideIssSupport = true;
    clearDiscoveryCache();
    try {
      const c = app().client();
      const { back } = await authorize(c, "demo-operator");
      const res = await c.post("/api/v1/auth/peeringdb/callback", { code: back.code, state: back.state });
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe("pdb-9002");
    } finally {
      hideIssSupport = false;
      clearDiscoveryCache();
    }
  });

  it("refuses a 4 KB bogus code with 400 validation_failed without asking the provider", async () => {
    const c = app().client();
    const { back } = await authorize(c, "demo-operator");
    const before = tokenCalls;
    for (const code of ["A".repeat(4096), "A".repeat(1025), "abc\u0000def", "abc\ndef", "codé"]) {
      const res = await c.post("/api/v1/auth/peeringdb/callback", { code, state: back.state });
      expect(res.status, JSON.stringify(code.slice(0, 10))).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.details.fields).toHaveProperty("code");
    }
    expect(tokenCalls).toBe(before);
    // The sign-in was not used up by the refused attempts: its real code still works.
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(res.status).toBe(200);
  });

  it("answers the longest code the boundary allows with 400 invalid_authorization_code, not a 5xx", async () => {
    const c = app().client();
    const { back } = await authorize(c, "demo-operator");
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: "A".repeat(1024),
      state: back.state,
      iss: back.iss,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_authorization_code");
  });

  it("refuses when the client secret is wrong with token_exchange_failed", async () => {
    const other = await testStack({ secrets: { peeringdb_client_secret: "wrong-secret" } });
    const c = testApp(other, { config: config() }).client();
    const { back } = await authorize(c, "demo-operator");
    const res = await c.post("/api/v1/auth/peeringdb/callback", {
      code: back.code,
      state: back.state,
      iss: back.iss,
    });
    expect(res.body.error).toMatchObject({
      code: "token_exchange_failed",
      details: { provider_error: "invalid_client" },
    });
  });

  it("refuses an id_token with another nonce with nonce_mismatch", async () => {
    tamperToken = reSign((p) => ({ ...p, nonce: "not-the-nonce-we-sent" }));
    const { res } = await signIn("demo-operator");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("nonce_mismatch");
  });

  it("refuses an id_token for another audience with id_token_invalid", async () => {
    tamperToken = reSign((p) => ({ ...p, aud: "some-other-client" }));
    const { res } = await signIn("demo-operator");
    expect(res.body.error).toMatchObject({ code: "id_token_invalid", details: { reason: "claim_aud" } });
  });

  it("refuses an id_token from another issuer with id_token_invalid", async () => {
    tamperToken = reSign((p) => ({ ...p, iss: "https://auth.example.net" }));
    const { res } = await signIn("demo-operator");
    expect(res.body.error).toMatchObject({ code: "id_token_invalid", details: { reason: "claim_iss" } });
  });

  it("refuses an expired id_token with id_token_invalid", async () => {
    const past = Math.floor(Date.now() / 1000) - 7200;
    tamperToken = reSign((p) => ({ ...p, iat: past, exp: past + 600 }));
    const { res } = await signIn("demo-operator");
    expect(res.body.error).toMatchObject({ code: "id_token_invalid", details: { reason: "claim_exp" } });
  });

  it("refuses an id_token signed by another key (same kid) with id_token_invalid", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    tamperToken = reSign(
      (p) => p,
      (p, kid) => new SignJWT(p).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey),
    );
    const { res } = await signIn("demo-operator");
    expect(res.body.error.code).toBe("id_token_invalid");
    expect(res.body.error.details.reason).toBe("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
  });

  it("refuses an unsigned (alg none) id_token with id_token_invalid", async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    tamperToken = reSign(
      (p) => p,
      async (p, kid) => `${b64({ alg: "none", kid })}.${b64(p)}.`,
    );
    const { res } = await signIn("demo-operator");
    expect(res.body.error.code).toBe("id_token_invalid");
  });

  it("refuses an HS256 id_token keyed with the provider's public key with id_token_invalid", async () => {
    const { kty, n, e } = idp.signingJwk;
    const publicPem = createPublicKey({ key: { kty: kty!, n: n!, e: e! }, format: "jwk" })
      .export({ type: "spki", format: "pem" })
      .toString();
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    tamperToken = reSign(
      (p) => p,
      async (p, kid) => {
        const input = `${b64({ alg: "HS256", kid })}.${b64(p)}`;
        return `${input}.${createHmac("sha256", publicPem).update(input).digest("base64url")}`;
      },
    );
    const { res } = await signIn("demo-operator");
    expect(res.body.error.code).toBe("id_token_invalid");
    expect(res.body.error.details.reason).toBe("ERR_JOSE_ALG_NOT_ALLOWED");
  });

  it("refuses a configuration without the openid scope before any sign-in", () => {
    expect(() => testConfig({ auth: { peeringdb: { scopes: ["profile", "email", "networks"] } } })).toThrow(
      /must include openid/,
    );
  });

  it("reports a provider that refuses a request without the openid scope with provider_error", async () => {
    const base = config();
    const noOpenid: RuntimeConfig = {
      ...base,
      auth: { ...base.auth, peeringdb: { ...base.auth.peeringdb, scopes: ["profile", "email", "networks"] } },
    };
    const c = app({ config: noOpenid }).client();
    const { back } = await authorize(c, "demo-operator");
    expect(back.code).toBeUndefined();
    const res = await c.post("/api/v1/auth/peeringdb/callback", { error: back.error, state: back.state });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "provider_error",
      details: { provider_error: "invalid_request" },
    });
    expect((await auditOf(res))?.metadata).toMatchObject({ reason: "provider_invalid_request" });
  });

  it("refuses a token response without an id_token with id_token_invalid", async () => {
    tamperToken = async ({ id_token: _dropped, ...rest }) => rest;
    const { res } = await signIn("demo-operator");
    expect(res.body.error).toMatchObject({
      code: "id_token_invalid",
      details: { reason: "id_token_missing" },
    });
  });

  it("refuses an unverified PeeringDB user with unverified_user and creates no account", async () => {
    const { res } = await signIn("unverified");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("unverified_user");
    expect((await stack.data.entities.user.get({ userId: "pdb-7001" }).go()).data).toBeNull();
    expect((await auditOf(res))?.metadata).toMatchObject({ reason: "unverified_user" });
  });

  it("refuses a user whose affiliations are all read-only with no_eligible_networks", async () => {
    const { res } = await signIn("reader");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("no_eligible_networks");
  });

  it("refuses when userinfo fails with userinfo_failed", async () => {
    failUserinfo = true;
    const { res } = await signIn("demo-operator");
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("userinfo_failed");
  });

  it("answers provider_unavailable when the issuer cannot be reached", async () => {
    clearDiscoveryCache();
    const down = testConfig({ auth: { peeringdb: { issuer: "http://127.0.0.1:9/", client_id: CLIENT_ID } } });
    const res = await app({ config: down }).client().post("/api/v1/auth/peeringdb/start");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("provider_unavailable");
  });

  it("re-syncs affiliations at every login and never changes the admin flag", async () => {
    const first = await signIn("mover");
    expect(first.res.body.asns.map((a: { asn: number }) => a.asn)).toEqual([64504, 64505]);
    const now = new Date().toISOString();
    await stack.data.entities.user.patch({ userId: "pdb-7003" }).set({ isAdmin: true }).go();
    await stack.data.entities.userAsn
      .create({ userId: "pdb-7003", asn: 64510, name: "Granted by ops", source: "local", createdAt: now })
      .go();
    const mover = users.find((u) => u.username === "mover")!;
    mover.networks = [
      { id: 4, asn: 64505, name: "Side Project", perms: 2 },
      { id: 6, asn: 64507, name: "New Employer", perms: 8 },
    ];
    const second = await signIn("mover");
    expect(second.res.status).toBe(200);
    expect(second.res.body.is_admin).toBe(true);
    expect(second.res.body.asns.map((a: { asn: number; source: string }) => [a.asn, a.source])).toEqual([
      [64505, "peeringdb"],
      [64507, "peeringdb"],
      [64510, "local"],
    ]);
  });

  it("refuses a disabled PeeringDB user with account_disabled", async () => {
    const now = new Date().toISOString();
    await stack.data.entities.user
      .create({
        userId: "pdb-7004",
        displayName: "Disabled Person",
        source: "peeringdb",
        isAdmin: false,
        disabled: true,
        createdAt: now,
        updatedAt: now,
      })
      .go();
    const { res } = await signIn("banned");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("account_disabled");
  });

  it("stores and shows PeeringDB names without control or bidi characters", async () => {
    const { res } = await signIn("sneaky");
    expect(res.status).toBe(200);
    expect(res.body.user.display_name).toBe("[2J[31mMallory nimdaOps");
    expect(res.body.asns).toEqual([
      expect.objectContaining({ asn: 64508, name: "Good Net ]8;;https://evil.example" }),
    ]);
    const stored = (await stack.data.entities.user.get({ userId: "pdb-7005" }).go()).data;
    expect(stored?.displayName).toBe("[2J[31mMallory nimdaOps");
    const rows = (await stack.data.entities.userAsn.query.byUser({ userId: "pdb-7005" }).go()).data;
    expect(rows.map((r) => r.name)).toEqual(["Good Net ]8;;https://evil.example"]);
    // Nothing invisible survived anywhere in what was stored for this user.
    expect(JSON.stringify([stored, rows])).not.toMatch(/\\u00(0|1)|\u202e|\u2066|\u200f/i);
  });

  it("issues a fresh binding cookie at every start, never keeping one the browser brings", async () => {
    const c = app().client();
    c.cookies.set("ztix_oidc", randomToken());
    const planted = c.cookies.get("ztix_oidc");
    const first = await c.post("/api/v1/auth/peeringdb/start");
    const afterFirst = c.cookies.get("ztix_oidc");
    expect(afterFirst).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(afterFirst).not.toBe(planted);
    await c.post("/api/v1/auth/peeringdb/start");
    expect(c.cookies.get("ztix_oidc")).not.toBe(afterFirst);
    // The first sign-in was bound to the cookie it got: with the newer one it is refused.
    const state = new URL(first.body.authorization_url).searchParams.get("state")!;
    const res = await c.post("/api/v1/auth/peeringdb/callback", { code: "some-code", state });
    expect(res.body.error.code).toBe("invalid_state");
  });

  /** A clock stopped just inside one start-throttle window, so the window cannot end mid-test. */
  const stoppedClock = () => {
    const size = SIGN_IN_START_LIMITS.windowSeconds * 1000;
    const at = new Date(Math.floor(Date.now() / size) * size + 1_000);
    return () => at;
  };
  const pendingStates = async () =>
    (await stack.data.entities.oauthState.scan.go({ pages: "all" })).data.length;

  it("limits sign-in starts per client address with 429 and Retry-After, storing nothing once over", async () => {
    const { client } = app({ now: stoppedClock(), address: "192.0.2.90" });
    const before = await pendingStates();
    const statuses: number[] = [];
    let last: ApiResponse | undefined;
    for (let i = 0; i < SIGN_IN_START_LIMITS.perAddress + 3; i++) {
      // A new browser each time (own CSRF cookie): only the address ties these together.
      const c = client();
      c.cookies.set("ztix_csrf", randomToken());
      last = await c.post("/api/v1/auth/peeringdb/start");
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(SIGN_IN_START_LIMITS.perAddress).fill(200), ...Array(3).fill(429)]);
    expect(last!.body.error.code).toBe("too_many_requests");
    const retryAfter = Number(last!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(SIGN_IN_START_LIMITS.windowSeconds);
    expect(await pendingStates()).toBe(before + SIGN_IN_START_LIMITS.perAddress);
    // Another address is not affected.
    const other = app({ now: stoppedClock(), address: "192.0.2.91" }).client();
    expect((await other.post("/api/v1/auth/peeringdb/start")).status).toBe(200);
  });

  it("limits sign-in starts per browser (its CSRF cookie) even from changing addresses", async () => {
    const now = stoppedClock();
    const csrf = randomToken();
    const statuses: number[] = [];
    for (let i = 0; i < SIGN_IN_START_LIMITS.perBrowser + 2; i++) {
      const c = app({ now, address: `203.0.113.${200 + i}` }).client();
      c.cookies.set("ztix_csrf", csrf);
      statuses.push((await c.post("/api/v1/auth/peeringdb/start")).status);
    }
    expect(statuses).toEqual([...Array(SIGN_IN_START_LIMITS.perBrowser).fill(200), 429, 429]);
  });

  it("makes the dev stand-in's demo admin an admin, which sign-in keeps", async () => {
    await prepareDemoUsers({ data: stack.data, config: config() });
    await prepareDemoUsers({ data: stack.data, config: config() }); // idempotent
    const { res } = await signIn("demo-admin");
    expect(res.body).toMatchObject({ user: { id: "pdb-9001", display_name: "Demo Admin" }, is_admin: true });
    expect(signInHelp(idp)).toContain("demo-admin / demo");
  });
});
