import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import {
  CORRELATION_ATTRIBUTE,
  jobDeduplicationId,
  type ProvisioningJob,
  provisioningJobSchema,
} from "@ztix/core";

/**
 * Puts a provisioning job on the FIFO queue: one message group per request (its jobs run in
 * order, never concurrently) and one dedup id per attempt (a repeated send is dropped by SQS).
 */
export async function enqueueProvisioningJob(
  sqs: SQSClient,
  queueUrl: string,
  job: ProvisioningJob,
): Promise<string> {
  const body = provisioningJobSchema.parse(job);
  const out = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageGroupId: body.requestId,
      MessageDeduplicationId: jobDeduplicationId(body),
      MessageAttributes: body.correlationId
        ? { [CORRELATION_ATTRIBUTE]: { DataType: "String", StringValue: body.correlationId } }
        : undefined,
    }),
  );
  return out.MessageId ?? "";
}
