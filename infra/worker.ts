import { WORKER_TIMEOUT_SECONDS } from "@ztix/core";
import type { Network } from "./network.ts";
import { DLQ_HANDLER_TIMEOUT_SECONDS, type Queues } from "./queue.ts";
import type { Secrets } from "./secrets.ts";
import type { Storage } from "./storage.ts";

export const WORKER_HANDLER = "functions/worker/src/handler.handler";
export const DLQ_HANDLER = "functions/worker/src/dlq-handler.handler";

/**
 * The provisioning worker: in the VPC's private subnets (SSH to the controller and route
 * servers through NAT), one job per invocation so a FIFO group is never blocked by a sibling,
 * with partial batch responses so a failed job is retried alone. The DLQ handler records
 * dead-lettered jobs against their requests.
 */
export function createWorker(options: {
  defaults: Partial<sst.aws.FunctionArgs>;
  network: Network;
  storage: Storage;
  queues: Queues;
  secrets: Secrets;
}) {
  const { storage, queues, secrets } = options;
  const worker = new sst.aws.Function("Worker", {
    ...options.defaults,
    handler: WORKER_HANDLER,
    timeout: `${WORKER_TIMEOUT_SECONDS} seconds`,
    // Lambda CPU scales with memory; SSH key exchanges to every route server are CPU-bound.
    memory: "1024 MB",
    vpc: options.network.vpc,
    link: [storage.table, queues.queue, queues.dlq, storage.bucket, secrets.link],
  });
  queues.queue.subscribe(worker.arn, { batch: { size: 1, partialResponses: true } });

  const dlqHandler = new sst.aws.Function("DlqHandler", {
    ...options.defaults,
    handler: DLQ_HANDLER,
    timeout: `${DLQ_HANDLER_TIMEOUT_SECONDS} seconds`,
    // It builds the worker's dependencies (functions/worker/src/env.ts), secrets store included.
    link: [storage.table, queues.queue, queues.dlq, secrets.link],
  });
  queues.dlq.subscribe(dlqHandler.arn, { batch: { size: 1, partialResponses: true } });

  // A DLQ handler that keeps failing leaves jobs in the DLQ; tell operators about it too.
  new aws.cloudwatch.MetricAlarm("DlqHandlerErrorsAlarm", {
    alarmDescription: "The DLQ handler is failing: see docs/runbook.md, 'Messages in the DLQ'",
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: dlqHandler.name },
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [queues.alerts.arn],
  });

  return { worker, dlqHandler };
}
