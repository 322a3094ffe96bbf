import { z } from "zod";

/**
 * The provisioning job on the SQS FIFO queue. MessageGroupId = requestId (jobs of one request
 * never run concurrently); MessageDeduplicationId = `${requestId}-${attempt}`.
 */
/** How a job that waits on a dependency is tried again (FIFO queues have no per-message delay). */
const waitFields = {
  /** How many times this job already had to wait (its backoff grows with it). */
  waits: z.number().int().min(0).max(10_000).optional(),
  /** Not to be tried before this instant. */
  notBefore: z.iso.datetime().optional(),
  /**
   * Names one chain of waiting copies. The request (or route server) records the newest one;
   * a copy whose token is not the recorded one was superseded (a resume, a sweep) and ends.
   */
  waitToken: z.string().min(1).max(64).optional(),
};

export const provisioningJobSchema = z.strictObject({
  kind: z.literal("provision"),
  requestId: z.string().uuid(),
  attempt: z.number().int().min(1),
  correlationId: z.string().min(1).optional(),
  ...waitFields,
});
export type ProvisioningJob = z.infer<typeof provisioningJobSchema>;

/**
 * Ends a membership (left, removed) or gives back what a long-failed request held: off the
 * route servers, off the controller, addresses released. MessageGroupId = requestId.
 */
export const deprovisionJobSchema = z.strictObject({
  kind: z.literal("deprovision"),
  requestId: z.string().uuid(),
  /** `removal`: the request is deprovisioning; `release`: it stayed failed past the grace period. */
  purpose: z.enum(["removal", "release"]),
  correlationId: z.string().min(1).optional(),
  ...waitFields,
});
export type DeprovisionJob = z.infer<typeof deprovisionJobSchema>;

/** What asked for a reconcile (logged and audited; the reconcile itself never trusts it). */
export const reconcileReasons = ["member_change", "schedule", "admin", "cli", "retry", "startup"] as const;
export type ReconcileReason = (typeof reconcileReasons)[number];

/**
 * Converge one route server to the desired state in DynamoDB. MessageGroupId = `rs:<id>`, so
 * two reconciles of one route server never run at once. `requestedAt` lets a reconcile that
 * arrives after another one already read newer desired state end at once (coalescing).
 */
export const reconcileJobSchema = z.strictObject({
  kind: z.literal("reconcile"),
  routeServerId: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  reason: z.enum(reconcileReasons),
  requestedAt: z.iso.datetime(),
  correlationId: z.string().min(1).optional(),
  ...waitFields,
});
export type ReconcileJob = z.infer<typeof reconcileJobSchema>;

export const queueJobSchema = z.discriminatedUnion("kind", [
  provisioningJobSchema,
  deprovisionJobSchema,
  reconcileJobSchema,
]);
export type QueueJob = z.infer<typeof queueJobSchema>;

/** Message attribute carrying the request's correlation id through SQS. */
export const CORRELATION_ATTRIBUTE = "correlationId";

export function jobDeduplicationId(job: Pick<ProvisioningJob, "requestId" | "attempt">): string {
  return `${job.requestId}-${job.attempt}`;
}

/** The FIFO message group of a route server's reconciles. */
export function reconcileGroupId(routeServerId: string): string {
  return `rs:${routeServerId}`;
}
