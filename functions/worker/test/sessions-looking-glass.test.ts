import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CollectSessionsJob, RouteServerConfig, RuntimeConfig } from "@ztix/core";
import { statusEntities } from "@ztix/data";
import { freePort, type SshdInstance, sshdPresent, startSshd } from "@ztix/local-stack";
import { infoSentences, LookingGlass, rejectReasonSentences } from "@ztix/route-servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { birdc } from "../../../packages/route-servers/test/support/bird.ts";
import {
  type LgLab,
  type LgMemberSpec,
  startLookingGlassLab,
} from "../../../packages/route-servers/test/support/looking-glass-lab.ts";
import { eventually } from "../../../packages/route-servers/test/support/processes.ts";
import { seedActiveMember } from "../../../test/support/active-member.ts";
import type { ApiClient } from "../../../test/support/api.ts";
import { TEST_NETWORK_ID, testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { canUseNetns, hasCommand, requireSystem } from "../../../test/support/system.ts";
import { actors } from "../../api/test/helpers/workflow.ts";
import { consumeMessage } from "../src/consume.ts";
import type { WorkerDeps } from "../src/deps.ts";
import { handleDeadLetter } from "../src/dlq.ts";
import { type Poller, startPoller } from "../src/poller.ts";
import { collectSessions } from "../src/sessions/collect.ts";
import { depsWithoutController } from "./support/deps.ts";

/**
 * Sessions and the looking glass end to end on real components: a route-server BIRD with
 * member BIRDs in network namespaces (the looking-glass lab), reached by the worker over a real
 * sshd with a pinned host key; DynamoDB Local and fauxqs; the API app and the worker polling
 * the queue. Member A and B are established, C is configured with no router behind it.
 */

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("ip netns", canUseNetns()) &&
  requireSystem("sshd", sshdPresent());

const RS_ASN = 64500;
const many = Array.from({ length: 4 }, (_, i) => `2001:db8:a${(i + 1).toString(16).padStart(2, "0")}::/48`);
const members: LgMemberSpec[] = [
  {
    name: "a",
    asn: 64501,
    nodeId: "a000000001",
    ipv4: "192.0.2.11",
    ipv6: "2001:db8::11",
    announce: [
      {
        prefix: "198.51.100.0/24",
        communities: [[64501, 100]],
        largeCommunities: [[64501, 1, 2]],
      },
      { prefix: "203.0.113.0/25" }, // longer than /24: reason 1
      { prefix: "10.10.0.0/16" }, // private space: reason 3
      { prefix: "2001:db8:100::/48" }, // RPKI valid
      { prefix: "2001:db8:400::/48", behind: [64510] }, // loses to B's shorter path
      ...many.map((prefix) => ({ prefix })),
    ],
  },
  {
    name: "b",
    asn: 64502,
    nodeId: "b000000002",
    ipv4: "192.0.2.12",
    ipv6: "2001:db8::12",
    announce: [
      { prefix: "203.0.113.0/24" },
      { prefix: "198.51.100.0/24" }, // A's ROA: RPKI invalid, reason 13
      { prefix: "2001:db8:300::/48" }, // A's ROA: RPKI invalid
      { prefix: "2001:db8:400::/48" },
    ],
  },
  {
    name: "c",
    asn: 64503,
    nodeId: "c000000003",
    ipv4: "192.0.2.13",
    ipv6: "2001:db8::13",
    absent: true,
    announce: [],
  },
];
const roas = [
  { prefix: "198.51.100.0/24", maxLength: 24, asn: 64501 },
  { prefix: "2001:db8:100::/48", maxLength: 48, asn: 64501 },
  { prefix: "2001:db8:300::/48", maxLength: 48, asn: 64501 },
];

describe.skipIf(!present)("BGP sessions and the looking glass, collected by the worker over SSH", () => {
  let dir: string;
  let lab: LgLab;
  let sshd: SshdInstance;
  let stack: TestStack;
  let config: RuntimeConfig;
  let deps: WorkerDeps;
  let poller: Poller;
  let rs: RouteServerConfig;
  let opA: ApiClient;
  let opB: ApiClient;
  let admin: ApiClient;
  const req: Record<string, string> = {};
  const t0 = Date.now() - 5 * 60_000;
  const p = (name: string, family: "ipv4" | "ipv6" = "ipv4") => lab.protocol(name, family);
  /** The worker's deps on a clock of our choosing. */
  const at = (ms: number): WorkerDeps => ({ ...deps, now: () => new Date(ms) });
  const job = (routeServerId: string, ms: number): CollectSessionsJob => ({
    kind: "collect_sessions",
    routeServerId,
    reason: "schedule",
    requestedAt: new Date(ms).toISOString(),
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ztix-sessions-"));
    lab = await startLookingGlassLab({ dir, roas, members });
    mkdirSync(join(dir, "ssh"));
    sshd = await startSshd(join(dir, "ssh"));
    stack = await testStack({ secrets: { "rs-key": sshd.userPrivateKey } });
    const ssh = {
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      host_key_fingerprint: sshd.hostKeyFingerprint,
      private_key: { secret: "rs-key" },
      connect_timeout_ms: 5_000,
    };
    rs = { ...lab.rsConfig, id: "lg-rs", ssh, peering_ipv4: ["192.0.2.1"], peering_ipv6: ["2001:db8::1"] };
    // A second route server of the network that nothing answers for.
    const down = { ...rs, id: "lg-down", asn: 64499, ssh: { ...ssh, port: await freePort() } };
    config = testConfig({
      route_servers: [rs, down],
      networks: [
        {
          suffix: "000001",
          name: "lab",
          ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.200" },
          ipv6: { prefix: "2001:db8::/64" },
        },
      ],
    });
    deps = depsWithoutController(stack, config);
    const world = actors(stack, { config });
    for (const m of members) {
      req[m.name] = await seedActiveMember(stack.data, {
        asn: m.asn,
        nodeId: m.nodeId,
        networkId: TEST_NETWORK_ID,
        ipv4: m.ipv4,
        ipv6: m.ipv6,
        inSyncOn: ["lg-rs"],
      });
    }
    opA = (await world.operator({ asns: [64501] })).client;
    opB = (await world.operator({ asns: [64502] })).client;
    admin = await world.admin();
    const expected: Array<[string, RegExp]> = [
      [p("a"), /Routes:\s+1 imported, 2 filtered, 1 exported/],
      [p("a", "ipv6"), /Routes:\s+6 imported, 0 filtered, 1 exported/],
      [p("b"), /Routes:\s+1 imported, 1 filtered, 1 exported/],
      [p("b", "ipv6"), /Routes:\s+1 imported, 1 filtered, 5 exported/],
    ];
    await eventually(
      async () => {
        for (const [protocol, counters] of expected) {
          if (!counters.test(await birdc(lab.rs.socket, `show protocols all ${protocol}`))) return false;
        }
        return true;
      },
      "every member's routes at the route server",
      30_000,
    );
    poller = startPoller({ deps, sqs: stack.sqs, queueUrl: stack.queueUrl, waitTimeSeconds: 1, loops: 2 });
  }, 120_000);

  afterAll(async () => {
    await poller?.stop();
    await deps?.connections.closeAll();
    await sshd?.stop();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("stores every member's sessions, established or not, and writes each at most once a minute", async () => {
    const { bgpSession, sessionCollection } = statusEntities(stack.data);
    // A row of a protocol no member has (any more): the collection deletes it.
    const gone = "m_as64599_000001_0000000000_v4";
    await bgpSession
      .put({
        routeServerId: "lg-rs",
        protocol: gone,
        requestId: "00000000-0000-4000-8000-000000000000",
        family: "ipv4",
        network: "000001",
        asn: 64599,
        nodeId: "0000000000",
        birdState: "up",
        bgpState: "Established",
        imported: 0,
        filtered: 0,
        exported: 0,
        preferred: 0,
        limitHit: false,
        collectedAt: new Date(t0 - 600_000).toISOString(),
      })
      .go();
    const logins = sshd.logins();
    const first = await collectSessions(at(t0), job("lg-rs", t0));
    expect(first).toEqual({ status: "collected", protocols: 6, written: 6, deleted: 1, unchanged: 0 });
    expect(sshd.logins() - logins).toBe(1);

    const rows = (await bgpSession.query.byRouteServer({ routeServerId: "lg-rs" }).go()).data;
    const row = (protocol: string) => rows.find((r) => r.protocol === protocol)!;
    expect(rows.map((r) => r.protocol).sort()).toEqual(
      [p("a"), p("a", "ipv6"), p("b"), p("b", "ipv6"), p("c"), p("c", "ipv6")].sort(),
    );
    expect(row(p("a"))).toMatchObject({
      requestId: req.a,
      family: "ipv4",
      birdState: "up",
      bgpState: "Established",
      imported: 1,
      filtered: 2,
      exported: 1,
      receiveLimit: 100,
      limitHit: false,
      neighborAddress: "192.0.2.11",
      collectedAt: new Date(t0).toISOString(),
    });
    expect(row(p("a", "ipv6"))).toMatchObject({ bgpState: "Established", imported: 6, receiveLimit: 50 });
    expect(Date.parse(row(p("a")).since!)).toBeLessThanOrEqual(t0);
    expect(row(p("c"))).toMatchObject({ requestId: req.c, birdState: "start", imported: 0, exported: 0 });
    expect(["Idle", "Connect", "Active"]).toContain(row(p("c")).bgpState);

    // Ten seconds later: everything read again, nothing written.
    stack.calls.reset();
    const second = await collectSessions(at(t0 + 10_000), job("lg-rs", t0 + 10_000));
    expect(second).toMatchObject({ status: "collected", written: 0, deleted: 0, unchanged: 6 });
    expect(stack.calls.snapshot().byCommand.BatchWriteItemCommand).toBeUndefined();
    const still = (await bgpSession.query.byRouteServer({ routeServerId: "lg-rs" }).go()).data;
    expect(still.every((r) => r.collectedAt === new Date(t0).toISOString())).toBe(true);

    // A minute after the last write: every row once, in one BatchWrite.
    stack.calls.reset();
    const third = await collectSessions(at(t0 + 61_000), job("lg-rs", t0 + 61_000));
    expect(third).toMatchObject({ written: 6, unchanged: 0 });
    expect(stack.calls.snapshot().byCommand.BatchWriteItemCommand).toBe(1);

    // A collection asked for before the last one started has been answered by it.
    expect(await collectSessions(at(t0 + 62_000), job("lg-rs", t0 + 30_000))).toMatchObject({
      status: "coalesced",
    });
    const state = (await sessionCollection.get({ routeServerId: "lg-rs" }).go()).data;
    expect(state).toMatchObject({ reachable: true, sessions: 6, birdVersion: "2.0.12" });
  });

  it("records a route server it cannot reach, and fails nothing", async () => {
    const out = await collectSessions(at(t0), job("lg-down", t0));
    expect(out).toMatchObject({ status: "unreachable", protocols: 6, errorCode: "ssh_connect_failed" });
    const state = (await statusEntities(stack.data).sessionCollection.get({ routeServerId: "lg-down" }).go())
      .data;
    expect(state).toMatchObject({ reachable: false, errorCode: "ssh_connect_failed" });
    expect(state!.error).toContain("ECONNREFUSED");
  });

  it("shows an operator its own sessions, 404 for another's, and admins why a route server is unread", async () => {
    const res = await opA.get(`/api/v1/requests/${req.a}/sessions`);
    expect(res.status).toBe(200);
    const [live, down] = res.body.route_servers;
    expect(live).toMatchObject({
      route_server_id: "lg-rs",
      asn: RS_ASN,
      configured: true,
      reachable: true,
      collected_at: new Date(t0 + 61_000).toISOString(),
    });
    expect(live.sessions).toEqual([
      {
        family: "ipv4",
        protocol: p("a"),
        state: "Established",
        established: true,
        since: expect.any(String),
        info: null,
        routes: { received: 3, accepted: 1, filtered: 2, exported: 1 },
        receive_limit: 100,
        limit_hit: false,
      },
      expect.objectContaining({
        family: "ipv6",
        state: "Established",
        routes: { received: 6, accepted: 6, filtered: 0, exported: 1 },
      }),
    ]);
    expect(down).toEqual({
      route_server_id: "lg-down",
      asn: 64499,
      configured: false,
      collected_at: null,
      age_seconds: null,
      reachable: false,
      sessions: [],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|ssh/);

    // C's file is applied, its session is not up: configured and established are two things.
    const c = await admin.get(`/api/v1/admin/requests/${req.c}/sessions`);
    expect(c.body.route_servers[0]).toMatchObject({ configured: true, error: null });
    expect(c.body.route_servers[0].sessions.map((s: { established: boolean }) => s.established)).toEqual([
      false,
      false,
    ]);
    expect(c.body.route_servers[1].error).toContain("ECONNREFUSED");

    expect((await opA.get(`/api/v1/requests/${req.b}/sessions`)).status).toBe(404);
    expect((await opB.get(`/api/v1/requests/${req.a}/sessions`)).status).toBe(404);
  });

  it("refreshes on demand through the queue, at most every 30 s per route server", async () => {
    const res = await opA.post(`/api/v1/requests/${req.a}/sessions/refresh`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: ["lg-rs", "lg-down"], fresh: [] });
    await eventually(
      async () => {
        const read = await opA.get(`/api/v1/requests/${req.a}/sessions`);
        return read.body.route_servers[0].age_seconds < 30 && read.body;
      },
      "the worker's fresh read of the sessions",
      20_000,
    );
    const again = await opA.post(`/api/v1/requests/${req.a}/sessions/refresh`);
    expect(again.body).toEqual({ queued: [], fresh: ["lg-rs", "lg-down"] });
  });

  /** Asks a query and waits for the worker's answer. */
  async function lookingGlass(
    client: ApiClient,
    base: string,
    requestId: string,
    body: Record<string, unknown>,
  ) {
    const asked = await client.post(`${base}/${requestId}/looking-glass`, body);
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const id = asked.body.query_id as string;
    return eventually(
      async () => {
        const read = await client.get(`${base}/${requestId}/looking-glass/${id}`);
        return read.body.status !== "pending" && read.body;
      },
      `the answer to ${JSON.stringify(body)}`,
      20_000,
    );
  }
  const op = "/api/v1/requests";
  const summary = (r: { filtered: boolean; prefix: string; as_path: number[] }) =>
    `${r.filtered ? "filtered" : "accepted"} ${r.prefix} ${r.as_path.join(" ")}`;

  it("lists what a member sent: refused routes first with their reasons in words, then accepted ones", async () => {
    const answer = await lookingGlass(opA, op, req.a!, { route_server_id: "lg-rs", view: "received" });
    expect(answer).toMatchObject({
      status: "done",
      view: "received",
      prefix: null,
      truncated: false,
      error: null,
    });
    expect(Date.parse(answer.collected_at)).toBeGreaterThan(Date.now() - 30_000);
    expect(answer.routes).toHaveLength(2 + 1 + 6);
    expect(answer.routes.slice(0, 3).map(summary)).toEqual([
      "filtered 10.10.0.0/16 64501",
      "filtered 203.0.113.0/25 64501",
      "accepted 198.51.100.0/24 64501",
    ]);
    expect(answer.routes[0].reasons).toEqual([{ code: 3, text: rejectReasonSentences.bogon_prefix }]);
    expect(answer.routes[1].reasons).toEqual([{ code: 1, text: rejectReasonSentences.prefix_too_long }]);
    expect(answer.routes[2]).toEqual({
      prefix: "198.51.100.0/24",
      family: "ipv4",
      next_hop: "192.0.2.11",
      as_path: [64501],
      communities: ["64501:100"],
      large_communities: ["64501:1:2", `${RS_ASN}:1000:1`],
      filtered: false,
      reasons: [],
      info: [{ code: 1, text: infoSentences.rpki_valid }],
    });
    // Only A's own routes: nothing B sent, accepted or refused.
    expect(answer.routes.every((r: { as_path: number[] }) => r.as_path[0] === 64501)).toBe(true);

    const filtered = await lookingGlass(opA, op, req.a!, { route_server_id: "lg-rs", view: "filtered" });
    expect(filtered.routes.map(summary)).toEqual([
      "filtered 10.10.0.0/16 64501",
      "filtered 203.0.113.0/25 64501",
    ]);
  });

  it("lists what the route server sends a member: others' best routes, none refused", async () => {
    const answer = await lookingGlass(opA, op, req.a!, { route_server_id: "lg-rs", view: "exported" });
    expect(answer.routes.map(summary).sort()).toEqual([
      "accepted 2001:db8:400::/48 64502",
      "accepted 203.0.113.0/24 64502",
    ]);
  });

  it("looks a prefix up among the member's own routes and what is sent to it, never others' received routes", async () => {
    // B sent 198.51.100.0/24 too (refused, RPKI invalid): A sees only its own.
    const own = await lookingGlass(opA, op, req.a!, {
      route_server_id: "lg-rs",
      view: "lookup",
      prefix: "198.51.100.0/24",
    });
    expect(own).toMatchObject({ status: "done", prefix: "198.51.100.0/24" });
    expect(own.routes.map(summary)).toEqual(["accepted 198.51.100.0/24 64501"]);
    // The route server does hold B's refused route: a lookup of all tables would show it.
    const raw = await new LookingGlass(deps.connections.get(rs), rs).lookup("198.51.100.0/24");
    expect(raw.routes.some((r) => r.filtered && r.protocol === p("b"))).toBe(true);

    // B's own refused prefix: nothing for A, B's refused route with its reason for B.
    const idor = await lookingGlass(opA, op, req.a!, {
      route_server_id: "lg-rs",
      view: "lookup",
      prefix: "2001:db8:300::/48",
    });
    expect(idor).toMatchObject({ status: "done", routes: [] });
    const theirs = await lookingGlass(opB, op, req.b!, {
      route_server_id: "lg-rs",
      view: "lookup",
      prefix: "2001:db8:300::/48",
    });
    expect(theirs.routes.map(summary)).toEqual(["filtered 2001:db8:300::/48 64502"]);
    expect(theirs.routes[0].reasons).toEqual([{ code: 13, text: rejectReasonSentences.rpki_invalid }]);

    // An address: A's own (losing) route and the one the route server sends A.
    const address = await lookingGlass(opA, op, req.a!, {
      route_server_id: "lg-rs",
      view: "lookup",
      prefix: "2001:db8:400::1",
    });
    expect(address).toMatchObject({ prefix: "2001:db8:400::1" });
    expect(address.routes.map(summary)).toEqual([
      "accepted 2001:db8:400::/48 64501 64510",
      "accepted 2001:db8:400::/48 64502",
    ]);

    // B's accepted prefix: as it is sent to A, once.
    const sent = await lookingGlass(opA, op, req.a!, {
      route_server_id: "lg-rs",
      view: "lookup",
      prefix: "203.0.113.0/24",
    });
    expect(sent.routes.map(summary)).toEqual(["accepted 203.0.113.0/24 64502"]);
  });

  it("keeps query ids to their request, and tells operators plainly what admins read in full", async () => {
    const asked = await opA.post(`${op}/${req.a}/looking-glass`, {
      route_server_id: "lg-rs",
      view: "exported",
    });
    const q = asked.body.query_id as string;
    expect((await opB.get(`${op}/${req.b}/looking-glass/${q}`)).status).toBe(404);
    expect((await opB.get(`${op}/${req.a}/looking-glass/${q}`)).status).toBe(404);
    expect((await admin.get(`/api/v1/admin/requests/${req.b}/looking-glass/${q}`)).status).toBe(404);

    const failed = await lookingGlass(admin, "/api/v1/admin/requests", req.a!, {
      route_server_id: "lg-down",
      view: "received",
    });
    expect(failed).toMatchObject({ status: "failed", routes: [], error: { code: "ssh_connect_failed" } });
    expect(failed.error.message).toContain("ECONNREFUSED");
    const plain = await opA.get(`${op}/${req.a}/looking-glass/${failed.query_id}`);
    expect(plain.body.error).toEqual({ code: "looking_glass_unavailable", message: expect.any(String) });
    expect(JSON.stringify(plain.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|ssh/);
  });
});

describe("session and looking-glass jobs without a route server to read", () => {
  let stack: TestStack;
  let deps: WorkerDeps;
  beforeAll(async () => {
    stack = await testStack();
    deps = depsWithoutController(stack, testConfig());
  });
  const message = (body: unknown) => ({ messageId: "m1", body: JSON.stringify(body), receiveCount: 1 });

  it("drops a collection of a route server that is not configured", async () => {
    const outcome = await consumeMessage(
      deps,
      message({
        kind: "collect_sessions",
        routeServerId: "gone",
        reason: "schedule",
        requestedAt: new Date().toISOString(),
      }),
    );
    expect(outcome).toEqual({ action: "ack", result: "skipped", reason: "unknown_route_server" });
  });

  it("answers a dead-lettered query as failed, and drops a dead-lettered collection", async () => {
    const { lookingGlassQuery } = statusEntities(stack.data);
    const queryId = "11111111-1111-4111-8111-111111111111";
    const requestId = "22222222-2222-4222-8222-222222222222";
    const now = new Date().toISOString();
    await lookingGlassQuery
      .create({
        queryId,
        requestId,
        userId: "u",
        routeServerId: "rs1",
        view: "received",
        status: "pending",
        createdAt: now,
        updatedAt: now,
      })
      .go();
    const job = { kind: "looking_glass", queryId, requestId, routeServerId: "rs1", requestedAt: now };
    expect(await handleDeadLetter(deps, message(job))).toMatchObject({
      action: "ack",
      reason: "looking_glass",
    });
    expect((await lookingGlassQuery.get({ queryId }).go()).data).toMatchObject({
      status: "failed",
      errorCode: "looking_glass_unavailable",
    });
    const collect = { kind: "collect_sessions", routeServerId: "rs1", reason: "on_demand", requestedAt: now };
    expect(await handleDeadLetter(deps, message(collect))).toMatchObject({
      action: "ack",
      reason: "collect_sessions",
    });
  });

  it("ignores a looking-glass message whose query names another request", async () => {
    const { lookingGlassQuery } = statusEntities(stack.data);
    const queryId = "33333333-3333-4333-8333-333333333333";
    const now = new Date().toISOString();
    await lookingGlassQuery
      .create({
        queryId,
        requestId: "44444444-4444-4444-8444-444444444444",
        userId: "u",
        routeServerId: "rs1",
        view: "received",
        status: "pending",
        createdAt: now,
        updatedAt: now,
      })
      .go();
    const outcome = await consumeMessage(
      deps,
      message({
        kind: "looking_glass",
        queryId,
        requestId: "55555555-5555-4555-8555-555555555555",
        routeServerId: "rs1",
        requestedAt: now,
      }),
    );
    expect(outcome).toMatchObject({ action: "ack", result: "skipped" });
    expect((await lookingGlassQuery.get({ queryId }).go()).data!.status).toBe("pending");
  });
});
