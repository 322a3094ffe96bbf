import type { enqueueProvisioningJob } from "@ztix/aws";
import type { Logger, RuntimeConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";

/** The SQS client type @ztix/aws works with (taken from it, so both always agree). */
export type SqsClient = Parameters<typeof enqueueProvisioningJob>[0];

/**
 * What the workflow services touch. The API's AppDeps and the sweeper's own deps both
 * satisfy it, so one code path serves HTTP, cron and the hand-run script.
 */
export interface WorkflowDeps {
  config: RuntimeConfig;
  data: DataService;
  sqs: SqsClient;
  queueUrl: string;
  log: Logger;
  now: () => Date;
}

/** Who acts: an operator (user), an admin, or the system (policy, sweeper). */
export type Actor =
  | { type: "user"; id: string }
  | { type: "admin"; id: string }
  | { type: "system"; id: string };

export const systemActor = (id: string): Actor => ({ type: "system", id });

/** The audit fields naming an actor. */
export function actorFields(actor: Actor) {
  return { actorType: actor.type, actorId: actor.id };
}
