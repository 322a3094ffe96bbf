import { randomUUID } from "node:crypto";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import {
  CORRELATION_ATTRIBUTE,
  type CollectSessionsJob,
  collectSessionsJobSchema,
  type DeprovisionJob,
  deprovisionJobSchema,
  type InspectRequestJob,
  inspectGroupId,
  inspectRequestJobSchema,
  jobDeduplicationId,
  type LookingGlassJob,
  lookingGlassJobSchema,
  POLICY_DATA_GROUP,
  type PolicyDataJob,
  type ProvisioningJob,
  policyDataJobSchema,
  provisioningJobSchema,
  type ReconcileJob,
  reconcileGroupId,
  reconcileJobSchema,
  statusGroupId,
} from "@ztix/core";

async function send(
  sqs: SQSClient,
  queueUrl: string,
  body: { correlationId?: string },
  groupId: string,
  dedupId: string,
): Promise<string> {
  const out = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageGroupId: groupId,
      MessageDeduplicationId: dedupId,
      MessageAttributes: body.correlationId
        ? { [CORRELATION_ATTRIBUTE]: { DataType: "String", StringValue: body.correlationId } }
        : undefined,
    }),
  );
  return out.MessageId ?? "";
}

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
  // A job queued again after waiting is a new message of the same attempt (never deduplicated
  // against the one it replaces, which is still in flight when it is sent).
  const dedup = body.waits
    ? `${jobDeduplicationId(body)}-w${body.waits}-${randomUUID()}`
    : jobDeduplicationId(body);
  return send(sqs, queueUrl, body, body.requestId, dedup);
}

/**
 * Puts a deprovisioning job on the queue, in its request's group. `dedupKey` names this
 * send (e.g. the step that asked for it), so a repeated ask within SQS's window collapses.
 */
export async function enqueueDeprovisionJob(
  sqs: SQSClient,
  queueUrl: string,
  job: DeprovisionJob,
  dedupKey: string = randomUUID(),
): Promise<string> {
  const body = deprovisionJobSchema.parse(job);
  return send(
    sqs,
    queueUrl,
    body,
    body.requestId,
    `${body.requestId}-${body.purpose}-${dedupKey}`.slice(0, 128),
  );
}

/**
 * Asks for a reconcile of one route server, in its own message group (`rs:<id>`) so its
 * reconciles run one at a time. `dedupKey` lets callers that may repeat themselves (a
 * schedule, a redelivered job) coalesce within SQS's 5-minute window; without it every call
 * is its own message, and the reconciler coalesces by `requestedAt`.
 */
export async function enqueueReconcile(
  sqs: SQSClient,
  queueUrl: string,
  job: ReconcileJob,
  dedupKey: string = randomUUID(),
): Promise<string> {
  const body = reconcileJobSchema.parse(job);
  const group = reconcileGroupId(body.routeServerId);
  return send(sqs, queueUrl, body, group, `${group}:${dedupKey}`.slice(0, 128));
}

/**
 * Asks the worker to refresh per-member policy data (PeeringDB, IRR), in one message group so
 * refreshes never overlap (PeeringDB rate-limits per key; bgpq4 runs are heavy).
 */
export async function enqueuePolicyData(
  sqs: SQSClient,
  queueUrl: string,
  job: PolicyDataJob,
  dedupKey: string = randomUUID(),
): Promise<string> {
  const body = policyDataJobSchema.parse(job);
  return send(sqs, queueUrl, body, POLICY_DATA_GROUP, `${POLICY_DATA_GROUP}:${dedupKey}`.slice(0, 128));
}

/**
 * Asks the worker to check with the controller whether a request's node asked to join, in the
 * request's own inspect group (never queued behind its provisioning jobs). Each ask is its own
 * message (dedup by `requestedAt` and the watch count): asks are throttled by their callers.
 */
export async function enqueueInspectRequest(
  sqs: SQSClient,
  queueUrl: string,
  job: InspectRequestJob,
): Promise<string> {
  const body = inspectRequestJobSchema.parse(job);
  const group = inspectGroupId(body.requestId);
  return send(sqs, queueUrl, body, group, `${group}:${body.requestedAt}:w${body.watch ?? 0}`.slice(0, 128));
}

/**
 * Asks the worker to read one route server's BGP sessions, in the server's status group
 * (`rs-status:<id>`, apart from its reconciles). `dedupKey` lets a schedule's repeated runs
 * coalesce within SQS's window; without it every call is its own message.
 */
export async function enqueueCollectSessions(
  sqs: SQSClient,
  queueUrl: string,
  job: CollectSessionsJob,
  dedupKey: string = randomUUID(),
): Promise<string> {
  const body = collectSessionsJobSchema.parse(job);
  const group = statusGroupId(body.routeServerId);
  return send(sqs, queueUrl, body, group, `${group}:sessions:${dedupKey}`.slice(0, 128));
}

/** Queues one looking-glass query (deduplicated by its id) in its route server's status group. */
export async function enqueueLookingGlass(
  sqs: SQSClient,
  queueUrl: string,
  job: LookingGlassJob,
): Promise<string> {
  const body = lookingGlassJobSchema.parse(job);
  const group = statusGroupId(body.routeServerId);
  return send(sqs, queueUrl, body, group, `${group}:lg:${body.queryId}`.slice(0, 128));
}
