import { RECONCILE_SCHEDULE_MINUTES } from "@ztix/core";
import type { Network } from "./network.ts";
import type { Queues } from "./queue.ts";
import type { Secrets } from "./secrets.ts";
import type { Storage } from "./storage.ts";

export const SWEEPER_HANDLER = "functions/worker/src/sweeper-handler.handler";
export const BACKUP_HANDLER = "functions/worker/src/backup-handler.handler";
export const RECONCILE_SCHEDULE_HANDLER = "functions/worker/src/reconcile-schedule-handler.handler";
/** Often enough that a lost enqueue costs minutes; the sweeper itself waits `stuck_after_minutes`. */
export const SWEEPER_SCHEDULE = "rate(5 minutes)";
/** Every route server is reconciled at least this often (drift, policy changes, lost triggers). */
export const RECONCILE_SCHEDULE = `rate(${RECONCILE_SCHEDULE_MINUTES} minutes)`;
/** Daily at 03:17 UTC, off the hour when scheduled jobs bunch up. */
export const BACKUP_SCHEDULE = "cron(17 3 * * ? *)";

/**
 * Scheduled jobs: the sweeper re-enqueues requests stuck in approved/provisioning; the
 * reconcile schedule repairs the desired route-server state and queues a reconcile of every
 * route server (the reconciles themselves run in the VPC worker); the daily backup copies the
 * controller's state to the backup bucket over SSH (hence the VPC).
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
  const reconcileSchedule = new sst.aws.Function("ReconcileSchedule", {
    ...options.defaults,
    handler: RECONCILE_SCHEDULE_HANDLER,
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
  const reconcileCron = new sst.aws.CronV2("ReconcileScheduleCron", {
    function: reconcileSchedule,
    schedule: RECONCILE_SCHEDULE,
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
  return { sweeper, backup, reconcileSchedule, sweeperCron, reconcileCron, backupCron };
}
