import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { freePort, listNamespaces, netnsUsable, parseProtocols, waitFor } from "@ztix/local-stack";
import { memberProtocolName, RouteServerConnections } from "@ztix/route-servers";
import { afterEach, describe, expect, it } from "vitest";
import { requireSystem } from "../../../test/support/system.ts";
import { lanTag } from "../src/dev/demo-lan.ts";
import { routeServerSupport } from "../src/dev/route-servers.ts";
import { startLocalRuntime } from "../src/dev/runtime.ts";

// The launcher mutates process.env (endpoints, SST_RESOURCE_*, ZTIX_RUNTIME_CONFIG): each test
// starts from the environment the file started with.
const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

const support = await routeServerSupport();
const runs = requireSystem(`bird2 and openssh-server${support.ok ? "" : ` (${support.reason})`}`, support.ok);
const netns = await netnsUsable();
if (!netns.ok)
  console.warn(`[skip] demo member routers (${netns.reason}): only the route servers are tested`);

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

/** The processes whose command line mentions `dir` (BIRDs, sshd, and whatever else it started). */
function processesUnder(dir: string): string {
  return spawnSync("pgrep", ["-a", "-f", dir], { encoding: "utf8" }).stdout.trim();
}

describe.skipIf(!runs)("npm run dev with real BIRD route servers", () => {
  it("runs two route servers over the pinned-key sshd, reconciles an approval onto both, and leaves nothing behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ztix-dev-rs-"));
    const ports = {
      api: await freePort(),
      controller: await freePort(),
      oidc: await freePort(),
      ssh: await freePort(),
      peeringdb: await freePort(),
      irr: await freePort(),
    };
    const said: string[] = [];
    const runtime = await startLocalRuntime({ dir, ports, spa: false, say: (m) => said.push(m) });
    const member = { asn: 64511, network: "000001", nodeId: "de64511001" };
    const v4 = memberProtocolName(member, "ipv4");
    const v6 = memberProtocolName(member, "ipv6");
    try {
      expect(runtime.summary).toMatch(/route servers dev-rs1, dev-rs2: BIRD 2\.\d/);
      expect(runtime.summary).toMatch(/PeeringDB API stand-in at http:\/\/127\.0\.0\.1/);
      expect(runtime.summary).toMatch(/IRR whois stand-in at 127\.0\.0\.1/);
      expect(runtime.routeServers?.servers.map((s) => s.config.id)).toEqual(["dev-rs1", "dev-rs2"]);

      // Reached as the worker reaches them: SSH with the pinned host key, birdc on the socket.
      const secrets = fileSecretStore(join(dir, "secrets.json"));
      const connections = new RouteServerConnections(secrets);
      const onBox = (id: string, command: string) => {
        const rs = runtime.config.route_servers.find((r) => r.id === id)!;
        return connections
          .get(rs)
          .exec(`${rs.commands.birdc} -s ${rs.paths.control_socket} ${command}`, { timeoutMs: 15_000 })
          .then((r) => r.stdout);
      };
      try {
        for (const id of ["dev-rs1", "dev-rs2"]) {
          const status = await onBox(id, "show status");
          expect(status).toMatch(/BIRD 2\.\d/);
          expect(status).toContain("Daemon is up");
        }
        // Any other host key is refused before login.
        const rs1 = runtime.config.route_servers[0]!;
        const impostor = {
          ...rs1,
          ssh: { ...rs1.ssh, host_key_fingerprint: runtime.routeServers!.sshd.otherFingerprint },
        };
        await expect(new RouteServerConnections(secrets).get(impostor).exec("true")).rejects.toMatchObject({
          code: "ssh_host_key_mismatch",
        });

        // The operator asks for the demo member's node; the admin approves through the API.
        const passwords = JSON.parse(readFileSync(join(dir, "secrets.json"), "utf8"));
        const operator = session(runtime.url);
        expect(
          (
            await operator("POST", "/api/v1/auth/local/login", {
              username: "operator",
              password: passwords.demo_operator_password,
            })
          ).status,
        ).toBe(200);
        const created = await operator("POST", "/api/v1/requests", {
          asn: member.asn,
          zt_network_id: runtime.networkIds[0],
          node_id: member.nodeId,
        });
        expect(created.status).toBe(201);
        const requestId = created.body.request.request_id;
        const admin = session(runtime.url);
        await admin("POST", "/api/v1/auth/local/login", {
          username: "admin",
          password: passwords.demo_admin_password,
        });
        expect((await admin("POST", `/api/v1/admin/requests/${requestId}/approve`, {})).status).toBe(200);
        let detail: any;
        await waitFor(
          async () => {
            detail = (await operator("GET", `/api/v1/requests/${requestId}`)).body;
            return detail.request.status === "active";
          },
          90_000,
          "the request to become active on both route servers",
        );

        // Its sessions are configured on both route servers.
        for (const id of ["dev-rs1", "dev-rs2"]) {
          const protocols = parseProtocols(await onBox(id, "show protocols"));
          expect(protocols.get(v4)?.proto).toBe("BGP");
          expect(protocols.get(v6)?.proto).toBe("BGP");
        }

        // From a second terminal, the ops script finds the stack through .ztix/dev-env.json.
        const status = spawnSync("npx", ["tsx", "functions/scripts/src/route-servers.ts", "status"], {
          env: { ...savedEnv, ZTIX_DEV_ENV: join(dir, "dev-env.json") },
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(status.status, status.stderr).toBe(0);
        expect(status.stdout).toContain("dev-rs1");
        expect(status.stdout).toContain("dev-rs2");

        if (netns.ok) {
          // The demo member router came up with the controller's addresses and peers with both.
          expect(runtime.demoMembers).toBeDefined();
          await runtime.demoMembers!.poll();
          expect(runtime.demoMembers!.up().map((u) => u.member.asn)).toContain(64511);
          for (const id of ["dev-rs1", "dev-rs2"]) {
            await waitFor(
              async () => {
                const protocols = parseProtocols(await onBox(id, "show protocols"));
                return (
                  /^Established/.test(protocols.get(v4)?.info ?? "") &&
                  /^Established/.test(protocols.get(v6)?.info ?? "")
                );
              },
              60_000,
              `the member's sessions on ${id} to be Established`,
            );
          }
          const accepted = await onBox("dev-rs1", `show route protocol ${v4}`);
          expect(accepted).toContain("203.0.113.0/24");
          await waitFor(
            async () =>
              (await onBox("dev-rs1", `show route filtered protocol ${v4}`)).includes("100.64.0.0/10"),
            20_000,
            "the bogon among the filtered routes",
          );
          expect(await onBox("dev-rs1", `show route filtered protocol ${v6}`)).toContain("2001:db8:503::/48");
        }
      } finally {
        await connections.closeAll();
      }
    } finally {
      await runtime.stop();
    }
    // Nothing it started is left: no BIRD, no sshd, no namespaces, no dev-env file.
    expect(processesUnder(dir)).toBe("");
    for (const pid of runtime.pids()) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect((await listNamespaces()).filter((n) => n.includes(lanTag(dir)))).toEqual([]);
    expect(existsSync(join(dir, "dev-env.json"))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
