import { z } from "zod";

/**
 * The provisioning job on the SQS FIFO queue. MessageGroupId = requestId (jobs of one request
 * never run concurrently); MessageDeduplicationId = `${requestId}-${attempt}`.
 */
export const provisioningJobSchema = z.strictObject({
  kind: z.literal("provision"),
  requestId: z.string().uuid(),
  attempt: z.number().int().min(1),
  correlationId: z.string().min(1).optional(),
});
export type ProvisioningJob = z.infer<typeof provisioningJobSchema>;

/** Message attribute carrying the request's correlation id through SQS. */
export const CORRELATION_ATTRIBUTE = "correlationId";

export function jobDeduplicationId(job: Pick<ProvisioningJob, "requestId" | "attempt">): string {
  return `${job.requestId}-${job.attempt}`;
}
