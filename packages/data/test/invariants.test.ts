import { AppError } from "@ztix/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { auditTrail } from "../src/audit.ts";
import { createRequest, getRequest, transitionRequest } from "../src/requests.ts";

const NETWORK = "8056c2e21c000001";
let stack: TestStack;
let nextNode = 0x1000000000;
const nodeId = () => (nextNode++).toString(16).padStart(10, "0");

beforeAll(async () => {
  stack = await testStack();
});

const audit = { actorType: "user" as const, actorId: "u1" };

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected the promise to reject");
}

describe("at most one live request per (asn, network, node)", () => {
  it("refuses a second request for the same slot, naming the first", async () => {
    const node = nodeId();
    const first = await createRequest(
      stack.data,
      { userId: "u1", asn: 64500, networkId: NETWORK, nodeId: node },
      audit,
    );
    const err = await errorOf(
      createRequest(stack.data, { userId: "u2", asn: 64500, networkId: NETWORK, nodeId: node }, audit),
    );
    expect(err.code).toBe("duplicate_active_request");
    expect(err.details.existing_request_id).toBe(first.requestId);
  });

  it("never lets another ASN take a node that is already on the network, nor tells it whose node it is", async () => {
    const node = nodeId();
    await createRequest(stack.data, { userId: "u1", asn: 64500, networkId: NETWORK, nodeId: node }, audit);
    const err = await errorOf(
      createRequest(stack.data, { userId: "u9", asn: 64599, networkId: NETWORK, nodeId: node }, audit),
    );
    expect(err.code).toBe("node_in_use");
    expect(err.status).toBe(409);
    expect(err.details).toEqual({ node_id: node });
  });

  it("lets exactly one of two concurrent creates for the same slot win", async () => {
    const node = nodeId();
    const results = await Promise.allSettled(
      [1, 2, 3].map(() =>
        createRequest(stack.data, { userId: "u1", asn: 64501, networkId: NETWORK, nodeId: node }, audit),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(2);
    for (const r of lost)
      expect(((r as PromiseRejectedResult).reason as AppError).code).toBe("duplicate_active_request");
  });

  it("frees the slot when a request is rejected or cancelled", async () => {
    const node = nodeId();
    const first = await createRequest(
      stack.data,
      { userId: "u1", asn: 64502, networkId: NETWORK, nodeId: node },
      audit,
    );
    await transitionRequest(stack.data, first, "reject", {
      set: { rejectReason: "no" },
      audit: { actorType: "admin" },
    });
    const second = await createRequest(
      stack.data,
      { userId: "u1", asn: 64502, networkId: NETWORK, nodeId: node },
      audit,
    );
    await transitionRequest(stack.data, second, "cancel", { audit });
    await expect(
      createRequest(stack.data, { userId: "u1", asn: 64502, networkId: NETWORK, nodeId: node }, audit),
    ).resolves.toMatchObject({ status: "pending" });
  });

  it("keeps the slot while a request is failed, so a retry is the only way back", async () => {
    const node = nodeId();
    let r = await createRequest(
      stack.data,
      { userId: "u1", asn: 64503, networkId: NETWORK, nodeId: node },
      audit,
    );
    r = await transitionRequest(stack.data, r, "approve", {
      set: { attempt: 1 },
      audit: { actorType: "admin" },
    });
    r = await transitionRequest(stack.data, r, "start", { audit: { actorType: "system" } });
    await transitionRequest(stack.data, r, "fail", { audit: { actorType: "system" } });
    const err = await errorOf(
      createRequest(stack.data, { userId: "u1", asn: 64503, networkId: NETWORK, nodeId: node }, audit),
    );
    expect(err.code).toBe("duplicate_active_request");
  });
});

describe("status changes", () => {
  it("succeed only from the expected status and write their audit event in the same transaction", async () => {
    const r = await createRequest(
      stack.data,
      { userId: "u1", asn: 64504, networkId: NETWORK, nodeId: nodeId() },
      audit,
    );
    const approved = await transitionRequest(stack.data, r, "approve", {
      set: { attempt: 1, decidedBy: "admin-1" },
      audit: { actorType: "admin", actorId: "admin-1" },
    });
    expect(approved.status).toBe("approved");
    const stored = await getRequest(stack.data, r.requestId);
    expect(stored).toMatchObject({ status: "approved", attempt: 1, decidedBy: "admin-1" });
    const trail = await auditTrail(stack.data, `request#${r.requestId}`);
    expect(trail.map((e) => [e.action, e.fromStatus, e.toStatus])).toEqual([
      ["request.created", undefined, "pending"],
      ["request.approve", "pending", "approved"],
    ]);
  });

  it("let exactly one of two concurrent conflicting changes win; the loser writes nothing", async () => {
    const r = await createRequest(
      stack.data,
      { userId: "u1", asn: 64505, networkId: NETWORK, nodeId: nodeId() },
      audit,
    );
    const [approve, reject] = await Promise.allSettled([
      transitionRequest(stack.data, r, "approve", {
        set: { attempt: 1 },
        audit: { actorType: "admin", actorId: "a" },
      }),
      transitionRequest(stack.data, r, "reject", {
        set: { rejectReason: "x" },
        audit: { actorType: "admin", actorId: "b" },
      }),
    ]);
    const outcomes = [approve.status, reject.status].sort();
    expect(outcomes).toEqual(["fulfilled", "rejected"]);
    const loser = [approve, reject].find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect((loser.reason as AppError).code).toBe("invalid_transition");
    const stored = await getRequest(stack.data, r.requestId);
    const trail = await auditTrail(stack.data, `request#${r.requestId}`);
    expect(trail).toHaveLength(2);
    expect(trail[1]!.toStatus).toBe(stored!.status);
  });

  it("refuse a stale caller whose view of the status is out of date", async () => {
    const r = await createRequest(
      stack.data,
      { userId: "u1", asn: 64506, networkId: NETWORK, nodeId: nodeId() },
      audit,
    );
    await transitionRequest(stack.data, r, "cancel", { audit });
    const err = await errorOf(transitionRequest(stack.data, r, "approve", { audit: { actorType: "admin" } }));
    expect(err.code).toBe("invalid_transition");
    expect(err.details.status).toBe("cancelled");
  });

  it("refuse a transition the machine does not allow without touching DynamoDB", async () => {
    const r = await createRequest(
      stack.data,
      { userId: "u1", asn: 64507, networkId: NETWORK, nodeId: nodeId() },
      audit,
    );
    stack.calls.reset();
    const err = await errorOf(transitionRequest(stack.data, r, "retry", { audit: { actorType: "admin" } }));
    expect(err.code).toBe("invalid_transition");
    expect(stack.calls.count.total).toBe(0);
  });
});

describe("one address per (network, ip)", () => {
  it("lets exactly one of two concurrent claims of the same address win", async () => {
    const now = new Date().toISOString();
    const claim = (asn: number, node: string) =>
      stack.data.entities.addressAllocation
        .create({
          networkId: NETWORK,
          family: "ipv4",
          ip: "192.0.2.77",
          asn,
          nodeId: node,
          requestId: `r-${asn}`,
          createdAt: now,
        })
        .go();
    const results = await Promise.allSettled([claim(64510, nodeId()), claim(64511, nodeId())]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const held = await stack.data.entities.addressAllocation.query.byNetwork({ networkId: NETWORK }).go();
    expect(held.data.filter((a) => a.ip === "192.0.2.77")).toHaveLength(1);
  });
});

describe("access patterns", () => {
  it("list a user's and an ASN's requests newest first, and the admin queue oldest first, without scans", async () => {
    const user = "u-list";
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push(
        await createRequest(
          stack.data,
          { userId: user, asn: 64520, networkId: NETWORK, nodeId: nodeId() },
          audit,
          new Date(Date.UTC(2026, 0, 1, 0, i)),
        ),
      );
    }
    stack.calls.reset();
    const mine = await stack.data.entities.joinRequest.query.byUser({ userId: user }).go({ order: "desc" });
    expect(mine.data.map((r) => r.requestId)).toEqual(made.map((r) => r.requestId).reverse());
    const byAsn = await stack.data.entities.joinRequest.query.byAsn({ asn: 64520 }).go({ order: "desc" });
    expect(byAsn.data.map((r) => r.requestId)).toEqual(made.map((r) => r.requestId).reverse());
    const queue = await stack.data.entities.joinRequest.query
      .byStatus({ status: "pending" })
      .go({ order: "asc" });
    const positions = made.map((m) => queue.data.findIndex((q) => q.requestId === m.requestId));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(stack.calls.count.byCommand.ScanCommand).toBeUndefined();
    expect(stack.calls.count.byCommand.QueryCommand).toBe(3);
  });
});
