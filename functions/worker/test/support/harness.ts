import { randomUUID } from "node:crypto";
import { enqueueProvisioningJob, fileSecretStore } from "@ztix/aws";
import { createLogger, type RuntimeConfig } from "@ztix/core";
import { createRequest, getRequest, type JoinRequestItem, transitionRequest } from "@ztix/data";
import { waitFor } from "@ztix/local-stack";
import { PolicyDataCache, RouteServerConnections } from "@ztix/route-servers";
import { createControllerProvider } from "@ztix/zerotier";
import { type ControllerEmulator, freshEmulator } from "@ztix/zerotier-emulator";
import { controllerTestConfig } from "../../../../packages/zerotier/test/support/config.ts";
import { type TestStack, testStack } from "../../../../test/support/stack.ts";
import { sharedProvider, type WorkerDeps } from "../../src/deps.ts";

export interface Harness {
  emu: ControllerEmulator;
  stack: TestStack;
  config: RuntimeConfig;
  deps: WorkerDeps;
  metrics: string[];
  /** The worker's latest log lines (info and up), for a failing test to show what happened. */
  recentLogs: string[];
  networkId: string;
  stop(): Promise<void>;
}

/** Emulator + private table/queue + worker deps with fast retries. */
export async function workerHarness(
  configOverrides: Parameters<typeof controllerTestConfig>[1] = {},
  options: { dynamodbEndpoint?: string } = {},
): Promise<Harness> {
  const emu = await freshEmulator({ token: "worker-test-token" });
  const stack = await testStack({ secrets: { controller_token: emu.token }, ...options });
  const config = controllerTestConfig(emu, configOverrides);
  const secrets = fileSecretStore(stack.secretsPath);
  const metrics: string[] = [];
  const recentLogs: string[] = [];
  const remember = (line: string) => {
    recentLogs.push(line.length > 600 ? `${line.slice(0, 600)}…` : line);
    if (recentLogs.length > 200) recentLogs.splice(0, recentLogs.length - 200);
  };
  const provider = sharedProvider(() => createControllerProvider(config.controller, secrets));
  const deps: WorkerDeps = {
    config,
    data: stack.data,
    secrets,
    provider,
    sqs: stack.sqs,
    queueUrl: stack.queueUrl,
    connections: new RouteServerConnections(secrets),
    policyCache: new PolicyDataCache(),
    log: process.env.ZTIX_TEST_LOG
      ? createLogger({
          level: (process.env.ZTIX_TEST_LOG as "debug" | "info") === "debug" ? "debug" : "info",
        })
      : createLogger({ level: "info", sink: remember }),
    now: () => new Date(),
    retry: { attempts: 3, baseDelayMs: 2, maxDelayMs: 10 },
    // Jobs that wait come back quickly: a dependency brought back is seen within seconds.
    waitBackoff: { baseMs: 300, maxMs: 2000 },
    metricSink: (line) => metrics.push(line),
  };
  const harness: Harness = {
    emu,
    stack,
    config,
    deps,
    metrics,
    recentLogs,
    networkId: `${emu.address}${config.networks[0]!.suffix}`,
    async stop() {
      await deps.connections.closeAll();
      await provider().close();
      // The emulator running now: a test may have replaced the first one (an outage).
      await harness.emu.stop();
    },
  };
  return harness;
}

let nodeCounter = 0;
/** A distinct valid node id per call within a test file. */
export function nextNodeId(): string {
  nodeCounter += 1;
  return `0d${(Date.now() % 1e6).toString(16).padStart(5, "0")}${nodeCounter.toString(16).padStart(3, "0")}`.slice(
    0,
    10,
  );
}

/** pending → approved (attempt 1), as the API does it; optionally enqueued like the API. */
export async function approvedRequest(
  h: Harness,
  options: { asn?: number; nodeId?: string; networkId?: string; enqueue?: boolean } = {},
): Promise<JoinRequestItem> {
  const created = await createRequest(
    h.stack.data,
    {
      userId: "user-1",
      asn: options.asn ?? 64500,
      networkId: options.networkId ?? h.networkId,
      nodeId: options.nodeId ?? nextNodeId(),
      correlationId: randomUUID(),
    },
    { actorType: "user", actorId: "user-1" },
  );
  const now = new Date();
  const approved = await transitionRequest(h.stack.data, created, "approve", {
    set: { attempt: 1, approvedAt: now.toISOString(), decidedBy: "admin-1", decidedAt: now.toISOString() },
    audit: { actorType: "admin", actorId: "admin-1" },
    now,
  });
  if (options.enqueue) {
    await enqueueProvisioningJob(h.stack.sqs, h.stack.queueUrl, {
      kind: "provision",
      requestId: approved.requestId,
      attempt: 1,
      correlationId: approved.correlationId,
    });
  }
  return approved;
}

export const jobFor = (r: JoinRequestItem) => ({
  kind: "provision" as const,
  requestId: r.requestId,
  attempt: r.attempt,
  correlationId: r.correlationId,
});

/**
 * Waits until the request reaches one of `statuses`. On a timeout the error shows where the
 * request stands and the worker's latest log lines, so a failure on CI explains itself.
 */
export async function waitForStatus(h: Harness, requestId: string, statuses: string[], timeoutMs = 20_000) {
  try {
    await waitFor(
      async () => statuses.includes((await getRequest(h.stack.data, requestId))?.status ?? ""),
      timeoutMs,
      `request ${statuses.join("/")}`,
    );
  } catch (e) {
    const now = await getRequest(h.stack.data, requestId).catch((r: unknown) => `unreadable: ${r}`);
    const { status, waitingOn, waitingReason, lastErrorCode, waitToken } = (now ??
      {}) as Partial<JoinRequestItem>;
    const where =
      typeof now === "string"
        ? now
        : JSON.stringify({ status, waitingOn, waitingReason, lastErrorCode, waitToken });
    throw new Error(
      `${(e as Error).message}; request ${requestId} is ${where}\n${h.recentLogs.slice(-40).join("\n")}`,
    );
  }
  return (await getRequest(h.stack.data, requestId))!;
}

export async function allocationsOf(h: Harness, asn: number, nodeId: string) {
  const out = await h.stack.data.entities.addressAllocation.query
    .byNetwork({ networkId: h.networkId })
    .go({ pages: "all" });
  return out.data.filter((a) => a.asn === asn && a.nodeId === nodeId);
}
