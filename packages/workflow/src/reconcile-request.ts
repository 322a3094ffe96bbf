import { enqueueReconcile } from "@ztix/aws";
import type { ReconcileReason } from "@ztix/core";
import type { DataService } from "@ztix/data";

/** The SQS client type @ztix/aws works with. */
type Sqs = Parameters<typeof enqueueReconcile>[0];

export interface ReconcileRequester {
  data: DataService;
  sqs: Sqs;
  queueUrl: string;
  now: () => Date;
}

/**
 * Asks for a reconcile of each route server: stamps `requestedAt` on its record (so admins see
 * a change is pending) and queues the job in the server's own FIFO group. Called after the
 * desired state was written, so the reconcile that takes the job reads the change.
 */
export async function requestReconcile(
  deps: ReconcileRequester,
  routeServerIds: readonly string[],
  reason: ReconcileReason,
  options: { correlationId?: string; dedupKey?: string } = {},
): Promise<void> {
  const requestedAt = deps.now().toISOString();
  await Promise.all(
    routeServerIds.map(async (routeServerId) => {
      await deps.data.entities.routeServerState
        .update({ routeServerId })
        .set({ requestedAt, updatedAt: requestedAt })
        .go();
      await enqueueReconcile(
        deps.sqs,
        deps.queueUrl,
        {
          kind: "reconcile",
          routeServerId,
          reason,
          requestedAt,
          ...(options.correlationId ? { correlationId: options.correlationId } : {}),
        },
        options.dedupKey,
      );
    }),
  );
}
