import {
  documentClient,
  dynamoClient,
  linkedResources,
  loadRuntimeConfig,
  secretStoreFor,
  secretsManagerClient,
  sqsClient,
} from "@ztix/aws";
import { createLogger, type RuntimeConfig } from "@ztix/core";
import { createService } from "@ztix/data";
import type { AppDeps } from "./env.ts";

/**
 * Builds the app's dependencies from the environment: linked resources (SST or the local
 * launcher), runtime config (fails fast, naming the bad field), and AWS clients.
 */
export function depsFromEnvironment(overrides: { config?: RuntimeConfig } = {}): AppDeps {
  const resources = linkedResources();
  const config = overrides.config ?? loadRuntimeConfig();
  const dynamo = dynamoClient();
  return {
    config,
    dynamo,
    data: createService({ client: documentClient(dynamo), table: resources.tableName }),
    tableName: resources.tableName,
    sqs: sqsClient(),
    queueUrl: resources.queueUrl,
    secrets: secretStoreFor(resources.secrets, () => secretsManagerClient()),
    log: createLogger({ base: { service: "api", stage: resources.stage } }),
    now: () => new Date(),
  };
}
