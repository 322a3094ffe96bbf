import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import { consumeBatch } from "./consume.ts";
import type { WorkerDeps } from "./deps.ts";
import { depsFromEnvironment } from "./env.ts";
import { fromLambdaRecord, type SqsEvent } from "./messages.ts";

let deps: WorkerDeps | undefined;

/**
 * Lambda entry for the provisioning queue (FIFO, partial batch responses): the ids it returns
 * go back to the queue for redelivery, the rest are deleted. A job that names its own retry
 * delay (a reconcile waiting out BIRD's undo window) gets it through the message's
 * visibility, so the wait costs no invocation.
 */
export async function handler(event: SqsEvent): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  deps ??= depsFromEnvironment();
  const active = deps;
  const failures = await consumeBatch(
    active,
    event.Records.map(fromLambdaRecord),
    async (message, outcome) => {
      if (outcome.retryAfterSeconds === undefined || !message.receiptHandle) return;
      await active.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: active.queueUrl,
            ReceiptHandle: message.receiptHandle,
            VisibilityTimeout: Math.min(outcome.retryAfterSeconds, 43_200),
          }),
        )
        .catch((e: unknown) => active.log.warn("could not delay the retry", { err: e }));
    },
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
