import {
  documentClient,
  dynamoClient,
  linkedResources,
  loadRuntimeConfig,
  s3Client,
  secretStoreFor,
  secretsManagerClient,
} from "@ztix/aws";
import { createLogger } from "@ztix/core";
import { createService } from "@ztix/data";
import { createBackup, createControllerHost } from "@ztix/zerotier";

/**
 * Lambda entry for the daily controller backup (an infra cron): archive the controller's
 * state over SSH to the backup bucket and prune to `backups.keep`. The same work as
 * `npm run controller -- backup`.
 */
export async function handler(): Promise<{ key: string; sha256: string; pruned: string[] }> {
  const log = createLogger({ base: { component: "controller-backup" } });
  const resources = linkedResources();
  const config = loadRuntimeConfig();
  const secrets = secretStoreFor(resources.secrets, () => secretsManagerClient());
  const host = createControllerHost(config.controller, secrets);
  try {
    const backup = await createBackup({
      config,
      data: createService({ client: documentClient(dynamoClient()), table: resources.tableName }),
      s3: s3Client(),
      bucket: resources.bucketName,
      stage: resources.stage,
      host,
      log,
    });
    log.info("controller backup written", {
      key: backup.key,
      size: backup.size,
      pruned: backup.pruned.length,
    });
    return { key: backup.key, sha256: backup.sha256, pruned: backup.pruned };
  } finally {
    await host.close();
  }
}
