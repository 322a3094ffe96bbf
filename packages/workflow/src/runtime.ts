import { documentClient, dynamoClient, linkedResources, loadRuntimeConfig, sqsClient } from "@ztix/aws";
import { createLogger, type RuntimeConfig } from "@ztix/core";
import { createService } from "@ztix/data";
import type { WorkflowDeps } from "./deps.ts";

/**
 * Workflow deps from the environment (SST links or SST_RESOURCE_* set by the local launcher,
 * runtime config from ZTIX_RUNTIME_CONFIG or ./runtime-config.yaml): what the sweeper's cron
 * Lambda and `npm run sweeper` run with.
 */
export function workflowDepsFromEnvironment(
  overrides: { config?: RuntimeConfig; service?: string } = {},
): WorkflowDeps {
  const resources = linkedResources();
  const config = overrides.config ?? loadRuntimeConfig();
  return {
    config,
    data: createService({ client: documentClient(dynamoClient()), table: resources.tableName }),
    sqs: sqsClient(),
    queueUrl: resources.queueUrl,
    log: createLogger({ base: { service: overrides.service ?? "sweeper", stage: resources.stage } }),
    now: () => new Date(),
  };
}
