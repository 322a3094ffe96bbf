import {
  DLQ_RETENTION_SECONDS,
  MAX_RECEIVE_COUNT,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS,
  WORKER_TIMEOUT_SECONDS,
} from "@ztix/core";

/** The DLQ handler's timeout; the DLQ's visibility timeout must exceed it. */
export const DLQ_HANDLER_TIMEOUT_SECONDS = 30;

if (QUEUE_VISIBILITY_TIMEOUT_SECONDS <= WORKER_TIMEOUT_SECONDS) {
  throw new Error("the queue's visibility timeout must exceed the worker's timeout");
}

/**
 * The provisioning FIFO queue and its FIFO DLQ. Deduplication is explicit (the API sets
 * MessageDeduplicationId = request id + attempt), so content-based dedup stays off. An alarm
 * tells operators when jobs are dead-lettered, through the OpsAlerts topic.
 */
export function createQueues() {
  const dlq = new sst.aws.Queue("ProvisioningDlq", {
    fifo: true,
    visibilityTimeout: `${DLQ_HANDLER_TIMEOUT_SECONDS * 2} seconds`,
    transform: { queue: { messageRetentionSeconds: DLQ_RETENTION_SECONDS } },
  });
  const queue = new sst.aws.Queue("ProvisioningQueue", {
    fifo: { contentBasedDeduplication: false },
    visibilityTimeout: `${QUEUE_VISIBILITY_TIMEOUT_SECONDS} seconds`,
    dlq: { queue: dlq.arn, retry: MAX_RECEIVE_COUNT },
  });

  const alerts = new sst.aws.SnsTopic("OpsAlerts");
  const dlqAlarm = new aws.cloudwatch.MetricAlarm("ProvisioningDlqAlarm", {
    alarmDescription:
      "Provisioning jobs are waiting in the dead-letter queue: see docs/runbook.md, 'Messages in the DLQ'",
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: dlq.nodes.queue.name },
    statistic: "Maximum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [alerts.arn],
    okActions: [alerts.arn],
  });

  // The DLQ handler consumes dead-lettered jobs within seconds, so depth alone can miss them:
  // also page when the DLQ received anything at all (a job failed MAX_RECEIVE_COUNT times).
  new aws.cloudwatch.MetricAlarm("ProvisioningDeadLetteredAlarm", {
    alarmDescription: "A provisioning job was dead-lettered: see docs/runbook.md, 'Messages in the DLQ'",
    namespace: "AWS/SQS",
    metricName: "NumberOfMessagesReceived",
    dimensions: { QueueName: dlq.nodes.queue.name },
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [alerts.arn],
  });

  return { queue, dlq, alerts, dlqAlarm };
}

export type Queues = ReturnType<typeof createQueues>;
