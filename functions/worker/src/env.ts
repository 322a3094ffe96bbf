import {
  documentClient,
  dynamoClient,
  linkedResources,
  loadRuntimeConfig,
  secretStoreFor,
  secretsManagerClient,
  sqsClient,
} from "@ztix/aws";
import { createLogger } from "@ztix/core";
import { createService } from "@ztix/data";
import { PolicyDataCache, RouteServerConnections } from "@ztix/route-servers";
import { createControllerProvider } from "@ztix/zerotier";
import { sharedProvider, type WorkerDeps } from "./deps.ts";

/** Worker deps from the environment: SST links (or SST_RESOURCE_* locally) and runtime config. */
export function depsFromEnvironment(overrides: Partial<WorkerDeps> = {}): WorkerDeps {
  const resources = linkedResources();
  const config = overrides.config ?? loadRuntimeConfig();
  const secrets = overrides.secrets ?? secretStoreFor(resources.secrets, () => secretsManagerClient());
  return {
    config,
    data: createService({ client: documentClient(dynamoClient()), table: resources.tableName }),
    secrets,
    provider: sharedProvider(() => createControllerProvider(config.controller, secrets)),
    sqs: sqsClient(),
    get queueUrl() {
      return resources.queueUrl;
    },
    connections: new RouteServerConnections(secrets),
    policyCache: new PolicyDataCache(),
    log: createLogger({ base: { component: "worker" } }),
    now: () => new Date(),
    ...overrides,
  };
}
