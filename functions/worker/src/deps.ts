import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SecretStore } from "@ztix/aws";
import type { Logger, RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import type { ApplyHooks, PolicyDataCache, RouteServerConnections } from "@ztix/route-servers";
import type { ControllerProvider } from "@ztix/zerotier";
import type { RetryPolicy } from "./retry.ts";

/**
 * How many times SQS hands a job out before moving it to the DLQ: the very constant the
 * queue's redrive policy uses (infra, @ztix/local-stack), so the two cannot drift; the worker
 * fails the request on the last receive so nothing reaches the DLQ still `provisioning`.
 */
export { MAX_RECEIVE_COUNT } from "@ztix/core";

/** A named point in a job, for fault injection in tests (a crash between two writes). */
export type JobStep =
  | "gate"
  | "started"
  | "addresses"
  | "member_upserted"
  | "membership_saved"
  | "route_servers";

/** Everything the worker touches; built once per process (Lambda cold start, local poller, test). */
export interface WorkerDeps {
  config: RuntimeConfig;
  data: DataService;
  secrets: SecretStore;
  /** The controller provider; called once and reused (it keeps the SSH connection). */
  provider: () => ControllerProvider;
  /** The queue jobs come from: the worker puts reconciles there, and delays retries on it. */
  sqs: SQSClient;
  queueUrl: string;
  /** SSH connections to the route servers, kept across reconciles. */
  connections: RouteServerConnections;
  /** Route-server policy data kept across reconciles (re-read when its generation changes). */
  policyCache?: PolicyDataCache;
  log: Logger;
  now: () => Date;
  retry?: Partial<RetryPolicy>;
  maxReceiveCount?: number;
  /** Where EMF metric lines go (stdout by default; CloudWatch reads them from the log). */
  metricSink?: (line: string) => void;
  /** Test hook run after each step; throwing from it simulates a crash at that point. */
  afterStep?: (step: JobStep) => void | Promise<void>;
  /** Backoff of jobs that wait on a dependency (defaults: 5 s doubling to 5 min). */
  waitBackoff?: { baseMs: number; maxMs: number };
  /** Test seam into route-server applies (drop the connection, outlast BIRD's timer). */
  applyHooks?: ApplyHooks;
}

/** Wraps a provider factory so every job of the process shares one provider (and connection). */
export function sharedProvider(create: () => ControllerProvider): () => ControllerProvider {
  let provider: ControllerProvider | undefined;
  return () => {
    provider ??= create();
    return provider;
  };
}
