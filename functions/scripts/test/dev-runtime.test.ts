import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { documentClient, dynamoClient } from "@ztix/aws";
import { createService } from "@ztix/data";
import { freePort, waitFor } from "@ztix/local-stack";
import { afterAll, describe, expect, it } from "vitest";
import { INSTALL_HINT } from "../src/dev/route-servers.ts";
import { startLocalRuntime } from "../src/dev/runtime.ts";

// The launcher mutates process.env (endpoints, SST_RESOURCE_*): restore it for other suites.
const savedEnv = { ...process.env };
afterAll(() => {
  process.env = savedEnv;
});

/** A browser-like session against the launcher's origin: cookies, Origin and CSRF header. */
function session(origin: string) {
  const cookies = new Map<string, string>();
  const call = async (method: string, path: string, body?: unknown) => {
    if (method !== "GET" && !cookies.has("ztix_csrf")) await call("GET", "/api/v1/auth/csrf");
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: {
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        origin,
        "x-csrf-token": cookies.get("ztix_csrf") ?? "",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, ...rest] = pair!.split("=");
      cookies.set(name!.trim(), rest.join("=").trim());
    }
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  return call;
}

// This test plays a machine without bird2 and openssh-server (dev.test.ts runs the route servers).
const noBird = { routeServers: "bird2 is not installed (no bird/birdc)" };

describe("npm run dev (the local runtime)", () => {
  it("runs the whole product without route servers: sign-in, request, approval, and the worker taking it to active", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-dev-"));
    const ports = {
      api: await freePort(),
      controller: await freePort(),
      oidc: await freePort(),
      ssh: await freePort(),
      peeringdb: await freePort(),
      irr: await freePort(),
    };
    const quiet = { say: () => undefined, unavailable: noBird };
    const runtime = await startLocalRuntime({ dir, ports, spa: false, ...quiet });
    try {
      const health = await fetch(`${runtime.url}/api/v1/health`);
      expect(health.status).toBe(200);
      // No route servers, and the one line saying how to get them.
      expect(runtime.config.route_servers).toEqual([]);
      expect(runtime.routeServers).toBeUndefined();
      expect(runtime.summary.split(INSTALL_HINT)).toHaveLength(2);
      expect(runtime.summary).toMatch(/route servers: bird2 is not installed/);
      expect(readFileSync(join(dir, "dev.yaml"), "utf8")).toMatch(/^route_servers: \[\]$/m);
      const secrets = JSON.parse(readFileSync(join(dir, "secrets.json"), "utf8"));

      const operator = session(runtime.url);
      const login = await operator("POST", "/api/v1/auth/local/login", {
        username: "operator",
        password: secrets.demo_operator_password,
      });
      expect(login.status).toBe(200);
      const context = await operator("GET", "/api/v1/onboarding/context");
      const network = context.body.networks[0];
      expect(network.zt_network_id).toMatch(/^[0-9a-f]{10}000001$/);
      const created = await operator("POST", "/api/v1/requests", {
        asn: 64511,
        zt_network_id: network.zt_network_id,
        node_id: "a1b2c3d4e5",
      });
      expect(created.status).toBe(201);
      const requestId = created.body.request.request_id;

      const admin = session(runtime.url);
      await admin("POST", "/api/v1/auth/local/login", {
        username: "admin",
        password: secrets.demo_admin_password,
      });
      expect((await admin("POST", `/api/v1/admin/requests/${requestId}/approve`, {})).status).toBe(200);

      let detail: any;
      await waitFor(
        async () => {
          detail = (await operator("GET", `/api/v1/requests/${requestId}`)).body;
          return detail.request.status === "active";
        },
        30_000,
        "the request to become active",
      );
      expect(detail.membership).toMatchObject({ ipv4: expect.stringMatching(/^10\.147\.17\./) });

      // The ops scripts, run from another terminal, find the running stack.
      const listed = spawnSync("npx", ["tsx", "functions/scripts/src/users.ts", "list"], {
        env: { ...savedEnv, ZTIX_DEV_ENV: join(dir, "dev-env.json") },
        encoding: "utf8",
      });
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain("operator");
      expect(listed.stdout).toContain("admin");
    } finally {
      await runtime.stop();
    }
    expect(existsSync(join(dir, "dev-env.json"))).toBe(false);

    // Data persists under the directory across restarts.
    const again = await startLocalRuntime({ dir, ports, spa: false, ...quiet });
    try {
      const data = createService({ client: documentClient(dynamoClient()), table: "ztix" });
      const kept = await data.entities.joinRequest.query.byStatus({ status: "active" }).go();
      expect(kept.data).toHaveLength(1);
    } finally {
      await again.stop();
    }
  }, 180_000);
});
