import type { SQSClient } from "@aws-sdk/client-sqs";
import { linkedResources, sqsClient } from "@ztix/aws";
import type { RuntimeConfig } from "@ztix/core";
import { depsFromEnvironment } from "./env.ts";
import { type Poller, startPoller } from "./poller.ts";

/**
 * The worker for `npm run dev`: deps from the environment the launcher prepared
 * (SST_RESOURCE_*, ZTIX_*_ENDPOINT, ZTIX_RUNTIME_CONFIG), polling the local FIFO queue and
 * its DLQ. Jobs left for redelivery come back after 15 s rather than the queue's 6 minutes.
 */
export function startLocalWorker(options: { config?: RuntimeConfig; sqs?: SQSClient } = {}): Poller {
  const resources = linkedResources();
  const deps = depsFromEnvironment(options.config ? { config: options.config } : {});
  const poller = startPoller({
    deps,
    sqs: options.sqs ?? sqsClient(),
    queueUrl: resources.queueUrl,
    dlqUrl: resources.dlqUrl,
    waitTimeSeconds: 5,
    retryVisibilitySeconds: 15,
  });
  return {
    async stop() {
      await poller.stop();
      await deps.provider().close();
      await deps.connections.closeAll();
    },
  };
}
