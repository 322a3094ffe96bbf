import { fileSecretStore } from "@ztix/aws";
import { createLogger, type RuntimeConfig } from "@ztix/core";
import { RouteServerConnections } from "@ztix/route-servers";
import type { TestStack } from "../../../../test/support/stack.ts";
import type { WorkerDeps } from "../../src/deps.ts";

/**
 * The worker's dependencies on a test stack, for jobs that never talk to the controller
 * (route-server status, policy data): asking for the controller throws. `ZTIX_TEST_LOG=1`
 * shows the worker's log.
 */
export function depsWithoutController(
  stack: TestStack,
  config: RuntimeConfig,
  overrides: Partial<WorkerDeps> = {},
): WorkerDeps {
  const secrets = fileSecretStore(stack.secretsPath);
  return {
    config,
    data: stack.data,
    secrets,
    provider: () => {
      throw new Error("no controller in this test");
    },
    sqs: stack.sqs,
    queueUrl: stack.queueUrl,
    connections: new RouteServerConnections(secrets),
    log: process.env.ZTIX_TEST_LOG
      ? createLogger({ level: "info" })
      : createLogger({ level: "error", sink: () => undefined }),
    now: () => new Date(),
    ...overrides,
  };
}
