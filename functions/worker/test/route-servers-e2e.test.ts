/**
 * End to end on real components: the API app approves requests, the real worker takes the jobs
 * off the fauxqs FIFO queue, provisions them on the controller emulator, and the route-server
 * reconcilers (one FIFO group per server) bring TWO real route servers — BIRD daemons behind a
 * real sshd with a pinned host key — to the desired state. Requests become active only when
 * both carry the member.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequest, routeServerState, syncsOfRequest } from "@ztix/data";
import { type SshdInstance, startSshd } from "@ztix/local-stack";
import { memberProtocolName } from "@ztix/route-servers";
import { runPreflight } from "@ztix/zerotier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolStates, startBird } from "../../../packages/route-servers/test/support/bird.ts";
import {
  type RouteServerHost,
  startRouteServerHost,
} from "../../../packages/route-servers/test/support/route-server-host.ts";
import { type ApiClient, testApp } from "../../../test/support/api.ts";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { seedUser, signIn } from "../../../test/support/users.ts";
import { type Poller, startPoller } from "../src/poller.ts";
import { type Harness, nextNodeId, waitForStatus, workerHarness } from "./support/harness.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("sshd", existsSync("/usr/sbin/sshd") && hasCommand("ssh-keygen"));

/** The BGP sessions of a member of network 000001 (one per address family). */
const memberProtocols = (asn: number, nodeId: string) =>
  (["ipv4", "ipv6"] as const).map((f) => memberProtocolName({ asn, network: "000001", nodeId }, f));

describe.skipIf(!present)("approved requests reach two real route servers through their reconcilers", () => {
  let dir: string;
  let sshd: SshdInstance;
  let h: Harness;
  let poller: Poller;
  let operator: ApiClient;
  let admin: ApiClient;
  const hosts: RouteServerHost[] = [];
  const rs = (id: string) => hosts.find((x) => x.config.id === id)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ztix-rs-e2e-"));
    mkdirSync(join(dir, "ssh"));
    sshd = await startSshd(join(dir, "ssh"));
    for (const id of ["rs-a", "rs-b"]) {
      const host = await startRouteServerHost({ baseDir: dir, id, ssh: sshd });
      host.config = { ...host.config, peering_ipv4: ["192.0.2.1"], peering_ipv6: ["2001:db8:100::1"] };
      hosts.push(host);
    }
    h = await workerHarness({
      route_servers: hosts.map((x) => x.config),
      route_server_policy: {
        allow_documentation_resources: true,
        configure_timeout_seconds: 10,
        command_timeout_seconds: 20,
      },
    });
    // The route servers' SSH key sits in the same secret store as the controller token.
    const secrets = JSON.parse(readFileSync(h.stack.secretsPath, "utf8")) as Record<string, string>;
    writeFileSync(h.stack.secretsPath, JSON.stringify({ ...secrets, "rs-key": sshd.userPrivateKey }));
    // Creates the IX network on the controller and lists it in DynamoDB, as a deploy does.
    const preflight = await runPreflight({
      config: h.config,
      data: h.stack.data,
      provider: h.deps.provider(),
    });
    expect(preflight.ok).toBe(true);

    const api = testApp(h.stack, { config: h.config });
    const asns = Array.from({ length: 60 }, (_, i) => ({ asn: 64600 + i, name: `Net ${i}` }));
    const op = await seedUser(h.stack.data, { asns, networks: [h.networkId] });
    operator = await signIn(api.client(), h.stack.data, h.config, op);
    const adm = await seedUser(h.stack.data, { isAdmin: true, username: "rs-e2e-admin" });
    admin = await signIn(api.client(), h.stack.data, h.config, adm);
    // Several receive loops, as Lambda runs groups concurrently: provisioning jobs and the two
    // route servers' reconciles proceed side by side.
    poller = startPoller({
      deps: h.deps,
      sqs: h.stack.sqs,
      queueUrl: h.stack.queueUrl,
      waitTimeSeconds: 1,
      loops: 4,
      retryVisibilitySeconds: 1,
      maxRetryVisibilitySeconds: 3,
    });
  }, 60_000);

  afterAll(async () => {
    await poller?.stop();
    await h?.stop();
    await Promise.allSettled(hosts.map((x) => x.bird.stop()));
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Operator submits, admin approves (which queues the job); returns the request id. */
  async function submitAndApprove(asn: number, nodeId: string): Promise<string> {
    const created = await operator.post("/api/v1/requests", {
      asn,
      zt_network_id: h.networkId,
      node_id: nodeId,
    });
    expect(created.status).toBe(201);
    const id = created.body.request.request_id as string;
    const approved = await admin.post(`/api/v1/admin/requests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.dispatch).toMatchObject({ enqueued: true, attempt: 1 });
    return id;
  }

  it("makes a request active once both route servers carry its sessions", async () => {
    const nodeId = nextNodeId();
    const id = await submitAndApprove(64600, nodeId);
    const done = await waitForStatus(h, id, ["active", "failed"], 30_000);
    expect({ status: done.status, error: done.lastErrorMessage }).toEqual({
      status: "active",
      error: undefined,
    });
    for (const host of hosts) {
      const protocols = await protocolStates(host.bird.socket);
      for (const name of memberProtocols(64600, nodeId)) expect(protocols.has(name)).toBe(true);
    }
    const syncs = await syncsOfRequest(h.stack.data, id);
    expect(syncs.map((s) => [s.routeServerId, s.state]).sort()).toEqual([
      ["rs-a", "in_sync"],
      ["rs-b", "in_sync"],
    ]);
    const detail = await operator.get(`/api/v1/requests/${id}`);
    expect(detail.body.route_servers).toEqual([
      expect.objectContaining({ route_server_id: "rs-a", state: "in_sync", peering_ipv4: "192.0.2.1" }),
      expect.objectContaining({ route_server_id: "rs-b", state: "in_sync", peering_ipv6: "2001:db8:100::1" }),
    ]);
  });

  it("applies 50 approvals arriving together in a few BIRD reconfigurations per route server", async () => {
    const before = hosts.map((x) => x.reconfigurations());
    const nodes = Array.from({ length: 50 }, () => nextNodeId());
    const ids = await Promise.all(nodes.map((n, i) => submitAndApprove(64601 + i, n)));
    for (const id of ids) {
      const r = await waitForStatus(h, id, ["active", "failed"], 90_000);
      expect({ id, status: r.status, error: r.lastErrorMessage }).toEqual({
        id,
        status: "active",
        error: undefined,
      });
    }
    const configures = hosts.map((x, i) => x.reconfigurations() - before[i]!);
    // One apply per batch of changes that arrived while the previous apply ran: a handful,
    // never one per request.
    for (const c of configures) {
      expect(c).toBeGreaterThanOrEqual(1);
      expect(c).toBeLessThanOrEqual(10);
    }
    for (const host of hosts) {
      const protocols = await protocolStates(host.bird.socket);
      const missing = nodes.filter((n, i) => !protocols.has(memberProtocols(64601 + i, n)[0]!));
      expect(missing).toEqual([]);
    }
  }, 120_000);

  it("keeps requests provisioning while a route server is down, and activates them by itself once it is back", async () => {
    const down = rs("rs-b");
    await down.bird.stop();
    const nodeId = nextNodeId();
    const id = await submitAndApprove(64655, nodeId);

    // rs-a takes the member; rs-b cannot, and says why.
    await waitForCondition(async () =>
      (await protocolStates(rs("rs-a").bird.socket)).has(memberProtocols(64655, nodeId)[0]!),
    );
    await waitForCondition(
      async () =>
        (await routeServerState(h.stack.data, "rs-b"))?.lastErrorCode === "route_server_bird_unreachable",
    );
    expect((await getRequest(h.stack.data, id))?.status).toBe("provisioning");
    const adminRs = await admin.get("/api/v1/admin/route-servers");
    expect(adminRs.status).toBe(200);
    expect(adminRs.body.items).toContainEqual(
      expect.objectContaining({
        route_server_id: "rs-b",
        condition: "error",
        last_error: expect.stringMatching(/does not answer/),
      }),
    );

    // Longer than the five deliveries SQS gives one message: the reconcile is queued again, never dropped.
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await getRequest(h.stack.data, id))?.status).toBe("provisioning");
    // Bring BIRD back on the same socket; the next reconcile of rs-b (its retry) does the rest.
    down.bird = await startBird({ config: down.config.paths.main_config, dir: down.dir, name: "bird" });
    const active = await waitForStatus(h, id, ["active", "failed"], 60_000);
    expect(active.status).toBe("active");
    expect((await protocolStates(down.bird.socket)).has(memberProtocols(64655, nodeId)[0]!)).toBe(true);
    expect((await getRequest(h.stack.data, id))?.attempt).toBe(1);
  }, 90_000);
});

async function waitForCondition(probe: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 200));
  }
}
