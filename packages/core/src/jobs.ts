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
export const reconcileReasons = [
  "member_change",
  "policy_data",
  "schedule",
  "admin",
  "cli",
  "retry",
  "startup",
] as const;
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

/**
 * Refresh the route servers' per-member data (PeeringDB records, the never-via list, IRR
 * prefix lists): `due` reads what the schedule says is due, `asn` one network now (a new
 * request, an admin's "refresh"). MessageGroupId = `policy-data`: one refresh at a time.
 */
export const policyDataJobSchema = z.strictObject({
  kind: z.literal("policy_data"),
  scope: z.enum(["due", "asn"]),
  asn: z.number().int().min(1).max(4_294_967_295).optional(),
  /** `asn` scope: also rebuild the ASN's IRR lists even when they are not due. */
  irr: z.boolean().optional(),
  requestedAt: z.iso.datetime(),
  correlationId: z.string().min(1).optional(),
});
export type PolicyDataJob = z.infer<typeof policyDataJobSchema>;
export const POLICY_DATA_GROUP = "policy-data";

/**
 * Read the BGP sessions of every member on one route server (`birdc show protocols all`) into
 * DynamoDB. MessageGroupId = `rs-status:<id>` (never `rs:<id>`: reads never wait behind applies).
 */
export const collectSessionsJobSchema = z.strictObject({
  kind: z.literal("collect_sessions"),
  routeServerId: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  reason: z.enum(["schedule", "on_demand"]),
  requestedAt: z.iso.datetime(),
  correlationId: z.string().min(1).optional(),
});
export type CollectSessionsJob = z.infer<typeof collectSessionsJobSchema>;

/**
 * Run one stored looking-glass query (what and for whom is on the query's record, never in the
 * message). MessageGroupId = `rs-status:<id>`, beside the session collection of that server.
 */
export const lookingGlassJobSchema = z.strictObject({
  kind: z.literal("looking_glass"),
  queryId: z.string().uuid(),
  requestId: z.string().uuid(),
  routeServerId: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  requestedAt: z.iso.datetime(),
  correlationId: z.string().min(1).optional(),
});
export type LookingGlassJob = z.infer<typeof lookingGlassJobSchema>;

/** The FIFO message group of a route server's status reads (sessions, looking glass). */
export function statusGroupId(routeServerId: string): string {
  return `rs-status:${routeServerId}`;
}

/**
 * Ask the controller whether a request's node has asked to join the network (a real
 * controller keeps an unauthorized member record for it) and record the answer on the
 * request. MessageGroupId = `inspect:<requestId>`, apart from the request's provisioning jobs.
 * `watch`: a check that queues a later copy of itself while the request waits for its node
 * (policy_auto with `require_node_seen`); the number of checks so far.
 */
export const inspectRequestJobSchema = z.strictObject({
  kind: z.literal("inspect_request"),
  requestId: z.string().uuid(),
  requestedAt: z.iso.datetime(),
  watch: z.number().int().min(0).max(10_000).optional(),
  /** Not to be checked before this instant (a watch's next check). */
  notBefore: z.iso.datetime().optional(),
  correlationId: z.string().min(1).optional(),
});
export type InspectRequestJob = z.infer<typeof inspectRequestJobSchema>;

/** The FIFO message group of a request's node checks. */
export function inspectGroupId(requestId: string): string {
  return `inspect:${requestId}`;
}

export const queueJobSchema = z.discriminatedUnion("kind", [
  provisioningJobSchema,
  deprovisionJobSchema,
  reconcileJobSchema,
  policyDataJobSchema,
  inspectRequestJobSchema,
  collectSessionsJobSchema,
  lookingGlassJobSchema,
]);
export type QueueJob = z.infer<typeof queueJobSchema>;
/** Jobs that wait on a dependency by queueing a later copy of themselves. */
export type WaitableJob = ProvisioningJob | DeprovisionJob | ReconcileJob;

/** Message attribute carrying the request's correlation id through SQS. */
export const CORRELATION_ATTRIBUTE = "correlationId";

export function jobDeduplicationId(job: Pick<ProvisioningJob, "requestId" | "attempt">): string {
  return `${job.requestId}-${job.attempt}`;
}

/** The FIFO message group of a route server's reconciles. */
export function reconcileGroupId(routeServerId: string): string {
  return `rs:${routeServerId}`;
}
