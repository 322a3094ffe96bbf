import { consumeBatch } from "./consume.ts";
import type { WorkerDeps } from "./deps.ts";
import { depsFromEnvironment } from "./env.ts";
import { fromLambdaRecord, type SqsEvent } from "./messages.ts";

let deps: WorkerDeps | undefined;

/**
 * Lambda entry for the provisioning queue (FIFO, partial batch responses): the ids it
 * returns go back to the queue for redelivery, the rest are deleted.
 */
export async function handler(event: SqsEvent): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  deps ??= depsFromEnvironment();
  const failures = await consumeBatch(deps, event.Records.map(fromLambdaRecord));
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
