import { createLocalUser, setUserDisabled } from "@ztix/auth";
import type { RuntimeConfig } from "@ztix/core";
import { auditTrail } from "@ztix/data";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ApiClient, testApp } from "../../../test/support/api.ts";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { clientFrom } from "./helpers/clients.ts";

const PASSWORD = "correct horse battery";

describe("local sign-in", () => {
  let stack: TestStack;
  const config = testConfig({
    auth: {
      local: { throttle: { max_failures_per_username: 3, max_failures_per_address: 5, window_seconds: 900 } },
    },
  });
  let addressCounter = 0;
  // A clock stopped just inside one throttle window: a window ending mid-test would reset the counts.
  const stopped = new Date(Math.floor(Date.now() / 900_000) * 900_000 + 1_000);
  const now = () => stopped;

  beforeAll(async () => {
    stack = await testStack();
    for (const username of ["olivia", "pat", "quinn", "rita", "sam"]) {
      await createLocalUser({ data: stack.data, config }, { username, password: PASSWORD, asns: [64500] });
    }
    await createLocalUser({ data: stack.data, config }, { username: "dora", password: PASSWORD });
    await setUserDisabled({ data: stack.data, config }, { username: "dora" }, true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  /** A client connecting from its own address, so per-address counters do not leak between tests. */
  function client(options: { config?: RuntimeConfig; address?: string } = {}) {
    const { app } = testApp(stack, { config: options.config ?? config, deps: { now } });
    return clientFrom(app, options.address ?? `198.51.100.${++addressCounter}`);
  }

  const login = (c: ApiClient, username: string, password = PASSWORD) =>
    c.post("/api/v1/auth/local/login", { username, password });

  async function auditOf(res: { headers: Headers }) {
    const events = await auditTrail(stack.data, "auth");
    return events.find((e) => e.requestId === res.headers.get("x-request-id"));
  }

  it("signs a user in with a new session and a new CSRF token, and /auth/me shows them", async () => {
    const c = client();
    await c.get("/api/v1/auth/csrf");
    const before = c.cookies.get("ztix_csrf");
    const res = await login(c, "Olivia");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user: { username: "olivia", source: "local" },
      is_admin: false,
      auth_method: "local",
      asns: [{ asn: 64500, source: "local" }],
    });
    expect(res.body.csrf_token).not.toBe(before);
    expect(c.cookies.get("ztix_csrf")).toBe(res.body.csrf_token);
    const me = await c.get("/api/v1/auth/me");
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe("olivia");
    expect(await auditOf(res)).toMatchObject({
      action: "auth.login",
      actorType: "user",
      metadata: { method: "local" },
    });
  });

  it("issues a new session id at every login and ends the previous one", async () => {
    const c = client();
    await login(c, "olivia");
    const first = c.cookies.get("ztix_session")!;
    await login(c, "olivia");
    const second = c.cookies.get("ztix_session")!;
    expect(second).not.toBe(first);
    const stale = client();
    stale.cookies.set("ztix_session", first);
    expect((await stale.get("/api/v1/auth/me")).status).toBe(401);
  });

  it("answers unknown users and wrong passwords identically, auditing the real reason and counting a metric", async () => {
    vi.stubEnv("ZTIX_METRICS", "on"); // the suite silences metrics; this test reads them
    const writes: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      writes.push(String(chunk));
      return original(chunk, ...(rest as []));
    });
    const wrong = await login(client(), "pat", "not the password");
    const unknown = await login(client(), "nobody-here", "not the password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    expect((await auditOf(wrong))?.metadata).toMatchObject({ reason: "wrong_password", username: "pat" });
    expect((await auditOf(unknown))?.metadata).toMatchObject({ reason: "unknown_user" });
    const metrics = writes.filter((w) => w.includes('"AuthAttempts"')).map((w) => JSON.parse(w));
    expect(metrics.map((m) => [m.Method, m.Outcome, m.Reason])).toEqual([
      ["local", "failure", "wrong_password"],
      ["local", "failure", "unknown_user"],
    ]);
    expect(metrics[0].requestId).toBe(wrong.headers.get("x-request-id"));
  });

  it("refuses a disabled account only when the password is right", async () => {
    const right = await login(client(), "dora");
    expect(right.status).toBe(403);
    expect(right.body.error.code).toBe("account_disabled");
    const wrong = await login(client(), "dora", "not the password");
    expect(wrong.body.error.code).toBe("invalid_credentials");
  });

  it("throttles a username after repeated failures with 429 and Retry-After, even with the right password", async () => {
    for (let i = 0; i < 3; i++) {
      const address = `203.0.113.${i + 1}`;
      expect((await login(client({ address }), "quinn", "nope")).status).toBe(401);
    }
    const blocked = await login(client({ address: "203.0.113.99" }), "quinn");
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe("too_many_requests");
    const retryAfter = Number(blocked.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect((await auditOf(blocked))?.metadata).toMatchObject({ reason: "throttled_username" });
    expect((await login(client(), "rita")).status).toBe(200);
  });

  it("throttles a client address across usernames", async () => {
    const address = "192.0.2.77";
    for (const username of ["u1", "u2", "u3", "u4", "u5"]) {
      expect((await login(client({ address }), username, "nope")).status).toBe(401);
    }
    const blocked = await login(client({ address }), "sam");
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await auditOf(blocked))?.metadata).toMatchObject({ reason: "throttled_address", address });
    expect((await login(client({ address: "192.0.2.78" }), "sam")).status).toBe(200);
  });

  it("counts 30 usernames sprayed under 30 forged addresses against the one address they come from", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const forged = `203.0.113.${100 + i}`;
      const c = clientFrom(testApp(stack, { config, deps: { now } }).app, "192.0.2.150", {
        "x-forwarded-for": forged,
        "cloudfront-viewer-address": `${forged}:443`,
        "x-ztix-viewer-address": forged,
        "x-real-ip": forged,
      });
      statuses.push((await login(c, `spray-${i}`, "nope")).status);
    }
    // max_failures_per_address is 5: five password checks, then refusals.
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(25).fill(429)]);
  });

  it("believes X-Forwarded-For only from a configured proxy, and only the hop that proxy saw", async () => {
    const proxied = (forwardedFor: string) =>
      clientFrom(
        testApp(stack, { config, deps: { now, front: { kind: "direct", trustedProxies: ["10.0.0.1"] } } })
          .app,
        "10.0.0.1",
        { "x-forwarded-for": forwardedFor },
      );
    // Behind the proxy, clients are told apart by the address it appends...
    expect((await login(proxied("198.51.100.201"), "via-proxy-a", "nope")).status).toBe(401);
    // ...and what a client wrote before it (the left of the list) is ignored.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (await login(proxied(`203.0.113.${150 + i}, 198.51.100.202`), `via-proxy-${i}`, "nope")).status,
      );
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(3).fill(429)]);
  });

  it("never hands an address its failures back when it signs in successfully in between", async () => {
    // Owning one valid account must not buy an address more guesses at others' accounts.
    const address = "192.0.2.160";
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await login(client({ address }), `guess-${i}`, "nope")).status);
      statuses.push((await login(client({ address }), "olivia")).status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    const fifthFailure = statuses.lastIndexOf(401);
    expect(statuses.slice(0, fifthFailure).filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.slice(fifthFailure + 1).every((s) => s === 429)).toBe(true);
  });

  it("lets no more password checks through than the limit when attempts arrive all at once", async () => {
    // Every attempt is counted before its password check, so a burst cannot outrun the count.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        login(client({ address: `198.51.100.${i + 1}` }), "burst-target", "nope"),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it("counts concurrent failures atomically", async () => {
    const address = "192.0.2.200";
    await Promise.all(["a", "b", "c", "d"].map((u) => login(client({ address }), `ghost-${u}`, "nope")));
    const rows = await stack.data.entities.loginThrottle.scan.go({ pages: "all" });
    const counter = rows.data.find((r) => r.key === `address:${address}`);
    expect(counter?.failures).toBe(4);
    expect(counter?.ttl).toBeGreaterThan(Date.now() / 1000);
  });

  it("starts a username's count again after a successful sign-in", async () => {
    await createLocalUser({ data: stack.data, config }, { username: "tess", password: PASSWORD });
    for (let round = 0; round < 2; round++) {
      expect((await login(client(), "tess", "nope")).status).toBe(401);
      expect((await login(client(), "tess", "nope")).status).toBe(401);
      expect((await login(client(), "tess")).status).toBe(200);
    }
  });

  it("refuses local sign-in when it is disabled in config, and /auth/methods says so", async () => {
    const off = testConfig({ auth: { local: { enabled: false } } });
    const c = client({ config: off });
    expect((await c.get("/api/v1/auth/methods")).body).toEqual({
      peeringdb: { enabled: true },
      local: { enabled: false },
    });
    const res = await login(c, "olivia");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("auth_method_disabled");
  });

  it("answers a malformed body with validation_failed", async () => {
    const res = await client().post("/api/v1/auth/local/login", { username: "olivia" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
  });
});
