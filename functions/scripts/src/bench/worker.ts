/**
 * Provisioning worker figures on the local stack with the controller emulator:
 * approve → `active` latency (p50/p95 over 50 requests, one at a time) and throughput
 * (200 jobs queued across 200 message groups, drained by the local poller).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  documentClient,
  dynamoClient,
  enqueueProvisioningJob,
  fileSecretStore,
  s3Client,
  sqsClient,
} from "@ztix/aws";
import { createLogger, runtimeConfigSchema } from "@ztix/core";
import { createRequest, createService, getRequest, transitionRequest } from "@ztix/data";
import { bootstrapResources, startDynamoDbLocal, startFauxqsServer } from "@ztix/local-stack";
import { createControllerProvider, runPreflight } from "@ztix/zerotier";
import { startControllerEmulator } from "@ztix/zerotier/emulator";
import { sharedProvider, type WorkerDeps } from "../../../worker/src/deps.ts";
import type { QueueMessage } from "../../../worker/src/messages.ts";
import { startPoller } from "../../../worker/src/poller.ts";
import type { JobOutcome } from "../../../worker/src/process-job.ts";
import { percentile } from "./_stats.ts";

const LATENCY_REQUESTS = 50;
const THROUGHPUT_JOBS = 200;
const POLLER_LOOPS = 4;

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-bench-worker-"));
  const [dynamo, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqsServer()]);
  const emu = await startControllerEmulator({ homeDir: join(dir, "controller"), token: "bench-token" });
  const endpoints = {
    mode: "local" as const,
    region: "us-east-1",
    dynamodb: dynamo.endpoint,
    sqs: fauxqs.endpoint,
    s3: fauxqs.endpoint,
  };
  const sqs = sqsClient(endpoints);
  const ddb = dynamoClient(endpoints);
  try {
    const names = {
      tableName: "bench",
      queueName: "bench.fifo",
      dlqName: "bench-dlq.fifo",
      bucketName: "bench",
    };
    const created = await bootstrapResources({ dynamo: ddb, sqs, s3: s3Client(endpoints) }, names);
    const secretsPath = join(dir, "secrets.json");
    writeFileSync(secretsPath, JSON.stringify({ controller_token: emu.token }));
    const config = runtimeConfigSchema.parse({
      asn_policy: { allow_private: true, allow_documentation: true },
      networks: [
        {
          suffix: "000001",
          name: "bench",
          ipv4: { prefix: "10.64.0.0/16", pool_start: "10.64.0.10", pool_end: "10.64.255.250" },
          ipv6: { prefix: "2001:db8:64::/64" },
        },
      ],
      controller: {
        transport: { kind: "direct", url: emu.url },
        home_dir: emu.homeDir,
        restart_command: "true",
      },
    });
    const data = createService({ client: documentClient(ddb), table: names.tableName });
    const secrets = fileSecretStore(secretsPath);
    const deps: WorkerDeps = {
      config,
      data,
      secrets,
      provider: sharedProvider(() => createControllerProvider(config.controller, secrets)),
      log: createLogger({ level: "error", sink: () => undefined }),
      now: () => new Date(),
      metricSink: () => undefined,
    };
    await runPreflight({ config, data, provider: deps.provider() });
    const networkId = `${emu.address}000001`;
    let asn = 4_200_000_000;

    const approve = async (enqueue: boolean) => {
      asn += 1;
      const request = await createRequest(
        data,
        {
          userId: "bench",
          asn,
          networkId,
          nodeId: `0a${(asn - 4_200_000_000).toString(16).padStart(8, "0")}`,
          correlationId: randomUUID(),
        },
        { actorType: "user", actorId: "bench" },
      );
      const at = new Date();
      const approved = await transitionRequest(data, request, "approve", {
        set: { attempt: 1, approvedAt: at.toISOString() },
        audit: { actorType: "admin", actorId: "bench" },
        now: at,
      });
      if (enqueue) {
        await enqueueProvisioningJob(sqs, created.queueUrl, {
          kind: "provision",
          requestId: approved.requestId,
          attempt: 1,
          correlationId: approved.correlationId,
        });
      }
      return { approved, at: performance.now() };
    };
    // Completion comes from the poller's outcomes, so the bench does not load DynamoDB Local
    // with status polling while it measures.
    const finished = new Map<string, number>();
    let failure: string | undefined;
    const onOutcome = (m: QueueMessage, o: JobOutcome) => {
      const requestId = (JSON.parse(m.body) as { requestId: string }).requestId;
      if (o.action === "ack" && o.result === "active") finished.set(requestId, performance.now());
      else if (o.action === "ack") failure = `request ${requestId} ended ${o.result}: ${o.reason}`;
    };
    const waitActive = async (ids: Set<string>) => {
      while ([...ids].some((id) => !finished.has(id))) {
        if (failure) throw new Error(failure);
        await new Promise((r) => setTimeout(r, 5));
      }
      return finished;
    };

    // Latency: one request at a time, so the figure is the pipeline, not queueing.
    const latencies: number[] = [];
    const workerSide: number[] = [];
    let poller = startPoller({
      deps,
      sqs,
      queueUrl: created.queueUrl,
      waitTimeSeconds: 1,
      loops: 1,
      onOutcome,
    });
    for (let i = 0; i < LATENCY_REQUESTS; i++) {
      const { approved, at } = await approve(true);
      const done = await waitActive(new Set([approved.requestId]));
      latencies.push(done.get(approved.requestId)! - at);
      const final = await getRequest(data, approved.requestId);
      workerSide.push(Date.parse(final!.activeAt!) - Date.parse(final!.approvedAt!));
    }
    await poller.stop();
    latencies.sort((a, b) => a - b);
    workerSide.sort((a, b) => a - b);

    // Throughput: queue everything first, then drain.
    const ids = new Set<string>();
    for (let i = 0; i < THROUGHPUT_JOBS; i++) ids.add((await approve(true)).approved.requestId);
    const started = performance.now();
    poller = startPoller({
      deps,
      sqs,
      queueUrl: created.queueUrl,
      waitTimeSeconds: 1,
      loops: POLLER_LOOPS,
      onOutcome,
    });
    await waitActive(ids);
    const seconds = (performance.now() - started) / 1000;
    await poller.stop();
    await deps.provider().close();

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
    sqs.destroy();
    ddb.destroy();
    await emu.stop();
    await Promise.all([dynamo.stop(), fauxqs.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
