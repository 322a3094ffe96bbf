import { tokenHash } from "@ztix/auth";
import { beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../../../test/support/api.ts";
import { TEST_ORIGIN, testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { seedUser, signIn } from "../../../test/support/users.ts";

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

describe("sessions and CSRF", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await testStack();
  });

  /** Every state-changing route the app has, read from the router (a new route cannot be missed). */
  function stateChangingRoutes() {
    const { app } = testApp(stack);
    const seen = new Set<string>();
    const routes: { method: string; path: string }[] = [];
    for (const r of app.routes) {
      if (safeMethods.has(r.method) || r.path.endsWith("*")) continue; // "*" entries are middleware
      const method = r.method === "ALL" ? "POST" : r.method;
      // Path parameters (":id" or ":id{regex}") get a plausible value; CSRF runs before any handler.
      const path = r.path.replace(/:[A-Za-z_]+(\{[^}]*\})?/g, "00000000-0000-4000-8000-000000000000");
      const key = `${method} ${path}`;
      if (!seen.has(key)) routes.push({ method, path });
      seen.add(key);
    }
    return routes;
  }

  it("finds the sign-in routes among the state-changing routes", () => {
    const keys = stateChangingRoutes().map((r) => `${r.method} ${r.path}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        "POST /api/v1/auth/local/login",
        "POST /api/v1/auth/logout",
        "POST /api/v1/auth/peeringdb/start",
        "POST /api/v1/auth/peeringdb/callback",
      ]),
    );
  });

  it("refuses every state-changing route without the CSRF header, with a wrong Origin, or with no Origin", async () => {
    const user = await seedUser(stack.data, { isAdmin: true, asns: [{ asn: 64500 }] });
    const { client, deps } = testApp(stack);
    const anonymous = client();
    await anonymous.get("/api/v1/auth/csrf");
    const signedIn = await signIn(client(), stack.data, deps.config, user);
    const failures: string[] = [];
    for (const c of [anonymous, signedIn]) {
      const token = c.cookies.get("ztix_csrf")!;
      for (const { method, path } of stateChangingRoutes()) {
        const cases: [string, Record<string, string>][] = [
          ["no header", { origin: TEST_ORIGIN }],
          ["wrong header", { origin: TEST_ORIGIN, "x-csrf-token": `${token}x` }],
          ["foreign origin", { origin: "https://evil.example", "x-csrf-token": token }],
          ["no origin", { "x-csrf-token": token }],
        ];
        for (const [name, headers] of cases) {
          const res = await c.raw(path, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            body: "{}",
          });
          if (res.status !== 403 || res.body?.error?.code !== "csrf_failed") {
            failures.push(`${method} ${path} (${name}): ${res.status} ${JSON.stringify(res.body)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("accepts a correctly protected write (so the 403s above come from CSRF, not the route)", async () => {
    const c = testApp(stack).client();
    const res = await c.post("/api/v1/auth/logout");
    expect(res.status).toBe(200);
  });

  it("binds the CSRF token to the session once signed in", async () => {
    const user = await seedUser(stack.data);
    const { client, deps } = testApp(stack);
    const c = await signIn(client(), stack.data, deps.config, user);
    c.cookies.set("ztix_csrf", "attacker-chosen-token-value");
    const res = await c.post("/api/v1/auth/logout");
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: "csrf_failed", details: { reason: "session" } });
  });

  it("gives the SPA its CSRF token: a fresh one when anonymous, the session's when signed in", async () => {
    const { client, deps } = testApp(stack);
    const anon = client();
    const first = await anon.get("/api/v1/auth/csrf");
    expect(first.body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(anon.cookies.get("ztix_csrf")).toBe(first.body.csrf_token);
    expect((await anon.get("/api/v1/auth/csrf")).body.csrf_token).toBe(first.body.csrf_token);
    const user = await seedUser(stack.data);
    const c = await signIn(client(), stack.data, deps.config, user);
    const expected = c.cookies.get("ztix_csrf");
    c.cookies.set("ztix_csrf", "stale");
    const res = await c.get("/api/v1/auth/csrf");
    expect(res.body.csrf_token).toBe(expected);
    expect(c.cookies.get("ztix_csrf")).toBe(expected);
  });

  it("answers /auth/me with 401 when not signed in", async () => {
    const res = await testApp(stack).client().get("/api/v1/auth/me");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
  });

  it("ends a session after the idle timeout", async () => {
    let now = Date.now();
    const config = testConfig({ session: { idle_timeout_minutes: 30, absolute_timeout_hours: 12 } });
    const { client } = testApp(stack, { config, deps: { now: () => new Date(now) } });
    const user = await seedUser(stack.data);
    const c = await signIn(client(), stack.data, config, user);
    now += 29 * 60_000;
    expect((await c.get("/api/v1/auth/me")).status).toBe(200);
    now += 29 * 60_000; // the previous request slid the idle window
    expect((await c.get("/api/v1/auth/me")).status).toBe(200);
    now += 31 * 60_000;
    const expired = await c.get("/api/v1/auth/me");
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe("session_expired");
    // The dead cookie is dropped, so the next answer is plain "signed out".
    expect(c.cookies.has(config.session.cookie_name)).toBe(false);
    expect((await c.get("/api/v1/auth/me")).body.error.code).toBe("unauthenticated");
  });

  it("ends a session at the absolute timeout however active it is", async () => {
    const start = Date.now();
    let now = start;
    const config = testConfig({ session: { idle_timeout_minutes: 120, absolute_timeout_hours: 3 } });
    const { client } = testApp(stack, { config, deps: { now: () => new Date(now) } });
    const user = await seedUser(stack.data);
    const c = await signIn(client(), stack.data, config, user);
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) {
      now = start + i * 50 * 60_000; // every 50 minutes: never idle
      statuses.push((await c.get("/api/v1/auth/me")).status);
    }
    expect(statuses).toEqual([200, 200, 200, 401]);
  });

  it("refuses a disabled user's existing session", async () => {
    const user = await seedUser(stack.data);
    const { client, deps } = testApp(stack);
    const c = await signIn(client(), stack.data, deps.config, user);
    expect((await c.get("/api/v1/auth/me")).status).toBe(200);
    await stack.data.entities.user.patch({ userId: user.userId }).set({ disabled: true }).go();
    expect((await c.get("/api/v1/auth/me")).status).toBe(401);
  });

  it("logs out: deletes the session, clears the cookie and rotates the CSRF token", async () => {
    const user = await seedUser(stack.data);
    const { client, deps } = testApp(stack);
    const c = await signIn(client(), stack.data, deps.config, user);
    const token = c.cookies.get("ztix_session")!;
    const csrf = c.cookies.get("ztix_csrf");
    const res = await c.post("/api/v1/auth/logout");
    expect(res.status).toBe(200);
    expect(c.cookies.has("ztix_session")).toBe(false);
    expect(c.cookies.get("ztix_csrf")).not.toBe(csrf);
    expect((await stack.data.entities.session.get({ sessionHash: tokenHash(token) }).go()).data).toBeNull();
    const replay = testApp(stack).client();
    replay.cookies.set("ztix_session", token);
    expect((await replay.get("/api/v1/auth/me")).status).toBe(401);
  });
});
