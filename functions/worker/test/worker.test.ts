import { randomUUID } from "node:crypto";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { newWaitToken } from "@ztix/core";
import {
  auditTrail,
  createRequest,
  desiredMembersOfNetwork,
  getRequest,
  transitionRequest,
} from "@ztix/data";
import { runPreflight } from "@ztix/zerotier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processJob } from "../src/process-job.ts";
import { superseded, waitAndRetry } from "../src/waiting.ts";
import {
  allocationsOf,
  approvedRequest,
  type Harness,
  jobFor,
  nextNodeId,
  workerHarness,
} from "./support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await workerHarness();
});
afterAll(() => h.stop());

describe("provisioning worker", () => {
  it("takes an approved request to active with its addresses on the controller", async () => {
    const request = await approvedRequest(h, { asn: 64500 });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toEqual({ action: "ack", result: "active" });
    const after = await getRequest(h.stack.data, request.requestId);
    expect(after?.status).toBe("active");
    const membership = (await h.stack.data.entities.membership.get({ requestId: request.requestId }).go())
      .data;
    expect(membership).toMatchObject({
      asn: 64500,
      ipv4: "192.0.2.10",
      ipv6: "2001:db8:100::6:4500:1",
      authorized: true,
    });
    const member = await h.deps.provider().getMember(h.networkId, request.nodeId);
    expect(member).toMatchObject({
      authorized: true,
      name: "AS64500",
      ipAssignments: ["192.0.2.10", "2001:db8:100::6:4500:1"],
    });
    const trail = await auditTrail(h.stack.data, `request#${request.requestId}`);
    expect(trail.map((e) => e.action)).toEqual(
      expect.arrayContaining(["request.start", "route_servers.none_configured", "request.complete"]),
    );
    expect(h.metrics.some((l) => JSON.parse(l).ProvisioningLatency >= 0)).toBe(true);
  });

  it("acknowledges a duplicate delivery without touching the active request again", async () => {
    const request = await approvedRequest(h);
    await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    const posts = h.emu.requests.filter((r) => r.startsWith("POST") && r.includes(request.nodeId)).length;
    const again = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(again).toMatchObject({ action: "ack", result: "skipped", reason: "status_active" });
    expect(h.emu.requests.filter((r) => r.startsWith("POST") && r.includes(request.nodeId)).length).toBe(
      posts,
    );
  });

  it("converges when two deliveries of one job run at once", async () => {
    const request = await approvedRequest(h, { asn: 64501 });
    const outcomes = await Promise.all([
      processJob(h.deps, jobFor(request), { receiveCount: 1 }),
      processJob(h.deps, jobFor(request), { receiveCount: 1 }),
    ]);
    expect(outcomes.filter((o) => o.action === "ack" && o.result === "active")).toHaveLength(1);
    expect((await getRequest(h.stack.data, request.requestId))?.status).toBe("active");
    expect(await allocationsOf(h, 64501, request.nodeId)).toHaveLength(2); // one IPv4, one IPv6
  });

  it("reruns to active after a crash between member upsert and status write, with no second address", async () => {
    const request = await approvedRequest(h, { asn: 64502 });
    let crash = true;
    const crashing = {
      ...h.deps,
      afterStep: (step: string) => {
        if (step === "member_upserted" && crash) {
          crash = false;
          throw new Error("simulated crash after the member upsert");
        }
      },
    };
    const first = await processJob(crashing, jobFor(request), { receiveCount: 1 });
    // A crash is nobody's verdict on the request: it waits and runs again.
    expect(first).toMatchObject({ action: "ack", result: "waiting" });
    expect((await getRequest(h.stack.data, request.requestId))?.status).toBe("provisioning");
    const second = await processJob(crashing, jobFor(request), { receiveCount: 2 });
    expect(second).toEqual({ action: "ack", result: "active" });
    const allocations = await allocationsOf(h, 64502, request.nodeId);
    expect(allocations.filter((a) => a.family === "ipv4")).toHaveLength(1);
    // The rerun wrote the same member again: the controller bumps the revision only on a
    // change, so a fresh member stays at 1 unless the rerun wrote something different.
    expect((await h.deps.provider().getMember(h.networkId, request.nodeId))?.revision).toBe(1);
  });

  it("retries transient controller errors within the job and succeeds", async () => {
    const request = await approvedRequest(h, { asn: 64503 });
    h.emu.injectFault({
      method: "POST",
      path: new RegExp(`/member/${request.nodeId}$`),
      status: 502,
      count: 2,
    });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toEqual({ action: "ack", result: "active" });
    expect(
      h.emu.requests.filter((r) => r === `POST /controller/network/${h.networkId}/member/${request.nodeId}`),
    ).toHaveLength(3);
  });

  it("waits, saying on what, when transient errors outlast the in-job retries, then completes", async () => {
    const request = await approvedRequest(h, { asn: 64504 });
    h.emu.injectFault({
      method: "POST",
      path: new RegExp(`/member/${request.nodeId}$`),
      status: 500,
      count: 3,
    });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toEqual({ action: "ack", result: "waiting", reason: "controller_server_error" });
    const waiting = await getRequest(h.stack.data, request.requestId);
    expect(waiting).toMatchObject({ status: "provisioning", waitingOn: "controller" });
    expect(waiting?.waitingReason).toMatch(/^controller_server_error: /);
    expect(waiting?.lastErrorCode).toBeUndefined();
    // The wait is a fresh message of the same attempt, named on the request.
    const copies = await h.stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.stack.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    const body = (copies.Messages ?? [])
      .map((m) => JSON.parse(m.Body!))
      .find((b) => b.requestId === request.requestId);
    expect(body).toMatchObject({ kind: "provision", attempt: 1, waits: 1, waitToken: waiting?.waitToken });
    // Too early: back on the queue until its time.
    expect(await processJob(h.deps, body, { receiveCount: 1 })).toMatchObject({
      action: "retry",
      reason: "not_before",
    });
    // A copy of an older chain ends at once.
    expect(
      await processJob(
        h.deps,
        { ...body, notBefore: undefined, waitToken: newWaitToken(new Date(Date.now() - 60_000)) },
        { receiveCount: 1 },
      ),
    ).toEqual({
      action: "ack",
      result: "skipped",
      reason: "superseded",
    });
    expect(await processJob(h.deps, { ...body, notBefore: undefined }, { receiveCount: 1 })).toEqual({
      action: "ack",
      result: "active",
    });
    expect((await getRequest(h.stack.data, request.requestId))?.waitingOn).toBeUndefined();
  });

  it("never lets a late write of an older chain replace the newer chain's name", async () => {
    const request = await approvedRequest(h, { asn: 64508 });
    const newer = newWaitToken(new Date(Date.now() + 60_000));
    await h.stack.data.entities.joinRequest
      .patch({ requestId: request.requestId })
      .set({ waitToken: newer })
      .go();
    // A copy waits whose chain write lands after the newer chain was recorded (a database
    // that hung, then came back): it ends, and the newer chain keeps its name.
    const outcome = await waitAndRetry(h.deps, jobFor(request), "controller_down");
    expect(outcome).toEqual({ action: "ack", result: "skipped", reason: "superseded" });
    expect((await getRequest(h.stack.data, request.requestId))?.waitToken).toBe(newer);
    // A copy of the newer chain is not superseded by it.
    expect(superseded({ ...jobFor(request), waitToken: newer }, newer)).toBe(false);
  });

  it("fails the request at once when the controller refuses it, with its code", async () => {
    const request = await approvedRequest(h, { asn: 64507 });
    h.emu.injectFault({
      method: "POST",
      path: new RegExp(`/member/${request.nodeId}$`),
      status: 400,
      count: 1,
    });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toMatchObject({ action: "ack", result: "failed", reason: "controller_rejected" });
    expect(await getRequest(h.stack.data, request.requestId)).toMatchObject({
      status: "failed",
      lastErrorCode: "controller_rejected",
    });
  });

  it("waits (a config problem, not the request's) when its network is not configured", async () => {
    const request = await approvedRequest(h, { networkId: `${h.emu.address}0000ff` });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toMatchObject({ action: "ack", result: "waiting", reason: "network_not_configured" });
    const after = await getRequest(h.stack.data, request.requestId);
    expect(after?.status).not.toBe("failed");
    expect(after?.waitingReason).toContain("networks[]");
  });

  it("never fails a request on the last delivery: it keeps waiting instead of reaching the DLQ", async () => {
    const request = await approvedRequest(h, { asn: 64505 });
    h.emu.injectFault({
      method: "POST",
      path: new RegExp(`/member/${request.nodeId}$`),
      status: 500,
      count: 3,
    });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 5 });
    expect(outcome).toMatchObject({ action: "ack", result: "waiting", reason: "controller_server_error" });
    expect((await getRequest(h.stack.data, request.requestId))?.status).toBe("provisioning");
  });

  it("waits with the request untouched while the controller gate is closed", async () => {
    const request = await approvedRequest(h, { asn: 64506 });
    h.emu.setReady(false);
    await h.stack.data.entities.controllerState
      .patch({ singleton: "controller" })
      .set({ lastPreflightAt: "2000-01-01T00:00:00.000Z" })
      .go();
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    h.emu.setReady(true);
    expect(outcome).toEqual({ action: "ack", result: "waiting", reason: "gate_closed:controller_not_ready" });
    expect(await getRequest(h.stack.data, request.requestId)).toMatchObject({
      status: "approved",
      waitingOn: "controller",
    });
    expect(
      (await runPreflight({ config: h.config, data: h.stack.data, provider: h.deps.provider() })).ok,
    ).toBe(true);
    expect(await processJob(h.deps, jobFor(request), { receiveCount: 2 })).toEqual({
      action: "ack",
      result: "active",
    });
  });

  it.each([
    ["rejected", "reject"],
    ["cancelled", "cancel"],
  ] as const)(
    "acknowledges a job for a request %s before approval, provisioning nothing",
    async (status, action) => {
      const nodeId = nextNodeId();
      const pending = await createRequest(
        h.stack.data,
        { userId: "user-1", asn: 64507, networkId: h.networkId, nodeId, correlationId: randomUUID() },
        { actorType: "user", actorId: "user-1" },
      );
      const closed = await transitionRequest(h.stack.data, pending, action, {
        audit: { actorType: "admin" },
      });
      expect(closed.status).toBe(status);
      const outcome = await processJob(h.deps, { ...jobFor(closed), attempt: 1 }, { receiveCount: 1 });
      expect(outcome).toEqual({ action: "ack", result: "skipped", reason: `status_${status}` });
      expect(await allocationsOf(h, 64507, nodeId)).toHaveLength(0);
      expect(h.emu.requests.filter((r) => r.includes(nodeId))).toEqual([]);
      expect((await getRequest(h.stack.data, closed.requestId))?.status).toBe(status);
    },
  );

  it("acknowledges a job for a request an admin failed after approval, provisioning nothing", async () => {
    const request = await approvedRequest(h, { asn: 64508 });
    const failed = await transitionRequest(h.stack.data, request, "fail", {
      set: { lastErrorCode: "manual" },
      audit: { actorType: "admin" },
    });
    const outcome = await processJob(h.deps, jobFor(failed), { receiveCount: 1 });
    expect(outcome).toEqual({ action: "ack", result: "skipped", reason: "status_failed" });
    expect(await allocationsOf(h, 64508, request.nodeId)).toHaveLength(0);
    expect(h.emu.requests.filter((r) => r.includes(request.nodeId))).toEqual([]);
  });
});

describe("address pool exhaustion", () => {
  let small: Harness;
  beforeAll(async () => {
    small = await workerHarness({
      networks: [
        {
          suffix: "000001",
          name: "tiny",
          ipv4: { prefix: "198.51.100.0/24", pool_start: "198.51.100.10", pool_end: "198.51.100.10" },
        },
      ],
    });
  });
  afterAll(() => small.stop());

  it("fails the second request with address_pool_exhausted", async () => {
    const first = await approvedRequest(small, { asn: 64510 });
    const second = await approvedRequest(small, { asn: 64511 });
    expect(await processJob(small.deps, jobFor(first), { receiveCount: 1 })).toMatchObject({
      result: "active",
    });
    expect(await processJob(small.deps, jobFor(second), { receiveCount: 1 })).toMatchObject({
      result: "failed",
      reason: "address_pool_exhausted",
    });
  });
});

describe("route servers step", () => {
  let withRs: Harness;
  beforeAll(async () => {
    withRs = await workerHarness({
      route_servers: [
        {
          id: "rs1",
          ssh: {
            host: "127.0.0.1",
            port: 9,
            user: "bird",
            host_key_fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            private_key: { secret: "rs1_key" },
            connect_timeout_ms: 1000,
          },
          asn: 64499,
          router_id: "192.0.2.1",
        },
      ],
    });
  });
  afterAll(() => withRs.stop());

  it("makes the member desired state and asks each route server to reconcile, leaving the request provisioning", async () => {
    const request = await approvedRequest(withRs, { asn: 64550 });
    const outcome = await processJob(withRs.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toEqual({ action: "ack", result: "waiting", reason: "route_servers" });
    const after = await getRequest(withRs.stack.data, request.requestId);
    expect(after?.status).toBe("provisioning");
    const desired = await desiredMembersOfNetwork(withRs.stack.data, "000001");
    expect(desired).toEqual([
      expect.objectContaining({
        requestId: request.requestId,
        asn: 64550,
        activation: "pending",
        ipv4: expect.any(String),
      }),
    ]);
    // The reconcile job sits in the route server's own FIFO group.
    const queued = await withRs.stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: withRs.stack.queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["MessageGroupId"],
      }),
    );
    expect(queued.Messages?.map((m) => [m.Attributes?.MessageGroupId, JSON.parse(m.Body!).kind])).toEqual([
      ["rs:rs1", "reconcile"],
    ]);
    // The controller side was done: the member is authorized while the route servers catch up.
    expect((await withRs.deps.provider().getMember(withRs.networkId, request.nodeId))?.authorized).toBe(true);
  });
});
