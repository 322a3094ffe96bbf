import { CORRELATION_ATTRIBUTE, type QueueJob, queueJobSchema } from "@ztix/core";

/** The parts of an SQS message the worker reads, whether it came from Lambda or ReceiveMessage. */
export interface QueueMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  groupId?: string;
  correlationId?: string;
  /** Lets the consumer move the message's next delivery (ChangeMessageVisibility). */
  receiptHandle?: string;
}

export type ParsedMessage = { ok: true; job: QueueJob } | { ok: false; error: string };

/** Parses a job body (provisioning or reconcile); the correlation id attribute fills in when the body lacks one. */
export function parseJob(message: QueueMessage): ParsedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(message.body);
  } catch {
    return { ok: false, error: "body is not JSON" };
  }
  const out = queueJobSchema.safeParse(raw);
  if (!out.success)
    return { ok: false, error: out.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  return { ok: true, job: { ...out.data, correlationId: out.data.correlationId ?? message.correlationId } };
}

/** Lambda's SQS record shape (only the fields used here). */
export interface SqsRecord {
  messageId: string;
  receiptHandle?: string;
  body: string;
  attributes: { ApproximateReceiveCount?: string; MessageGroupId?: string };
  messageAttributes?: Record<string, { stringValue?: string }>;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

export function fromLambdaRecord(record: SqsRecord): QueueMessage {
  return {
    messageId: record.messageId,
    ...(record.receiptHandle ? { receiptHandle: record.receiptHandle } : {}),
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount ?? "1"),
    groupId: record.attributes.MessageGroupId,
    correlationId: record.messageAttributes?.[CORRELATION_ATTRIBUTE]?.stringValue,
  };
}
