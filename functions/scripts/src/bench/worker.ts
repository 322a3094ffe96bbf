/**
 * Provisioning worker figures on the local stack with the controller emulator:
 * approve → `active` latency (p50/p95 over 50 requests, one at a time) and throughput
 * (200 jobs queued across 200 message groups, drained by the local poller).
 */
import { enqueueProvisioningJob } from "@ztix/aws";
import { getRequest, transitionRequest } from "@ztix/data";
import { startPoller } from "../../../worker/src/poller.ts";
import { type ProvisioningStack, startProvisioningStack } from "./_provisioning-stack.ts";
import { percentile } from "./_stats.ts";

const LATENCY_REQUESTS = 50;
const THROUGHPUT_JOBS = 200;
const POLLER_LOOPS = 4;

/** Approves a new request and queues its job directly (the bench measures the worker, not the API). */
async function approveAndQueue(stack: ProvisioningStack) {
  const request = await stack.newPendingRequest();
  const at = new Date();
  const approved = await transitionRequest(stack.data, request, "approve", {
    set: { attempt: 1, approvedAt: at.toISOString() },
    audit: { actorType: "admin", actorId: "bench" },
    now: at,
  });
  await enqueueProvisioningJob(stack.sqs, stack.queueUrl, {
    kind: "provision",
    requestId: approved.requestId,
    attempt: 1,
    correlationId: approved.correlationId,
  });
  return { requestId: approved.requestId, at: performance.now() };
}

export async function run(): Promise<Record<string, unknown>> {
  const stack = await startProvisioningStack({ name: "worker" });
  try {
    const poll = (loops: number) => {
      const poller = startPoller({
        deps: stack.deps,
        sqs: stack.sqs,
        queueUrl: stack.queueUrl,
        waitTimeSeconds: 1,
        loops,
        onOutcome: stack.onOutcome,
      });
      stack.defer(() => poller.stop());
      return poller;
    };

    // Latency: one request at a time, so the figure is the pipeline, not queueing.
    const latencies: number[] = [];
    const workerSide: number[] = [];
    const single = poll(1);
    for (let i = 0; i < LATENCY_REQUESTS; i++) {
      const { requestId, at } = await approveAndQueue(stack);
      const done = await stack.waitActive([requestId]);
      latencies.push(done.get(requestId)! - at);
      const final = await getRequest(stack.data, requestId);
      workerSide.push(Date.parse(final!.activeAt!) - Date.parse(final!.approvedAt!));
    }
    await single.stop();
    latencies.sort((a, b) => a - b);
    workerSide.sort((a, b) => a - b);

    // Throughput: queue everything first, then drain.
    const ids: string[] = [];
    for (let i = 0; i < THROUGHPUT_JOBS; i++) ids.push((await approveAndQueue(stack)).requestId);
    const started = performance.now();
    poll(POLLER_LOOPS);
    await stack.waitActive(ids);
    const seconds = (performance.now() - started) / 1000;

    return {
      approve_to_active_ms: {
        requests: LATENCY_REQUESTS,
        p50: Math.round(percentile(latencies, 50)),
        p95: Math.round(percentile(latencies, 95)),
        p50_recorded: percentile(workerSide, 50),
        p95_recorded: percentile(workerSide, 95),
      },
      throughput: {
        jobs: THROUGHPUT_JOBS,
        message_groups: THROUGHPUT_JOBS,
        poller_loops: POLLER_LOOPS,
        seconds: Number(seconds.toFixed(2)),
        jobs_per_second: Number((THROUGHPUT_JOBS / seconds).toFixed(1)),
      },
    };
  } finally {
    await stack.stop();
  }
}
