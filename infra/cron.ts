import type { Network } from "./network.ts";
import type { Queues } from "./queue.ts";
import type { Secrets } from "./secrets.ts";
import type { Storage } from "./storage.ts";

export const SWEEPER_HANDLER = "functions/worker/src/sweeper-handler.handler";
export const BACKUP_HANDLER = "functions/worker/src/backup-handler.handler";
/** Often enough that a lost enqueue costs minutes; the sweeper itself waits `stuck_after_minutes`. */
export const SWEEPER_SCHEDULE = "rate(5 minutes)";
/** Daily at 03:17 UTC, off the hour when scheduled jobs bunch up. */
export const BACKUP_SCHEDULE = "cron(17 3 * * ? *)";

/**
 * Scheduled jobs: the sweeper re-enqueues requests stuck in approved/provisioning, and the
 * daily backup copies the controller's state to the backup bucket over SSH (hence the VPC).
 */
export function createCrons(options: {
  defaults: Partial<sst.aws.FunctionArgs>;
  network: Network;
  storage: Storage;
  queues: Queues;
  secrets: Secrets;
}) {
  const { storage, queues, secrets } = options;
  const sweeper = new sst.aws.Function("Sweeper", {
    ...options.defaults,
    handler: SWEEPER_HANDLER,
    timeout: "60 seconds",
    link: [storage.table, queues.queue],
  });
  const backup = new sst.aws.Function("ControllerBackup", {
    ...options.defaults,
    handler: BACKUP_HANDLER,
    timeout: "300 seconds",
    vpc: options.network.vpc,
    link: [storage.table, storage.bucket, secrets.link],
  });
  const sweeperCron = new sst.aws.CronV2("SweeperCron", {
    function: sweeper,
    schedule: SWEEPER_SCHEDULE,
    timezone: "UTC",
  });
  const backupCron = new sst.aws.CronV2("ControllerBackupCron", {
    function: backup,
    schedule: BACKUP_SCHEDULE,
    timezone: "UTC",
    retries: 2,
  });
  // A missed backup is silent otherwise: page on any failed run.
  new aws.cloudwatch.MetricAlarm("ControllerBackupErrorsAlarm", {
    alarmDescription: "The daily controller backup failed: see docs/runbook.md, 'Controller backups'",
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: backup.name },
    statistic: "Sum",
    period: 86_400,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [queues.alerts.arn],
  });
  return { sweeper, backup, sweeperCron, backupCron };
}
