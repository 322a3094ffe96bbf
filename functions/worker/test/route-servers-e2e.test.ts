/**
 * End to end on real components: the API app approves a request, the real worker takes the
 * job off the fauxqs FIFO queue, provisions it on the controller emulator and applies the
 * member to TWO real route servers (BIRD daemons with their own control sockets, reached
 * through a real sshd on loopback with a pinned host key).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequest } from "@ztix/data";
import { routeServerStates } from "@ztix/route-servers";
import { runPreflight } from "@ztix/zerotier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { protocolStates, startBird } from "../../../packages/route-servers/test/support/bird.ts";
import {
  type RouteServerHost,
  startRouteServerHost,
} from "../../../packages/route-servers/test/support/route-server-host.ts";
import { type SshdInstance, startSshd } from "../../../packages/route-servers/test/support/sshd.ts";
import { type ApiClient, testApp } from "../../../test/support/api.ts";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import { seedUser, signIn } from "../../../test/support/users.ts";
import { type Poller, startPoller } from "../src/poller.ts";
import { type Harness, nextNodeId, waitForStatus, workerHarness } from "./support/harness.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("sshd", existsSync("/usr/sbin/sshd") && hasCommand("ssh-keygen"));

/** The BGP sessions the route-server package renders for a member (one per address family). */
const memberProtocols = (asn: number, nodeId: string) => [
  `m_as${asn}_${nodeId}_v4`,
  `m_as${asn}_${nodeId}_v6`,
];

describe.skipIf(!present)("approved requests reach two real route servers through the worker", () => {
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
      hosts.push(await startRouteServerHost({ baseDir: dir, id, ssh: sshd }));
    }
    h = await workerHarness({
      route_servers: hosts.map((x) => x.config),
      route_server_policy: { allow_documentation_resources: true, lock_wait_seconds: 5 },
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
    const op = await seedUser(h.stack.data, {
      asns: [
        { asn: 64501, name: "Net A" },
        { asn: 64502, name: "Net B" },
      ],
      networks: [h.networkId],
    });
    operator = await signIn(api.client(), h.stack.data, h.config, op);
    const adm = await seedUser(h.stack.data, { isAdmin: true, username: "rs-e2e-admin" });
    admin = await signIn(api.client(), h.stack.data, h.config, adm);
    poller = startPoller({ deps: h.deps, sqs: h.stack.sqs, queueUrl: h.stack.queueUrl, waitTimeSeconds: 1 });
  }, 45_000);

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

  const syncOf = async (requestId: string) =>
    new Map((await routeServerStates(h.stack.data, requestId)).map((s) => [s.routeServerId, s]));

  it("provisions an approved request to active with its sessions on both route servers", async () => {
    const nodeId = nextNodeId();
    const id = await submitAndApprove(64501, nodeId);
    const done = await waitForStatus(h, id, ["active", "failed"], 30_000);
    // The error goes into the comparison so a failure says why.
    expect({ status: done.status, error: done.lastErrorMessage }).toEqual({
      status: "active",
      error: undefined,
    });

    for (const host of hosts) {
      const protocols = await protocolStates(host.bird.socket);
      for (const name of memberProtocols(64501, nodeId)) expect(protocols.has(name)).toBe(true);
    }
    const syncs = await syncOf(id);
    expect([...syncs.keys()].sort()).toEqual(["rs-a", "rs-b"]);
    for (const s of syncs.values()) {
      expect(s.state).toBe("in_sync");
      expect(s.appliedHash).toBe(s.desiredHash);
    }

    const detail = await operator.get(`/api/v1/requests/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.request.status).toBe("active");
    expect(detail.body.route_servers).toEqual([
      expect.objectContaining({ route_server_id: "rs-a", state: "in_sync", last_error: null }),
      expect.objectContaining({ route_server_id: "rs-b", state: "in_sync", last_error: null }),
    ]);
  });

  it("fails naming the route server that is down, and an admin retry re-applies only that one", async () => {
    const down = rs("rs-b");
    await down.bird.stop();
    const nodeId = nextNodeId();
    const id = await submitAndApprove(64502, nodeId);

    const failed = await waitForStatus(h, id, ["active", "failed"], 30_000);
    expect(failed.status).toBe("failed");
    expect(failed.lastErrorCode).toBe("route_server_sync_failed");
    // The stage and BIRD's own words: what an admin needs to see which server to fix.
    expect(failed.lastErrorMessage).toMatch(
      /^route servers not in sync: rs-b: configure_check \(Unable to connect to server control socket/,
    );
    expect(failed.lastErrorMessage).not.toMatch(/rs-a/);
    const afterFailure = await syncOf(id);
    expect(afterFailure.get("rs-a")).toMatchObject({ state: "in_sync" });
    expect(afterFailure.get("rs-a")?.appliedHash).toBe(afterFailure.get("rs-a")?.desiredHash);
    expect(afterFailure.get("rs-b")).toMatchObject({ state: "failed" });
    expect(afterFailure.get("rs-b")?.lastErrorStage).toBe("configure_check");
    expect((await protocolStates(rs("rs-a").bird.socket)).has(memberProtocols(64502, nodeId)[0]!)).toBe(true);

    const adminView = await admin.get(`/api/v1/admin/requests/${id}`);
    expect(adminView.status).toBe(200);
    expect(adminView.body.request).toMatchObject({
      status: "failed",
      last_error: { code: "route_server_sync_failed", message: expect.stringContaining("rs-b") },
    });
    expect(adminView.body.route_servers).toEqual([
      expect.objectContaining({ route_server_id: "rs-a", state: "in_sync" }),
      expect.objectContaining({
        route_server_id: "rs-b",
        state: "failed",
        last_error_stage: expect.any(String),
      }),
    ]);

    // Bring rs-b back on the same socket; the failed apply rolled its files back, so BIRD
    // starts without the member.
    const restarted = await startBird({ config: down.config.paths.main_config, dir: down.dir, name: "bird" });
    expect(restarted.socket).toBe(down.config.paths.control_socket);
    down.bird = restarted;
    expect((await protocolStates(restarted.socket)).has(memberProtocols(64502, nodeId)[0]!)).toBe(false);

    const rsAMemberFile = join(rs("rs-a").config.paths.members_dir, `AS64502_${nodeId}.conf`);
    const rsAFileTime = statSync(rsAMemberFile).mtimeMs;
    const retried = await admin.post(`/api/v1/admin/requests/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.dispatch).toMatchObject({ enqueued: true, attempt: 2 });

    const active = await waitForStatus(h, id, ["active", "failed"], 30_000);
    expect({ status: active.status, error: active.lastErrorMessage }).toMatchObject({ status: "active" });
    for (const host of hosts) {
      const protocols = await protocolStates(host.bird.socket);
      for (const name of memberProtocols(64502, nodeId)) expect(protocols.has(name)).toBe(true);
    }
    const afterRetry = await syncOf(id);
    // rs-a was skipped (its record untouched, its file not rewritten); only rs-b was applied.
    expect(afterRetry.get("rs-a")?.updatedAt).toBe(afterFailure.get("rs-a")?.updatedAt);
    expect(statSync(rsAMemberFile).mtimeMs).toBe(rsAFileTime);
    expect(afterRetry.get("rs-b")?.updatedAt).not.toBe(afterFailure.get("rs-b")?.updatedAt);
    for (const s of afterRetry.values()) {
      expect(s.state).toBe("in_sync");
      expect(s.appliedHash).toBe(s.desiredHash);
    }
    expect((await getRequest(h.stack.data, id))?.attempt).toBe(2);
  });
});
