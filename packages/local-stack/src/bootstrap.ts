import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { DLQ_RETENTION_SECONDS, MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_TIMEOUT_SECONDS } from "@ztix/core";
import { ensureTable } from "@ztix/data";

export interface ResourceNames {
  tableName: string;
  queueName: string;
  dlqName: string;
  bucketName: string;
}

export const defaultResourceNames: ResourceNames = {
  tableName: "ztix",
  queueName: "ztix-provisioning.fifo",
  dlqName: "ztix-provisioning-dlq.fifo",
  bucketName: "ztix-controller-backups",
};

// The queue settings live in @ztix/core so the SST infra uses the same numbers; re-exported
// here for callers that imported them from this package.
export { MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_TIMEOUT_SECONDS };

/**
 * Creates the table, the FIFO queue with its FIFO DLQ and the backup bucket through the AWS
 * SDK, so the same code bootstraps the embedded stack and LocalStack. Idempotent.
 */
export async function bootstrapResources(
  clients: { dynamo: DynamoDBClient; sqs: SQSClient; s3: S3Client },
  names: ResourceNames = defaultResourceNames,
) {
  await ensureTable(clients.dynamo, names.tableName);
  const dlq = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: names.dlqName,
      Attributes: { FifoQueue: "true", MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
    }),
  );
  const dlqAttrs = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ["QueueArn"] }),
  );
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: names.queueName,
      Attributes: {
        FifoQueue: "true",
        ContentBasedDeduplication: "false",
        VisibilityTimeout: String(QUEUE_VISIBILITY_TIMEOUT_SECONDS),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqAttrs.Attributes!.QueueArn,
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      },
    }),
  );
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: names.bucketName }));
  } catch {
    await clients.s3.send(new CreateBucketCommand({ Bucket: names.bucketName }));
    await clients.s3
      .send(
        new PutBucketVersioningCommand({
          Bucket: names.bucketName,
          VersioningConfiguration: { Status: "Enabled" },
        }),
      )
      .catch(() => undefined); // not every emulator supports versioning; AWS gets it from infra
  }
  return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl!, ...names };
}
