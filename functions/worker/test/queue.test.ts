import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { getRequest } from "@ztix/data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler } from "../src/handler.ts";
import { startLocalWorker } from "../src/local.ts";
import type { QueueMessage } from "../src/messages.ts";
import { startPoller } from "../src/poller.ts";
import type { JobOutcome } from "../src/process-job.ts";
import { approvedRequest, type Harness, waitForStatus, workerHarness } from "./support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await workerHarness();
});
afterAll(() => h.stop());

describe("worker on the FIFO queue", () => {
  it("a local poller takes a job sent as the API sends it to active and deletes it", async () => {
    const seen: [QueueMessage, JobOutcome][] = [];
    const poller = startPoller({
      deps: h.deps,
      sqs: h.stack.sqs,
      queueUrl: h.stack.queueUrl,
      waitTimeSeconds: 1,
      onOutcome: (m, o) => seen.push([m, o]),
    });
    try {
      const request = await approvedRequest(h, { asn: 64520, enqueue: true });
      await waitForStatus(h, request.requestId, ["active"]);
      expect(seen).toHaveLength(1);
      expect(seen[0]![0]).toMatchObject({
        receiveCount: 1,
        groupId: request.requestId,
        correlationId: request.correlationId,
      });
    } finally {
      await poller.stop();
    }
    const left = await h.stack.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: h.stack.queueUrl, WaitTimeSeconds: 0 }),
    );
    expect(left.Messages ?? []).toHaveLength(0);
  });

  it("a job that crashes many times more than SQS delivers a message keeps waiting, and completes once it stops", async () => {
    let crashes = 0;
    const crashing = {
      ...h.deps,
      afterStep: (step: string) => {
        if (step === "started" && crashes < 8) {
          crashes += 1;
          throw new Error("simulated crash");
        }
      },
    };
    const poller = startPoller({
      deps: crashing,
      sqs: h.stack.sqs,
      queueUrl: h.stack.queueUrl,
      waitTimeSeconds: 1,
      retryVisibilitySeconds: 0,
      maxRetryVisibilitySeconds: 1,
    });
    try {
      const request = await approvedRequest(h, { asn: 64521, enqueue: true });
      const done = await waitForStatus(h, request.requestId, ["active", "failed"], 60_000);
      expect({ status: done.status, crashes }).toEqual({ status: "active", crashes: 8 });
    } finally {
      await poller.stop();
    }
  });

  it("a job whose worker died on every delivery is redriven to the DLQ, queued again from there, and completes", async () => {
    const request = await approvedRequest(h, { asn: 64523, enqueue: true });
    // A worker that dies mid-job never deletes the message: receive it without settling it.
    let deliveries = 0;
    for (let tries = 0; tries < 40 && deliveries < 5; tries++) {
      const got = await h.stack.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: h.stack.queueUrl, WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
      );
      deliveries += (got.Messages ?? []).length;
    }
    expect(deliveries).toBe(5);
    const dead = { ...h.deps, waitBackoff: { baseMs: 100, maxMs: 200 } };
    const poller = startPoller({
      deps: dead,
      sqs: h.stack.sqs,
      queueUrl: h.stack.queueUrl,
      dlqUrl: h.stack.dlqUrl,
      waitTimeSeconds: 1,
      maxRetryVisibilitySeconds: 1,
    });
    try {
      // Not the request's fault: it waits a minute (visibly), then the job runs again.
      const waiting = await waitForCondition(
        async () => (await getRequest(h.stack.data, request.requestId))?.waitingOn === "service",
      );
      expect(waiting).toBe(true);
      const after = await getRequest(h.stack.data, request.requestId);
      expect(after?.status).toBe("approved");
      expect(after?.waitingReason).toContain(request.correlationId);
    } finally {
      await poller.stop();
    }
  });

  it("a job failing transiently on every delivery waits without end, never failed and never stuck", async () => {
    const outcomes: JobOutcome[] = [];
    const poller = startPoller({
      deps: h.deps,
      sqs: h.stack.sqs,
      queueUrl: h.stack.queueUrl,
      dlqUrl: h.stack.dlqUrl,
      waitTimeSeconds: 1,
      retryVisibilitySeconds: 0,
      maxRetryVisibilitySeconds: 1,
      onOutcome: (_m, o) => outcomes.push(o),
    });
    try {
      const request = await approvedRequest(h, { asn: 64522 });
      h.emu.injectFault({
        method: "POST",
        path: new RegExp(`/member/${request.nodeId}$`),
        status: 503,
        count: 100,
      });
      const { enqueueProvisioningJob } = await import("@ztix/aws");
      await enqueueProvisioningJob(h.stack.sqs, h.stack.queueUrl, {
        kind: "provision",
        requestId: request.requestId,
        attempt: 1,
        correlationId: request.correlationId,
      });
      await waitForCondition(
        async () => outcomes.filter((o) => o.action === "ack" && o.result === "waiting").length >= 6,
        30_000,
      );
      const waiting = await getRequest(h.stack.data, request.requestId);
      expect(waiting).toMatchObject({ status: "provisioning", waitingOn: "controller" });
      expect(waiting?.lastErrorCode).toBeUndefined();
      // No message of it ever reached the DLQ.
      const dlq = await h.stack.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: h.stack.dlqUrl, WaitTimeSeconds: 0 }),
      );
      expect(dlq.Messages ?? []).toEqual([]);
    } finally {
      await poller.stop();
    }
  });
});

async function waitForCondition(probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}

describe("Lambda entry", () => {
  it("reports only the jobs to retry (here: one that is not due yet) as batch item failures", async () => {
    const path = join(h.stack.dir, "runtime-config.json");
    writeFileSync(path, JSON.stringify(h.config));
    process.env.ZTIX_RUNTIME_CONFIG = path;
    const ok = await approvedRequest(h, { asn: 64530 });
    const blocked = await approvedRequest(h, { asn: 64531 });
    const record = (r: typeof ok, id: string, extra: Record<string, unknown> = {}) => ({
      messageId: id,
      body: JSON.stringify({ kind: "provision", requestId: r.requestId, attempt: 1, ...extra }),
      attributes: { ApproximateReceiveCount: "1", MessageGroupId: r.requestId },
      messageAttributes: { correlationId: { stringValue: r.correlationId } },
    });
    const out = await handler({
      Records: [
        record(ok, "m-ok"),
        record(blocked, "m-blocked", { waits: 1, notBefore: new Date(Date.now() + 60_000).toISOString() }),
        { ...record(ok, "m-bad"), body: "{" },
      ],
    });
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: "m-blocked" }] });
    expect((await getRequest(h.stack.data, ok.requestId))?.status).toBe("active");
    expect((await getRequest(h.stack.data, blocked.requestId))?.status).toBe("approved");
  });
});

describe("local worker for npm run dev", () => {
  it("starts from the launcher's environment and provisions a queued job", async () => {
    const path = join(h.stack.dir, "runtime-config-dev.json");
    writeFileSync(path, JSON.stringify(h.config));
    process.env.ZTIX_RUNTIME_CONFIG = path;
    const worker = startLocalWorker();
    try {
      const request = await approvedRequest(h, { asn: 64560, enqueue: true });
      expect((await waitForStatus(h, request.requestId, ["active"])).status).toBe("active");
    } finally {
      await worker.stop();
    }
  });
});
