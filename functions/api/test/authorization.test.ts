import { beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../../../test/support/api.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { seedUser, signIn } from "../../../test/support/users.ts";

/** The only routes anyone may call signed out: sign-in itself, and what the sign-in page needs. */
const PUBLIC_ROUTES = new Set([
  "GET /api/v1/health",
  "GET /api/v1/auth/methods",
  "GET /api/v1/auth/csrf",
  "POST /api/v1/auth/logout",
  "POST /api/v1/auth/local/login",
  "POST /api/v1/auth/peeringdb/start",
  "POST /api/v1/auth/peeringdb/callback",
]);

const REQUEST_ID = "00000000-0000-4000-8000-000000000000";

describe("authorization on every route", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await testStack();
  });

  /** Every route the app has, read from the router, so a new route cannot skip these checks. */
  function routes() {
    const { app } = testApp(stack);
    const seen = new Set<string>();
    for (const r of app.routes) {
      if (r.path.endsWith("*") || r.method === "ALL") continue; // middleware and the 404 catch-all
      seen.add(`${r.method} ${r.path.replace(/:[A-Za-z_]+(\{[^}]*\})?/g, REQUEST_ID)}`);
    }
    return [...seen].map((key) => {
      const [method, path] = key.split(" ") as [string, string];
      return { key, method, path };
    });
  }

  it("finds the operator, onboarding and admin routes in the router", () => {
    const keys = routes().map((r) => r.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        "GET /api/v1/onboarding/context",
        "GET /api/v1/requests",
        `GET /api/v1/requests/${REQUEST_ID}`,
        `POST /api/v1/requests/${REQUEST_ID}/cancel`,
        "GET /api/v1/admin/requests",
        `POST /api/v1/admin/requests/${REQUEST_ID}/approve`,
      ]),
    );
  });

  it("answers every non-public route with 401 when signed out", async () => {
    const { client } = testApp(stack);
    const anonymous = client();
    const failures: string[] = [];
    for (const { key, method, path } of routes()) {
      if (PUBLIC_ROUTES.has(key)) continue;
      const res = method === "GET" ? await anonymous.get(path) : await anonymous.send(method, path, {});
      if (res.status !== 401 || res.body?.error?.code !== "unauthenticated") {
        failures.push(`${key}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("answers every admin route with 403 for a signed-in operator", async () => {
    const { client, deps } = testApp(stack);
    const operator = await seedUser(stack.data, { asns: [{ asn: 64500 }] });
    const c = await signIn(client(), stack.data, deps.config, operator);
    const admin = routes().filter((r) => r.path.startsWith("/api/v1/admin"));
    expect(admin.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const { key, method, path } of admin) {
      const res = method === "GET" ? await c.get(path) : await c.send(method, path, {});
      if (res.status !== 403 || res.body?.error?.code !== "forbidden") {
        failures.push(`${key}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
