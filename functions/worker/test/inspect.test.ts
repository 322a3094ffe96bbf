import { randomUUID } from "node:crypto";
import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { InspectRequestJob, RuntimeConfig } from "@ztix/core";
import { auditTrail, createRequest, getRequest, type JoinRequestItem } from "@ztix/data";
import { queueNodeCheck, submitRequest } from "@ztix/workflow";
import { raw } from "@ztix/zerotier-emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { controllerTestConfig } from "../../../packages/zerotier/test/support/config.ts";
import { seedUser } from "../../../test/support/users.ts";
import { consumeMessage } from "../src/consume.ts";
import type { WorkerDeps } from "../src/deps.ts";
import { handleDeadLetter } from "../src/dlq.ts";
import { processInspect, watchDelayMs } from "../src/inspect/job.ts";
import { type Harness, nextNodeId, workerHarness } from "./support/harness.ts";

let h: Harness;
/** policy_auto, approving only once the node asked to join. */
let strict: WorkerDeps;

beforeAll(async () => {
  h = await workerHarness();
  strict = {
    ...h.deps,
    config: controllerTestConfig(h.emu, {
      workflow: { approval_mode: "policy_auto", policy_auto: { require_node_seen: true } },
    }) as RuntimeConfig,
  };
  // The IX network exists on the controller (a node can only ask to join a network that does).
  expect((await raw(h.emu, "POST", `/controller/network/${h.networkId}`, { body: "{}" })).status).toBe(200);
  const now = new Date().toISOString();
  await h.stack.data.entities.ixNetwork
    .create({
      networkId: h.networkId,
      suffix: "000001",
      name: "ZT-IX LAN",
      active: true,
      createdAt: now,
      updatedAt: now,
    })
    .go();
});
afterAll(() => h.stop());
beforeEach(async () => {
  await drain();
});

async function pending(asn = 64500): Promise<JoinRequestItem> {
  return createRequest(
    h.stack.data,
    { userId: "user-1", asn, networkId: h.networkId, nodeId: nextNodeId(), correlationId: randomUUID() },
    { actorType: "user", actorId: "user-1" },
  );
}

const check = (r: JoinRequestItem, extra: Partial<InspectRequestJob> = {}): InspectRequestJob => ({
  kind: "inspect_request",
  requestId: r.requestId,
  requestedAt: new Date().toISOString(),
  ...extra,
});

async function receiveAll(): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const got = await h.stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.stack.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const batch = got.Messages ?? [];
    if (batch.length === 0) return out;
    for (const m of batch) {
      out.push(m);
      await h.stack.sqs.send(
        new DeleteMessageCommand({ QueueUrl: h.stack.queueUrl, ReceiptHandle: m.ReceiptHandle! }),
      );
    }
  }
}
const drain = receiveAll;
const bodies = (ms: Message[]) => ms.map((m) => JSON.parse(m.Body!) as Record<string, unknown>);

describe("inspect_request: has the node asked the controller to join?", () => {
  it("records 'not seen' when the controller has no member for the node", async () => {
    const r = await pending();
    const outcome = await processInspect(h.deps, check(r));
    expect(outcome).toEqual({ action: "ack", result: "refreshed", reason: "absent" });
    const after = (await getRequest(h.stack.data, r.requestId))!;
    expect(after).toMatchObject({ status: "pending", nodeSeen: false, nodeMemberState: "absent" });
    expect(after.nodeSeenCheckedAt).toBeTruthy();
    expect(after.nodeSeenAt).toBeUndefined();
  });

  it("records 'seen' for a node the controller lists as an unauthorized member, and keeps it seen", async () => {
    const r = await pending();
    expect(h.emu.simulateJoin(h.networkId, r.nodeId)).toMatchObject({ authorized: false });
    expect(await processInspect(h.deps, check(r))).toMatchObject({
      result: "refreshed",
      reason: "unauthorized",
    });
    const seen = (await getRequest(h.stack.data, r.requestId))!;
    expect(seen).toMatchObject({ status: "pending", nodeSeen: true, nodeMemberState: "unauthorized" });
    expect(seen.nodeSeenAt).toBe(seen.nodeSeenCheckedAt);

    // The record goes (someone cleaned the controller up): the node did ask, it stays seen.
    await raw(h.emu, "DELETE", `/controller/network/${h.networkId}/member/${r.nodeId}`);
    await processInspect(h.deps, check(r));
    const later = (await getRequest(h.stack.data, r.requestId))!;
    expect(later).toMatchObject({ nodeSeen: true, nodeSeenAt: seen.nodeSeenAt, nodeMemberState: "absent" });
    // Manual approval mode: seeing the node decides nothing.
    expect(later.status).toBe("pending");
  });

  it("records nothing new when the controller is down, and never fails the request", async () => {
    const r = await pending();
    await processInspect(h.deps, check(r));
    const before = (await getRequest(h.stack.data, r.requestId))!;
    h.emu.simulateJoin(h.networkId, r.nodeId);
    h.emu.injectFault({ path: /\/member\//, status: 503, count: 1 });
    const outcome = await processInspect(h.deps, check(r));
    expect(outcome).toEqual({ action: "ack", result: "skipped", reason: "controller_unavailable" });
    const after = (await getRequest(h.stack.data, r.requestId))!;
    expect(after).toMatchObject({
      status: "pending",
      nodeSeen: false,
      nodeSeenCheckedAt: before.nodeSeenCheckedAt,
    });
    expect(after.lastErrorCode).toBeUndefined();
    // Unreachable altogether (connection reset): the same.
    // Unreachable altogether (every connection reset, the provider's retry included): the same.
    h.emu.injectFault({ path: /\/member\//, reset: true, count: 2 });
    expect(await processInspect(h.deps, check(r))).toMatchObject({ reason: "controller_unavailable" });
    // Back: the next check sees the node.
    await processInspect(h.deps, check(r));
    expect((await getRequest(h.stack.data, r.requestId))?.nodeSeen).toBe(true);
  });

  it("ends a check already answered by a later one, and drops a check of an unknown request", async () => {
    const r = await pending();
    const old = check(r, { requestedAt: new Date(Date.now() - 60_000).toISOString() });
    await processInspect(h.deps, check(r));
    expect(await processInspect(h.deps, old)).toEqual({
      action: "ack",
      result: "skipped",
      reason: "coalesced",
    });
    expect(await processInspect(h.deps, { ...old, requestId: randomUUID() })).toMatchObject({
      reason: "unknown_request",
    });
  });

  it("is dropped from the dead-letter queue, the request untouched (the admin page asks again)", async () => {
    const r = await pending();
    const outcome = await handleDeadLetter(h.deps, {
      messageId: "dead-1",
      body: JSON.stringify(check(r)),
      receiveCount: 5,
    });
    expect(outcome).toEqual({ action: "ack", result: "skipped", reason: "inspect_request" });
    expect(await getRequest(h.stack.data, r.requestId)).toMatchObject({ status: "pending" });
    expect(await receiveAll()).toEqual([]);
  });

  it("is consumed from the queue in its own message group, apart from the request's jobs", async () => {
    const r = await pending();
    h.emu.simulateJoin(h.networkId, r.nodeId);
    expect(await queueNodeCheck(h.deps, r)).toBe(true);
    const [m, ...rest] = await receiveAll();
    expect(rest).toEqual([]);
    expect(m!.Attributes?.MessageGroupId).toBe(`inspect:${r.requestId}`);
    const outcome = await consumeMessage(h.deps, {
      messageId: m!.MessageId!,
      body: m!.Body!,
      receiveCount: 1,
    });
    expect(outcome).toMatchObject({ action: "ack", result: "refreshed" });
    expect((await getRequest(h.stack.data, r.requestId))?.nodeSeen).toBe(true);
  });
});

describe("policy_auto with require_node_seen", () => {
  it("leaves a request pending until its node is seen, then the check approves it and queues provisioning", async () => {
    const user = await seedUser(h.stack.data, { asns: [{ asn: 64501, name: "Net 64501" }] });
    const nodeId = nextNodeId();
    const submitted = await submitRequest(strict, user, { asn: 64501, networkId: h.networkId, nodeId });
    expect(submitted.autoApproved).toBe(false);
    expect(submitted.request.status).toBe("pending");

    // The submission queued a watching check; the node has not asked yet.
    const [first, ...none] = await receiveAll();
    expect(none).toEqual([]);
    expect(JSON.parse(first!.Body!)).toMatchObject({
      kind: "inspect_request",
      requestId: submitted.request.requestId,
      watch: 0,
    });
    expect(
      await consumeMessage(strict, { messageId: first!.MessageId!, body: first!.Body!, receiveCount: 1 }),
    ).toMatchObject({ result: "refreshed", reason: "absent" });
    expect((await getRequest(h.stack.data, submitted.request.requestId))?.status).toBe("pending");

    // Not seen: the watch queued its next check, not before its backoff.
    const [next, ...more] = bodies(await receiveAll());
    expect(more).toEqual([]);
    expect(next).toMatchObject({ kind: "inspect_request", watch: 1 });
    const waitMs = Date.parse(String(next!.notBefore)) - Date.now();
    expect(waitMs).toBeGreaterThan(watchDelayMs(0) - 5_000);
    expect(waitMs).toBeLessThanOrEqual(watchDelayMs(0));
    // Arriving early, it goes back on the queue until then.
    expect(await processInspect(strict, next as InspectRequestJob)).toMatchObject({
      action: "retry",
      reason: "not_before",
    });

    // The operator runs `zerotier-cli join`: the controller lists the node, unauthorized.
    h.emu.simulateJoin(h.networkId, nodeId);
    const due = { ...(next as InspectRequestJob), notBefore: new Date(Date.now() - 1).toISOString() };
    expect(await processInspect(strict, due)).toMatchObject({ result: "refreshed", reason: "unauthorized" });

    const approved = (await getRequest(h.stack.data, submitted.request.requestId))!;
    expect(approved).toMatchObject({
      status: "approved",
      attempt: 1,
      decidedBy: "system:policy",
      nodeSeen: true,
      nodeMemberState: "unauthorized",
    });
    // The node check's findings committed with the approval.
    expect(approved.nodeSeenCheckedAt).toBe(approved.nodeSeenAt);
    expect(Date.parse(approved.approvedAt!) - Date.parse(approved.nodeSeenAt!)).toBeGreaterThanOrEqual(0);
    const trail = await auditTrail(h.stack.data, `request#${approved.requestId}`);
    const approval = trail.find((e) => e.action === "request.approve");
    expect(approval).toMatchObject({ actorType: "system", actorId: "policy" });
    expect(approval?.metadata).toMatchObject({
      mode: "policy_auto",
      rule: "asn_and_network_eligible_node_seen",
      node_seen_at: approved.nodeSeenAt,
    });
    // Provisioning is queued; the watch ends (nothing more to wait for).
    const after = bodies(await receiveAll());
    expect(after).toEqual([
      { kind: "provision", requestId: approved.requestId, attempt: 1, correlationId: approved.correlationId },
    ]);
  });

  it("approves at the first check when the node asked before the request was made", async () => {
    const r = await pending(64502);
    h.emu.simulateJoin(h.networkId, r.nodeId);
    await processInspect(strict, check(r, { watch: 0 }));
    expect((await getRequest(h.stack.data, r.requestId))?.status).toBe("approved");
    expect(bodies(await receiveAll()).map((b) => b.kind)).toEqual(["provision"]);
  });

  it("never approves on an authorized member it did not see ask (someone else wrote it)", async () => {
    const r = await pending(64503);
    await raw(h.emu, "POST", `/controller/network/${h.networkId}/member/${r.nodeId}`, {
      body: JSON.stringify({ authorized: true }),
    });
    await processInspect(strict, check(r));
    expect(await getRequest(h.stack.data, r.requestId)).toMatchObject({
      status: "pending",
      nodeSeen: false,
      nodeMemberState: "authorized",
    });
  });
});
