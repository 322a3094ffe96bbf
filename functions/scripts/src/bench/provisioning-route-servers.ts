/**
 * Approve → `active` latency with two route servers on loopback: the local stack (DynamoDB
 * Local + fauxqs), the controller emulator, and two BIRD daemons reached over a real sshd with
 * a pinned host key. Requests are approved through the workflow (which queues the job) and
 * run by the worker's local poller, one at a time, so the figure is the pipeline, not queueing.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { documentClient, dynamoClient, fileSecretStore, s3Client, sqsClient } from "@ztix/aws";
import { createLogger, runtimeConfigSchema } from "@ztix/core";
import { createRequest, createService, getRequest } from "@ztix/data";
import { bootstrapResources, startDynamoDbLocal, startFauxqsServer } from "@ztix/local-stack";
import { routeServerStates } from "@ztix/route-servers";
import { approveAndDispatch } from "@ztix/workflow";
import { createControllerProvider, runPreflight } from "@ztix/zerotier";
import { startControllerEmulator } from "@ztix/zerotier/emulator";
// Dev tooling reuses the route-server package's loopback fixtures (sshd + BIRD launchers).
import { protocolStates } from "../../../../packages/route-servers/test/support/bird.ts";
import {
  type RouteServerHost,
  startRouteServerHost,
} from "../../../../packages/route-servers/test/support/route-server-host.ts";
import { type SshdInstance, startSshd } from "../../../../packages/route-servers/test/support/sshd.ts";
import { sharedProvider, type WorkerDeps } from "../../../worker/src/deps.ts";
import type { QueueMessage } from "../../../worker/src/messages.ts";
import { type Poller, startPoller } from "../../../worker/src/poller.ts";
import type { JobOutcome } from "../../../worker/src/process-job.ts";
import { percentile } from "./_stats.ts";

const REQUESTS = 15;
const WARMUP = 1;
const ROUTE_SERVERS = ["rs-a", "rs-b"];
const REQUEST_TIMEOUT_MS = 60_000;

function missingTools(): string[] {
  const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
  return [
    ...["bird", "birdc", "ssh-keygen"].filter((c) => !has(c)),
    ...(existsSync("/usr/sbin/sshd") ? [] : ["/usr/sbin/sshd"]),
  ];
}

export async function run(): Promise<Record<string, unknown>> {
  const missing = missingTools();
  if (missing.length > 0) return { skipped: `needs ${missing.join(", ")} (not installed)` };

  // Everything started is registered here as it is made, so a failure half-way still cleans up.
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const dir = mkdtempSync(join(tmpdir(), "ztix-bench-prov-rs-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const [dynamo, fauxqs] = await Promise.all([startDynamoDbLocal(), startFauxqsServer()]);
    cleanups.push(() => Promise.all([dynamo.stop(), fauxqs.stop()]));
    const emu = await startControllerEmulator({ homeDir: join(dir, "controller"), token: "bench-token" });
    cleanups.push(() => emu.stop());
    mkdirSync(join(dir, "ssh"));
    const sshd: SshdInstance = await startSshd(join(dir, "ssh"));
    cleanups.push(() => sshd.stop());
    const hosts: RouteServerHost[] = [];
    cleanups.push(() => Promise.allSettled(hosts.map((h) => h.bird.stop())));
    for (const id of ROUTE_SERVERS) hosts.push(await startRouteServerHost({ baseDir: dir, id, ssh: sshd }));

    const endpoints = {
      mode: "local" as const,
      region: "us-east-1",
      dynamodb: dynamo.endpoint,
      sqs: fauxqs.endpoint,
      s3: fauxqs.endpoint,
    };
    const sqs = sqsClient(endpoints);
    const ddb = dynamoClient(endpoints);
    cleanups.push(() => {
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
    writeFileSync(
      secretsPath,
      JSON.stringify({ controller_token: emu.token, "rs-key": sshd.userPrivateKey }),
      {
        mode: 0o600,
      },
    );
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
      route_servers: hosts.map((h) => h.config),
      route_server_policy: { allow_documentation_resources: true },
    });
    const data = createService({ client: documentClient(ddb), table: names.tableName });
    const secrets = fileSecretStore(secretsPath);
    const log = createLogger({ level: "error", sink: () => undefined });
    const deps: WorkerDeps = {
      config,
      data,
      secrets,
      provider: sharedProvider(() => createControllerProvider(config.controller, secrets)),
      log,
      now: () => new Date(),
      metricSink: () => undefined,
    };
    cleanups.push(() => deps.provider().close());
    const preflight = await runPreflight({ config, data, provider: deps.provider() });
    if (!preflight.ok) throw new Error(`controller preflight failed: ${preflight.error?.message}`);
    const networkId = `${emu.address}000001`;
    const workflow = { config, data, sqs, queueUrl: created.queueUrl, log, now: () => new Date() };

    // Completion comes from the poller's outcomes, so the bench does not poll DynamoDB Local.
    const finished = new Map<string, number>();
    let failure: string | undefined;
    const onOutcome = (m: QueueMessage, o: JobOutcome) => {
      const requestId = (JSON.parse(m.body) as { requestId: string }).requestId;
      if (o.action === "ack" && o.result === "active") finished.set(requestId, performance.now());
      else if (o.action === "ack") failure = `request ${requestId} ended ${o.result}: ${o.reason}`;
    };
    const poller: Poller = startPoller({
      deps,
      sqs,
      queueUrl: created.queueUrl,
      waitTimeSeconds: 1,
      loops: 1,
      onOutcome,
    });
    cleanups.push(() => poller.stop());

    let asn = 4_200_000_000;
    const approveAndWait = async () => {
      asn += 1;
      const pending = await createRequest(
        data,
        {
          userId: "bench",
          asn,
          networkId,
          nodeId: `0b${(asn - 4_200_000_000).toString(16).padStart(8, "0")}`,
          correlationId: randomUUID(),
        },
        { actorType: "user", actorId: "bench" },
      );
      const at = performance.now();
      const { request, dispatch } = await approveAndDispatch(workflow, pending, {
        type: "admin",
        id: "bench",
      });
      if (!dispatch.enqueued) throw new Error(`the job was not queued: ${dispatch.error}`);
      const deadline = Date.now() + REQUEST_TIMEOUT_MS;
      while (!finished.has(request.requestId)) {
        if (failure) throw new Error(failure);
        if (Date.now() > deadline) throw new Error(`request ${request.requestId} not active within 60 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const final = await getRequest(data, request.requestId);
      const syncs = await routeServerStates(data, request.requestId);
      if (syncs.length !== ROUTE_SERVERS.length || syncs.some((s) => s.state !== "in_sync"))
        throw new Error(`request ${request.requestId} active without every route server in sync`);
      return {
        wallMs: finished.get(request.requestId)! - at,
        recordedMs: Date.parse(final!.activeAt!) - Date.parse(final!.approvedAt!),
      };
    };

    // The first job opens both SSH paths and warms the lease items; it is not counted.
    for (let i = 0; i < WARMUP; i++) await approveAndWait();
    const wall: number[] = [];
    const recorded: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const r = await approveAndWait();
      wall.push(r.wallMs);
      recorded.push(r.recordedMs);
    }
    wall.sort((a, b) => a - b);
    recorded.sort((a, b) => a - b);

    // Each BIRD must now run the sessions of every member provisioned here (two per member).
    const sessions: Record<string, number> = {};
    for (const h of hosts) {
      sessions[h.config.id] = [...(await protocolStates(h.bird.socket)).keys()].filter((n) =>
        n.startsWith("m_as"),
      ).length;
    }
    return {
      route_servers: ROUTE_SERVERS.length,
      transport: "ssh (OpenSSH on loopback, pinned host key) → birdc",
      approve_to_active_ms: {
        requests: REQUESTS,
        warmup_excluded: WARMUP,
        p50: Math.round(percentile(wall, 50)),
        p95: Math.round(percentile(wall, 95)),
        max: Math.round(wall[wall.length - 1]!),
        p50_recorded: percentile(recorded, 50),
        p95_recorded: percentile(recorded, 95),
      },
      member_sessions_per_route_server: sessions,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the remaining cleanups (processes, temp dir) must still run.
      }
    }
  }
}
