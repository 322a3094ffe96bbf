import type { WorkerDeps } from "./deps.ts";
import { handleDeadLetter } from "./dlq.ts";
import { depsFromEnvironment } from "./env.ts";
import { fromLambdaRecord, type SqsEvent } from "./messages.ts";

let deps: WorkerDeps | undefined;

/** Lambda entry for the provisioning DLQ: marks each dead job's request `failed`. */
export async function handler(event: SqsEvent): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  deps ??= depsFromEnvironment();
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      await handleDeadLetter(deps, fromLambdaRecord(record));
    } catch (e) {
      deps.log.error("dead letter handling failed", { messageId: record.messageId, err: e });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
