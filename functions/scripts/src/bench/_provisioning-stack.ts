/**
 * What the provisioning bench sections share: the local stack (DynamoDB Local + fauxqs), the
 * controller emulator, a runtime config, the worker's dependencies, a passed preflight, and
 * the moment each request became active, taken from the worker's own ProvisioningLatency
 * metric (so a bench never polls DynamoDB Local while it measures). Everything started is
 * registered for cleanup as it is made.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { documentClient, dynamoClient, fileSecretStore, s3Client, sqsClient } from "@ztix/aws";
import { createLogger, type RuntimeConfig, type RuntimeConfigInput, runtimeConfigSchema } from "@ztix/core";
import { createRequest, createService, type DataService, type JoinRequestItem } from "@ztix/data";
import { bootstrapResources, startDynamoDbLocal, startFauxqsServer } from "@ztix/local-stack";
import { PolicyDataCache, RouteServerConnections } from "@ztix/route-servers";
import { createControllerProvider, runPreflight } from "@ztix/zerotier";
import { startControllerEmulator } from "@ztix/zerotier-emulator";
import { sharedProvider, type WorkerDeps } from "../../../worker/src/deps.ts";
import type { QueueMessage } from "../../../worker/src/messages.ts";
import type { JobOutcome } from "../../../worker/src/process-job.ts";

type Cleanup = () => Promise<unknown> | unknown;

export interface ProvisioningStack {
  dir: string;
  sqs: SQSClient;
  queueUrl: string;
  data: DataService;
  config: RuntimeConfig;
  deps: WorkerDeps;
  networkId: string;
  /** Give to `startPoller({ onOutcome })`: notices provisioning jobs that failed. */
  onOutcome(message: QueueMessage, outcome: JobOutcome): void;
  /** Resolves with the end times once every id is active; throws on a job that ended otherwise. */
  waitActive(ids: Iterable<string>, timeoutMs?: number): Promise<Map<string, number>>;
  /** A new pending request with its own ASN and node id. */
  newPendingRequest(): Promise<JoinRequestItem>;
  /** Registers a cleanup that `stop()` runs (last registered, first run). */
  defer(cleanup: Cleanup): void;
  stop(): Promise<void>;
}

export async function startProvisioningStack(options: {
  name: string;
  /** Starts what the section adds (e.g. route servers) and returns its secrets and config. */
  extend?: (ctx: { dir: string; defer: (c: Cleanup) => void }) => Promise<{
    secrets?: Record<string, string>;
    config?: Partial<RuntimeConfigInput>;
  }>;
}): Promise<ProvisioningStack> {
  const cleanups: Cleanup[] = [];
  const defer = (c: Cleanup) => cleanups.push(c);
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the remaining cleanups (processes, temp dir) must still run.
      }
    }
  };
  const dir = mkdtempSync(join(tmpdir(), `ztix-bench-${options.name}-`));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const [dynamo, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqsServer()]);
    defer(() => Promise.all([dynamo.stop(), fauxqs.stop()]));
    const emu = await startControllerEmulator({ homeDir: join(dir, "controller"), token: "bench-token" });
    defer(() => emu.stop());
    const extra = (await options.extend?.({ dir, defer })) ?? {};

    const endpoints = {
      mode: "local" as const,
      region: "us-east-1",
      dynamodb: dynamo.endpoint,
      sqs: fauxqs.endpoint,
      s3: fauxqs.endpoint,
    };
    const sqs = sqsClient(endpoints);
    const ddb = dynamoClient(endpoints);
    defer(() => {
      sqs.destroy();
      ddb.destroy();
    });
    const names = {
      tableName: "bench",
      queueName: "bench.fifo",
      dlqName: "bench-dlq.fifo",
      bucketName: "bench",
    };
    const created = await bootstrapResources({ dynamo: ddb, sqs, s3: s3Client(endpoints) }, names);
    const secretsPath = join(dir, "secrets.json");
    writeFileSync(secretsPath, JSON.stringify({ controller_token: emu.token, ...extra.secrets }), {
      mode: 0o600,
    });
    const config = runtimeConfigSchema.parse({
      // No lookups of the real PeeringDB from tests and benches (a test that wants them points at the stand-in).
      peeringdb_api: { enabled: false },
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
      ...extra.config,
    });
    const data = createService({ client: documentClient(ddb), table: names.tableName });
    const secrets = fileSecretStore(secretsPath);
    const finished = new Map<string, number>();
    const deps: WorkerDeps = {
      config,
      data,
      secrets,
      provider: sharedProvider(() => createControllerProvider(config.controller, secrets)),
      sqs,
      queueUrl: created.queueUrl,
      connections: new RouteServerConnections(secrets),
      policyCache: new PolicyDataCache(),
      // ZTIX_BENCH_LOG=1 shows the worker's own log lines (per-stage timings of each reconcile).
      log: process.env.ZTIX_BENCH_LOG
        ? createLogger({ level: "info", sink: (l) => process.stderr.write(`${l}\n`) })
        : createLogger({ level: "error", sink: () => undefined }),
      now: () => new Date(),
      // The worker's own signal that a request went active (one EMF line per request).
      metricSink: (line) => {
        const m = JSON.parse(line) as { ProvisioningLatency?: number; requestId?: string };
        if (m.ProvisioningLatency !== undefined && m.requestId) finished.set(m.requestId, performance.now());
      },
    };
    defer(() => deps.provider().close());
    defer(() => deps.connections.closeAll());
    const preflight = await runPreflight({ config, data, provider: deps.provider() });
    if (!preflight.ok) throw new Error(`controller preflight failed: ${preflight.error?.message}`);
    const networkId = `${emu.address}000001`;

    let failure: string | undefined;
    let asn = 4_200_000_000;
    return {
      dir,
      sqs,
      queueUrl: created.queueUrl,
      data,
      config,
      deps,
      networkId,
      defer,
      stop,
      onOutcome(message, outcome) {
        const job = JSON.parse(message.body) as { kind: string; requestId?: string };
        if (
          job.kind === "provision" &&
          outcome.action === "ack" &&
          ["failed", "skipped"].includes(outcome.result)
        )
          failure = `request ${job.requestId} ended ${outcome.result}: ${outcome.reason}`;
      },
      async waitActive(ids, timeoutMs = 120_000) {
        const wanted = [...ids];
        const deadline = Date.now() + timeoutMs;
        while (wanted.some((id) => !finished.has(id))) {
          if (failure) throw new Error(failure);
          if (Date.now() > deadline) throw new Error(`requests not active within ${timeoutMs / 1000} s`);
          await new Promise((r) => setTimeout(r, 5));
        }
        return finished;
      },
      newPendingRequest() {
        asn += 1;
        return createRequest(
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
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
