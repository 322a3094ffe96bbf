import { createLogger } from "@ztix/core";
import { getRequest, transitionRequest } from "@ztix/data";
import { sweepStuckRequests, type WorkflowDeps } from "@ztix/workflow";
import { beforeAll, describe, expect, it } from "vitest";
import { testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { actors, drainQueue, newRequestBody, queueDepth, seedNetworks } from "./helpers/workflow.ts";

let stack: TestStack;
const config = testConfig({ workflow: { approval_mode: "manual_admin", stuck_after_minutes: 15 } });

function sweeperDeps(at: Date, queueUrl = stack.queueUrl): WorkflowDeps {
  return {
    config,
    data: stack.data,
    sqs: stack.sqs,
    queueUrl,
    log: createLogger({ level: "error" }),
    now: () => at,
  };
}

const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000);

beforeAll(async () => {
  stack = await testStack();
  await seedNetworks(stack.data);
});

/** Approves a request through an app whose queue does not exist: the job is lost. */
async function approvedWithLostJob() {
  const broken = actors(stack, { config, queueUrl: `${stack.queueUrl.replace(/\.fifo$/, "")}-lost.fifo` });
  const op = await broken.operator();
  const created = await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!));
  const admin = await broken.admin();
  const approved = await admin.post(`/api/v1/admin/requests/${created.body.request.request_id}/approve`);
  expect(approved.status).toBe(200);
  expect(approved.body.dispatch.enqueued).toBe(false);
  return created.body.request.request_id as string;
}

describe("sweepStuckRequests", () => {
  it("re-enqueues a request whose enqueue was lost once it sat past the threshold, once", async () => {
    await drainQueue(stack.sqs, stack.queueUrl);
    const id = await approvedWithLostJob();
    expect(await queueDepth(stack.sqs, stack.queueUrl)).toBe(0);

    const early = await sweepStuckRequests(sweeperDeps(minutesFromNow(5)));
    expect(early.requeued).not.toContain(id);

    stack.calls.reset();
    const report = await sweepStuckRequests(sweeperDeps(minutesFromNow(16)));
    expect(report.requeued).toContain(id);
    expect(report.failed).toEqual([]);
    // Three Queries (approved, provisioning, deprovisioning on byStatus), one for failed requests
    // past the address grace period, and one stamp per re-send; never a Scan.
    expect(stack.calls.count.byCommand.ScanCommand).toBeUndefined();
    expect(stack.calls.count.byCommand.QueryCommand).toBe(4);
    expect(stack.calls.count.byCommand.TransactWriteItemsCommand).toBe(report.requeued.length);

    const messages = await drainQueue(stack.sqs, stack.queueUrl);
    const mine = messages.filter((m) => m.Attributes?.MessageGroupId === id);
    expect(mine).toHaveLength(1);
    const stored = (await getRequest(stack.data, id))!;
    // A new chain of the same attempt, named on the request (any older waiting copy ends).
    expect(mine[0]!.Attributes?.MessageDeduplicationId).toMatch(new RegExp(`^${id}-1-w1-`));
    expect(JSON.parse(mine[0]!.Body!).waitToken).toBe((await getRequest(stack.data, id))!.waitToken);
    expect(mine[0]!.MessageAttributes?.correlationId?.StringValue).toBe(stored.correlationId);
    expect(stored.status).toBe("approved");
    expect(stored.attempt).toBe(1);
    expect(stored.enqueuedAt).toBeDefined();

    const again = await sweepStuckRequests(sweeperDeps(minutesFromNow(20)));
    expect(again.requeued).not.toContain(id);
    const later = await sweepStuckRequests(sweeperDeps(minutesFromNow(40)));
    expect(later.requeued).toContain(id);
    await drainQueue(stack.sqs, stack.queueUrl);

    const trail = await stack.data.entities.auditEvent.query.bySubject({ subject: `request#${id}` }).go();
    expect(trail.data.map((e) => e.action)).toEqual([
      "request.created",
      "request.approve",
      "dispatch.enqueue_failed",
      "dispatch.requeued",
      "dispatch.requeued",
    ]);
  });

  it("re-sends requests stuck in provisioning but leaves pending, active and failed ones alone", async () => {
    await drainQueue(stack.sqs, stack.queueUrl);
    const w = actors(stack, { config });
    const op = await w.operator();
    const make = async () =>
      (await op.client.post("/api/v1/requests", newRequestBody(op.asns[0]!))).body.request
        .request_id as string;
    const [pending, provisioning, active, failed] = [await make(), await make(), await make(), await make()];
    const audit = { actorType: "system" as const, actorId: "test" };
    for (const id of [provisioning, active, failed]) {
      const r = await transitionRequest(stack.data, (await getRequest(stack.data, id))!, "approve", {
        set: { attempt: 1 },
        audit,
      });
      const started = await transitionRequest(stack.data, r, "start", { audit });
      if (id === active) await transitionRequest(stack.data, started, "complete", { audit });
      if (id === failed) await transitionRequest(stack.data, started, "fail", { audit });
    }
    const report = await sweepStuckRequests(sweeperDeps(minutesFromNow(16)));
    expect(report.requeued).toContain(provisioning);
    for (const id of [pending, active, failed]) expect(report.requeued).not.toContain(id);
    const groups = (await drainQueue(stack.sqs, stack.queueUrl)).map((m) => m.Attributes?.MessageGroupId);
    expect(groups).toContain(provisioning);
    expect(groups).not.toContain(pending);
  });

  it("reports a re-send that failed and tries again on the next run", async () => {
    const id = await approvedWithLostJob();
    const broken = await sweepStuckRequests(sweeperDeps(minutesFromNow(16), `${stack.queueUrl}-nope`));
    expect(broken.failed).toContain(id);
    const fixed = await sweepStuckRequests(sweeperDeps(minutesFromNow(16)));
    expect(fixed.requeued).toContain(id);
    await drainQueue(stack.sqs, stack.queueUrl);
  });
});
