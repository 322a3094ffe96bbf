import { statusEntities } from "@ztix/data";
import { runScheduledReconcile } from "@ztix/workflow";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seedActiveMember } from "../../../test/support/active-member.ts";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { type Actors, actors, drainQueue, nextNodeId, TEST_NETWORK_ID } from "./helpers/workflow.ts";

/**
 * The member's sessions and looking glass as the API serves them, on DynamoDB Local and
 * fauxqs: what the worker stored is read back per request, only by whoever holds its ASN;
 * refreshes and queries only queue work (the API never reaches a route server). The worker
 * side, against real BIRD over SSH, is functions/worker/test/sessions-looking-glass.test.ts.
 */

const RAW = "ssh to 127.0.0.1:19394: connect ECONNREFUSED 127.0.0.1:19394";
const LEAKS = ["127.0.0.1", "19394", "ECONNREFUSED", "ssh to"];

const routeServer = (id: string, asn: number) => ({
  id,
  asn,
  router_id: "192.0.2.1",
  peering_ipv4: "192.0.2.1",
  peering_ipv6: "2001:db8:100::1",
  ssh: {
    host: "127.0.0.1",
    user: "ztix",
    host_key_fingerprint: `SHA256:${"A".repeat(43)}`,
    private_key: { secret: "rs_key" },
  },
});
const config = testConfig({ route_servers: [routeServer("rs1", 64999), routeServer("rs2", 64998)] });

let stack: TestStack;
let world: Actors;

beforeAll(async () => {
  stack = await testStack();
  world = actors(stack, { config });
});

beforeEach(async () => {
  await drainQueue(stack.sqs, stack.queueUrl);
});

/** An operator holding a fresh ASN, with an active membership on rs1 (in sync) and rs2 (not yet). */
async function member() {
  const op = await world.operator();
  const asn = op.asns[0]!;
  const nodeId = nextNodeId();
  const requestId = await seedActiveMember(stack.data, {
    asn,
    nodeId,
    networkId: TEST_NETWORK_ID,
    ipv4: "192.0.2.50",
    ipv6: "2001:db8:100::50",
    inSyncOn: ["rs1"],
    userId: op.userId,
  });
  return { ...op, asn, nodeId, requestId };
}

const protocolOf = (asn: number, nodeId: string, v: 4 | 6) => `m_as${asn}_000001_${nodeId}_v${v}`;

describe("GET /requests/{id}/sessions", () => {
  it("shows an operator the sessions of its own membership, configured and established apart", async () => {
    const m = await member();
    const { bgpSession, sessionCollection } = statusEntities(stack.data);
    const collectedAt = new Date(Date.now() - 42_000).toISOString();
    const base = {
      routeServerId: "rs1",
      requestId: m.requestId,
      network: "000001",
      asn: m.asn,
      nodeId: m.nodeId,
      collectedAt,
    };
    await bgpSession
      .put([
        {
          ...base,
          protocol: protocolOf(m.asn, m.nodeId, 6),
          family: "ipv6",
          birdState: "start",
          bgpState: "Active",
          info: "Active        Socket: Connection refused",
          lastError: "Socket: Connection refused",
          imported: 0,
          filtered: 0,
          exported: 0,
          preferred: 0,
          receiveLimit: 50,
          limitHit: false,
        },
        {
          ...base,
          protocol: protocolOf(m.asn, m.nodeId, 4),
          family: "ipv4",
          birdState: "up",
          bgpState: "Established",
          since: "2026-01-01T10:00:00.000Z",
          info: "Established",
          imported: 3,
          filtered: 2,
          exported: 7,
          preferred: 3,
          receiveLimit: 100,
          limitHit: true,
        },
      ])
      .go();
    await sessionCollection
      .put({
        routeServerId: "rs2",
        reachable: false,
        lastAttemptAt: collectedAt,
        errorCode: "ssh_connect_failed",
        error: RAW,
        errorAt: collectedAt,
        updatedAt: collectedAt,
      })
      .go();

    const res = await m.client.get(`/api/v1/requests/${m.requestId}/sessions`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      route_servers: [
        {
          route_server_id: "rs1",
          asn: 64999,
          configured: true,
          collected_at: collectedAt,
          age_seconds: expect.any(Number),
          reachable: null,
          sessions: [
            {
              family: "ipv4",
              protocol: protocolOf(m.asn, m.nodeId, 4),
              state: "Established",
              established: true,
              since: "2026-01-01T10:00:00.000Z",
              info: null,
              routes: { received: 5, accepted: 3, filtered: 2, exported: 7 },
              receive_limit: 100,
              limit_hit: true,
            },
            {
              family: "ipv6",
              protocol: protocolOf(m.asn, m.nodeId, 6),
              state: "Active",
              established: false,
              since: null,
              info: "Socket: Connection refused",
              routes: { received: 0, accepted: 0, filtered: 0, exported: 0 },
              receive_limit: 50,
              limit_hit: false,
            },
          ],
        },
        {
          route_server_id: "rs2",
          asn: 64998,
          configured: false,
          collected_at: null,
          age_seconds: null,
          reachable: false,
          sessions: [],
        },
      ],
    });
    expect(res.body.route_servers[0].age_seconds).toBeGreaterThanOrEqual(41);
    expect(res.body.route_servers[0].age_seconds).toBeLessThan(60);
    for (const leak of LEAKS) expect(JSON.stringify(res.body)).not.toContain(leak);

    // Admins see the same, and why a route server could not be read.
    const admin = await world.admin();
    const asAdmin = await admin.get(`/api/v1/admin/requests/${m.requestId}/sessions`);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.route_servers[1]).toMatchObject({
      route_server_id: "rs2",
      reachable: false,
      error: RAW,
      error_code: "ssh_connect_failed",
    });
    expect(asAdmin.body.route_servers[0]).toMatchObject({ error: null, sessions: expect.any(Array) });
  });

  it("shows operators BIRD's words about a session only when they are BGP's own", async () => {
    const m = await member();
    await statusEntities(stack.data)
      .bgpSession.put({
        routeServerId: "rs1",
        protocol: protocolOf(m.asn, m.nodeId, 4),
        requestId: m.requestId,
        family: "ipv4",
        network: "000001",
        asn: m.asn,
        nodeId: m.nodeId,
        birdState: "start",
        bgpState: "Idle",
        lastError: "/etc/bird/ztix/members/x.conf: something internal",
        imported: 0,
        filtered: 0,
        exported: 0,
        preferred: 0,
        limitHit: false,
        collectedAt: new Date().toISOString(),
      })
      .go();
    const res = await m.client.get(`/api/v1/requests/${m.requestId}/sessions`);
    expect(res.body.route_servers[0].sessions[0]).toMatchObject({ state: "Idle", info: null });
    const admin = await world.admin();
    const asAdmin = await admin.get(`/api/v1/admin/requests/${m.requestId}/sessions`);
    expect(asAdmin.body.route_servers[0].sessions[0].info).toContain("/etc/bird");
  });

  it("answers 404 for another network's request, and for one that does not exist", async () => {
    const mine = await member();
    const theirs = await member();
    for (const path of [
      `/api/v1/requests/${theirs.requestId}/sessions`,
      "/api/v1/requests/00000000-0000-4000-8000-000000000000/sessions",
      "/api/v1/requests/not-a-request/sessions",
    ]) {
      const res = await mine.client.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    const refresh = await mine.client.post(`/api/v1/requests/${theirs.requestId}/sessions/refresh`);
    expect(refresh.status).toBe(404);
    expect(await drainQueue(stack.sqs, stack.queueUrl)).toHaveLength(0);
  });
});

describe("POST /requests/{id}/sessions/refresh", () => {
  it("queues one collection per route server in its status group, then not again for 30 s", async () => {
    const m = await member();
    // A third member on other route servers must not make a difference: the ids are per server.
    const first = await m.client.post(`/api/v1/requests/${m.requestId}/sessions/refresh`);
    expect(first.status).toBe(202);
    // Another member's refresh may have stamped them already in this file: fresh is fine too.
    expect([...first.body.queued, ...first.body.fresh].sort()).toEqual(["rs1", "rs2"]);
    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    expect(messages).toHaveLength(first.body.queued.length);
    for (const msg of messages) {
      const body = JSON.parse(msg.Body!);
      expect(body).toMatchObject({ kind: "collect_sessions", reason: "on_demand" });
      expect(msg.Attributes?.MessageGroupId).toBe(`rs-status:${body.routeServerId}`);
    }
    const again = await m.client.post(`/api/v1/requests/${m.requestId}/sessions/refresh`);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ queued: [], fresh: ["rs1", "rs2"] });
    expect(await drainQueue(stack.sqs, stack.queueUrl)).toHaveLength(0);
  });

  it("queues again once the last collection is older than 30 s, and not while a recent one ran", async () => {
    const m = await member();
    const { sessionCollection } = statusEntities(stack.data);
    const old = new Date(Date.now() - 31_000).toISOString();
    const recent = new Date(Date.now() - 5_000).toISOString();
    await sessionCollection
      .put({ routeServerId: "rs1", lastRequestedAt: old, lastAttemptAt: old, updatedAt: old })
      .go();
    await sessionCollection.put({ routeServerId: "rs2", lastAttemptAt: recent, updatedAt: recent }).go();
    const admin = await world.admin();
    const res = await admin.post(`/api/v1/admin/requests/${m.requestId}/sessions/refresh`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: ["rs1"], fresh: ["rs2"] });
    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    expect(messages.map((x) => x.Attributes?.MessageGroupId)).toEqual(["rs-status:rs1"]);
  });

  it("queues a single collection for parallel refreshes", async () => {
    const m = await member();
    const { sessionCollection } = statusEntities(stack.data);
    const old = new Date(Date.now() - 120_000).toISOString();
    for (const id of ["rs1", "rs2"]) {
      await sessionCollection
        .put({ routeServerId: id, lastRequestedAt: old, lastAttemptAt: old, updatedAt: old })
        .go();
    }
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => m.client.post(`/api/v1/requests/${m.requestId}/sessions/refresh`)),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(answers.flatMap((a) => a.body.queued).sort()).toEqual(["rs1", "rs2"]);
    expect(await drainQueue(stack.sqs, stack.queueUrl)).toHaveLength(2);
  });
});

describe("the looking glass through the queue", () => {
  it("stores a query and queues it in the route server's status group: 202 pending", async () => {
    const m = await member();
    const res = await m.client.post(`/api/v1/requests/${m.requestId}/looking-glass`, {
      route_server_id: "rs1",
      view: "lookup",
      prefix: "2001:DB8::/32",
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ query_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "pending" });
    const [msg, ...rest] = await drainQueue(stack.sqs, stack.queueUrl);
    expect(rest).toEqual([]);
    expect(msg!.Attributes?.MessageGroupId).toBe("rs-status:rs1");
    expect(JSON.parse(msg!.Body!)).toMatchObject({
      kind: "looking_glass",
      queryId: res.body.query_id,
      requestId: m.requestId,
      routeServerId: "rs1",
    });
    const read = await m.client.get(`/api/v1/requests/${m.requestId}/looking-glass/${res.body.query_id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      query_id: res.body.query_id,
      status: "pending",
      view: "lookup",
      route_server_id: "rs1",
      prefix: "2001:db8::/32",
      routes: [],
      truncated: false,
      collected_at: null,
      error: null,
    });
  });

  it("refuses malformed queries before anything is stored or queued", async () => {
    const m = await member();
    const path = `/api/v1/requests/${m.requestId}/looking-glass`;
    const cases: Array<[unknown, number, string]> = [
      [{ route_server_id: "rs1", view: "lookup" }, 400, "prefix"],
      [{ route_server_id: "rs1", view: "received", prefix: "192.0.2.0/24" }, 400, "prefix"],
      [{ route_server_id: "rs1", view: "lookup", prefix: "198.51.100.1/24" }, 400, "prefix"],
      [{ route_server_id: "rs1", view: "lookup", prefix: "198.51.100.0/24 all; reboot" }, 400, "prefix"],
      [{ route_server_id: "rs1", view: "everything" }, 400, "view"],
      [{ route_server_id: "rs1", view: "received", protocol: "m_as1_000001_0000000000_v4" }, 400, "(root)"],
      [{ route_server_id: "RS1; ls", view: "received" }, 400, "route_server_id"],
    ];
    for (const [body, status, field] of cases) {
      const res = await m.client.post(path, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe("validation_failed");
      expect(Object.keys(res.body.error.details.fields), JSON.stringify(body)).toContain(field);
    }
    const unknown = await m.client.post(path, { route_server_id: "rs9", view: "received" });
    expect(unknown.status).toBe(404);
    expect(await drainQueue(stack.sqs, stack.queueUrl)).toHaveLength(0);
  });

  it("has nothing to show for a request that is not on the route servers", async () => {
    const op = await world.operator();
    const pending = await seedActiveMember(stack.data, {
      asn: op.asns[0]!,
      nodeId: nextNodeId(),
      networkId: TEST_NETWORK_ID,
      status: "pending",
    });
    const res = await op.client.post(`/api/v1/requests/${pending}/looking-glass`, {
      route_server_id: "rs1",
      view: "received",
    });
    expect(res.status).toBe(409);
    expect(await drainQueue(stack.sqs, stack.queueUrl)).toHaveLength(0);
  });

  it("keeps a query to its own request: through any other (or another's) it is a 404", async () => {
    const mine = await member();
    const theirs = await member();
    const asked = await mine.client.post(`/api/v1/requests/${mine.requestId}/looking-glass`, {
      route_server_id: "rs1",
      view: "exported",
    });
    const q = asked.body.query_id as string;
    // The same operator's other membership, another operator's request, a malformed id.
    const second = await seedActiveMember(stack.data, {
      asn: mine.asn,
      nodeId: nextNodeId(),
      networkId: TEST_NETWORK_ID,
      ipv4: "192.0.2.51",
    });
    expect((await mine.client.get(`/api/v1/requests/${second}/looking-glass/${q}`)).status).toBe(404);
    expect((await theirs.client.get(`/api/v1/requests/${theirs.requestId}/looking-glass/${q}`)).status).toBe(
      404,
    );
    expect((await theirs.client.get(`/api/v1/requests/${mine.requestId}/looking-glass/${q}`)).status).toBe(
      404,
    );
    expect((await mine.client.get(`/api/v1/requests/${mine.requestId}/looking-glass/nope`)).status).toBe(404);
    const admin = await world.admin();
    expect((await admin.get(`/api/v1/admin/requests/${theirs.requestId}/looking-glass/${q}`)).status).toBe(
      404,
    );
    expect((await admin.get(`/api/v1/admin/requests/${mine.requestId}/looking-glass/${q}`)).status).toBe(200);
    // Nor can another operator ask about a request that is not theirs.
    const foreign = await theirs.client.post(`/api/v1/requests/${mine.requestId}/looking-glass`, {
      route_server_id: "rs1",
      view: "received",
    });
    expect(foreign.status).toBe(404);
  });

  it("answers a failed query with plain words for operators and the detail for admins", async () => {
    const m = await member();
    const asked = await m.client.post(`/api/v1/requests/${m.requestId}/looking-glass`, {
      route_server_id: "rs2",
      view: "received",
    });
    const q = asked.body.query_id as string;
    await statusEntities(stack.data)
      .lookingGlassQuery.patch({ queryId: q })
      .set({
        status: "failed",
        errorCode: "ssh_connect_failed",
        errorMessage: RAW,
        updatedAt: new Date().toISOString(),
      })
      .go();
    const read = await m.client.get(`/api/v1/requests/${m.requestId}/looking-glass/${q}`);
    expect(read.body).toMatchObject({
      status: "failed",
      routes: [],
      error: { code: "looking_glass_unavailable" },
    });
    for (const leak of LEAKS) expect(JSON.stringify(read.body)).not.toContain(leak);
    const admin = await world.admin();
    const asAdmin = await admin.get(`/api/v1/admin/requests/${m.requestId}/looking-glass/${q}`);
    expect(asAdmin.body.error).toEqual({ code: "ssh_connect_failed", message: RAW });
  });

  it("answers a query the worker never took, after two minutes, as failed", async () => {
    const m = await member();
    const asked = await m.client.post(`/api/v1/requests/${m.requestId}/looking-glass`, {
      route_server_id: "rs1",
      view: "filtered",
    });
    const q = asked.body.query_id as string;
    await statusEntities(stack.data)
      .lookingGlassQuery.patch({ queryId: q })
      .set({ createdAt: new Date(Date.now() - 121_000).toISOString() })
      .go();
    const read = await m.client.get(`/api/v1/requests/${m.requestId}/looking-glass/${q}`);
    expect(read.body).toMatchObject({ status: "failed", error: { code: "looking_glass_expired" } });
  });

  it("lets one user ask ten queries a minute, then answers 429 with Retry-After", async () => {
    // Fixed one-minute windows: start just after one begins, so all eleven fall in it.
    const msIntoMinute = Date.now() % 60_000;
    if (msIntoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_500 - msIntoMinute));
    const m = await member();
    const path = `/api/v1/requests/${m.requestId}/looking-glass`;
    for (let i = 0; i < 10; i++) {
      const ok = await m.client.post(path, { route_server_id: "rs1", view: "received" });
      expect(ok.status, `query ${i + 1}`).toBe(202);
    }
    const over = await m.client.post(path, { route_server_id: "rs1", view: "exported" });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe("too_many_requests");
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.body.error.details.retry_after_seconds).toBe(retryAfter);
    expect(await drainQueue(stack.sqs, stack.queueUrl)).toHaveLength(10);
    // Another user is counted apart.
    const other = await member();
    const fine = await other.client.post(`/api/v1/requests/${other.requestId}/looking-glass`, {
      route_server_id: "rs1",
      view: "received",
    });
    expect(fine.status).toBe(202);
  }, 90_000);
});

describe("the reconcile schedule", () => {
  it("also queues a session collection of every route server, once per window", async () => {
    const deps = world.app.deps;
    await runScheduledReconcile(deps);
    await runScheduledReconcile(deps);
    const sent = await drainQueue(stack.sqs, stack.queueUrl);
    const collections = sent.filter((m) => JSON.parse(m.Body!).kind === "collect_sessions");
    expect(collections.map((m) => m.Attributes?.MessageGroupId).sort()).toEqual([
      "rs-status:rs1",
      "rs-status:rs2",
    ]);
    expect(collections.map((m) => JSON.parse(m.Body!).reason)).toEqual(["schedule", "schedule"]);
    // The reconciles keep their own groups: a read never waits behind an apply.
    const reconciles = sent.filter((m) => JSON.parse(m.Body!).kind === "reconcile");
    expect(reconciles.map((m) => m.Attributes?.MessageGroupId).sort()).toEqual(["rs:rs1", "rs:rs2"]);
  });
});
