import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { auditTrail, recentAudit, writeAudit } from "../src/audit.ts";
import { desiredMembersOfNetwork, syncsOfRouteServer } from "../src/route-servers.ts";

let stack: TestStack;
const NETWORK = "8056c2e21c000002";
const now = () => new Date().toISOString();

beforeAll(async () => {
  stack = await testStack();
});

describe("single-table access patterns (each a Query or GetItem, never a Scan)", () => {
  it("finds a membership by request and by (network, node)", async () => {
    const m = {
      requestId: "req-m1",
      networkId: NETWORK,
      nodeId: "a1b2c3d4e5",
      asn: 64500,
      memberName: "AS64500",
      ipv4: "192.0.2.10",
      authorized: true,
      createdAt: now(),
      updatedAt: now(),
    };
    await stack.data.entities.membership.create(m).go();
    stack.calls.reset();
    const byRequest = await stack.data.entities.membership.get({ requestId: "req-m1" }).go();
    const byNode = await stack.data.entities.membership.query
      .byNetworkNode({ networkId: NETWORK, nodeId: "a1b2c3d4e5" })
      .go();
    expect(byRequest.data).toMatchObject({ ipv4: "192.0.2.10" });
    expect(byNode.data.map((x) => x.requestId)).toEqual(["req-m1"]);
    expect(stack.calls.snapshot().byCommand).toEqual({ GetItemCommand: 1, QueryCommand: 1 });
  });

  it("lists a network's allocations and a request's route-server sync state", async () => {
    for (const ip of ["192.0.2.11", "192.0.2.12"]) {
      await stack.data.entities.addressAllocation
        .create({
          networkId: NETWORK,
          family: "ipv4",
          ip,
          asn: 64500,
          nodeId: "a1b2c3d4e5",
          requestId: "r",
          createdAt: now(),
        })
        .go();
    }
    for (const routeServerId of ["rs1", "rs2"]) {
      await stack.data.entities.routeServerSync
        .create({
          requestId: "req-s1",
          routeServerId,
          fileName: "AS64501_000001_a1b2c3d4e5.conf",
          state: "in_sync",
          appliedHash: "h",
          observedAt: now(),
          updatedAt: now(),
        })
        .go();
    }
    stack.calls.reset();
    const allocations = await stack.data.entities.addressAllocation.query
      .byNetwork({ networkId: NETWORK })
      .go();
    const sync = await stack.data.entities.routeServerSync.query.byRequest({ requestId: "req-s1" }).go();
    expect(allocations.data.map((a) => a.ip)).toEqual(["192.0.2.11", "192.0.2.12"]);
    expect(sync.data.map((s) => s.routeServerId)).toEqual(["rs1", "rs2"]);
    expect(stack.calls.snapshot().byCommand).toEqual({ QueryCommand: 2 });
  });

  it("reads a network's desired members and a route server's records with one consistent Query each", async () => {
    for (const [i, network] of ["00000a", "00000a", "00000b"].entries()) {
      await stack.data.entities.routeServerMember
        .put({
          network,
          asn: 64600 + i,
          nodeId: "a1b2c3d4e5",
          networkId: `8056c2e21c${network}`,
          requestId: `req-m${i}`,
          ipv4: `192.0.2.${20 + i}`,
          activation: "pending",
          updatedAt: now(),
        })
        .go();
      await stack.data.entities.routeServerSync
        .put({
          routeServerId: network === "00000a" ? "rs-pat" : "rs-other",
          requestId: `req-m${i}`,
          fileName: `AS${64600 + i}_${network}_a1b2c3d4e5.conf`,
          state: "in_sync",
          observedAt: now(),
          updatedAt: now(),
        })
        .go();
    }
    stack.calls.reset();
    const members = await desiredMembersOfNetwork(stack.data, "00000a");
    const syncs = await syncsOfRouteServer(stack.data, "rs-pat");
    expect(members.map((m) => m.requestId)).toEqual(["req-m0", "req-m1"]);
    expect(syncs.map((s) => s.requestId)).toEqual(["req-m0", "req-m1"]);
    expect(stack.calls.snapshot().byCommand).toEqual({ QueryCommand: 2 });
  });

  it("reads a request's audit trail in order and recent audit newest first", async () => {
    for (const [i, action] of ["request.created", "request.approve", "request.start"].entries()) {
      await writeAudit(stack.data, {
        subject: "request#req-a1",
        requestId: "req-a1",
        action,
        actorType: "system",
        at: new Date(Date.now() + i),
      });
    }
    const trail = await auditTrail(stack.data, "request#req-a1");
    expect(trail.map((e) => e.action)).toEqual(["request.created", "request.approve", "request.start"]);
    const recent = await recentAudit(stack.data, 2);
    expect(recent.map((e) => e.action)).toEqual(["request.start", "request.approve"]);
  });

  it("keeps session, OAuth state and throttle items on a TTL attribute", async () => {
    const attrs = stack.data.entities.session.schema.attributes;
    expect(attrs).toHaveProperty("ttl");
    expect(stack.data.entities.oauthState.schema.attributes).toHaveProperty("ttl");
    expect(stack.data.entities.loginThrottle.schema.attributes).toHaveProperty("ttl");
  });
});
