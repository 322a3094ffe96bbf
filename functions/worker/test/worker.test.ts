import { auditTrail, getRequest, transitionRequest } from "@ztix/data";
import { runPreflight } from "@ztix/zerotier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processJob } from "../src/process-job.ts";
import { allocationsOf, approvedRequest, type Harness, jobFor, workerHarness } from "./support/harness.ts";

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
    expect(first).toMatchObject({ action: "retry" });
    expect((await getRequest(h.stack.data, request.requestId))?.status).toBe("provisioning");
    const second = await processJob(crashing, jobFor(request), { receiveCount: 2 });
    expect(second).toEqual({ action: "ack", result: "active" });
    const allocations = await allocationsOf(h, 64502, request.nodeId);
    expect(allocations.filter((a) => a.family === "ipv4")).toHaveLength(1);
    expect((await h.deps.provider().getMember(h.networkId, request.nodeId))?.revision).toBe(2);
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

  it("leaves the message for redelivery when transient errors outlast the in-job retries", async () => {
    const request = await approvedRequest(h, { asn: 64504 });
    h.emu.injectFault({
      method: "POST",
      path: new RegExp(`/member/${request.nodeId}$`),
      status: 500,
      count: 3,
    });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toEqual({ action: "retry", reason: "controller_server_error" });
    expect((await getRequest(h.stack.data, request.requestId))?.status).toBe("provisioning");
    expect(await processJob(h.deps, jobFor(request), { receiveCount: 2 })).toEqual({
      action: "ack",
      result: "active",
    });
  });

  it("fails the request at once on a permanent error, with an actionable code", async () => {
    const request = await approvedRequest(h, { networkId: `${h.emu.address}0000ff` });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toMatchObject({ action: "ack", result: "failed", reason: "network_not_configured" });
    const after = await getRequest(h.stack.data, request.requestId);
    expect(after).toMatchObject({ status: "failed", lastErrorCode: "network_not_configured" });
    expect(after?.lastErrorMessage).toContain("networks[]");
  });

  it("fails a request on the last delivery instead of leaving it to the DLQ", async () => {
    const request = await approvedRequest(h, { asn: 64505 });
    h.emu.injectFault({
      method: "POST",
      path: new RegExp(`/member/${request.nodeId}$`),
      status: 500,
      count: 3,
    });
    const outcome = await processJob(h.deps, jobFor(request), { receiveCount: 5 });
    expect(outcome).toMatchObject({ action: "ack", result: "failed", reason: "controller_server_error" });
    expect((await getRequest(h.stack.data, request.requestId))?.lastErrorMessage).toMatch(
      /gave up after 5 deliveries/,
    );
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
    expect(outcome).toEqual({ action: "retry", reason: "gate_closed:controller_not_ready" });
    expect((await getRequest(h.stack.data, request.requestId))?.status).toBe("approved");
    expect(
      (await runPreflight({ config: h.config, data: h.stack.data, provider: h.deps.provider() })).ok,
    ).toBe(true);
    expect(await processJob(h.deps, jobFor(request), { receiveCount: 2 })).toEqual({
      action: "ack",
      result: "active",
    });
  });

  it("acknowledges a job for a request that is no longer approved or provisioning", async () => {
    const request = await approvedRequest(h, { asn: 64507 });
    const rejected = await transitionRequest(h.stack.data, { ...request, status: "approved" }, "fail", {
      set: { lastErrorCode: "manual" },
      audit: { actorType: "admin" },
    });
    const outcome = await processJob(h.deps, jobFor(rejected), { receiveCount: 1 });
    expect(outcome).toEqual({ action: "ack", result: "skipped", reason: "status_failed" });
    expect(await allocationsOf(h, 64507, request.nodeId)).toHaveLength(0);
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

  it("fails the request naming the route server that could not be brought in sync", async () => {
    const request = await approvedRequest(withRs, { asn: 64550 });
    const outcome = await processJob(withRs.deps, jobFor(request), { receiveCount: 1 });
    expect(outcome).toMatchObject({ action: "ack", result: "failed", reason: "route_server_sync_failed" });
    const after = await getRequest(withRs.stack.data, request.requestId);
    expect(after?.lastErrorMessage).toMatch(/rs1: connect/);
    // The controller side was done: the member stays authorized for a retry to reuse.
    expect((await withRs.deps.provider().getMember(withRs.networkId, request.nodeId))?.authorized).toBe(true);
  });
});
