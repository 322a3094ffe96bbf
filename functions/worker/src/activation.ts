import { enqueueDeprovisionJob } from "@ztix/aws";
import { emitMetric, routeServersOfNetwork } from "@ztix/core";
import {
  getRequest,
  isConditionFailure,
  type JoinRequestItem,
  syncsOfRequestOn,
  transitionRequest,
} from "@ztix/data";
import type { ReconcileOutcome } from "@ztix/route-servers";
import { requestReconcile } from "@ztix/workflow";
import type { WorkerDeps } from "./deps.ts";
import { fail } from "./process-job.ts";

/** provisioning → active, audited for the operator with the addresses; `also` commits with it. */
export async function completeRequest(
  deps: WorkerDeps,
  request: JoinRequestItem,
  addresses: { ipv4?: string; ipv6?: string },
  also?: Parameters<typeof transitionRequest>[3]["also"],
): Promise<void> {
  const now = deps.now();
  await transitionRequest(deps.data, request, "complete", {
    set: { activeAt: now.toISOString() },
    audit: {
      actorType: "system",
      visibility: "operator",
      message: `active with ${[addresses.ipv4, addresses.ipv6].filter(Boolean).join(" and ")}`,
      metadata: addresses,
    },
    now,
    ...(also ? { also } : {}),
  });
  const approvedAt = Date.parse(request.approvedAt ?? request.decidedAt ?? request.updatedAt);
  if (Number.isFinite(approvedAt)) {
    emitMetric(
      "ProvisioningLatency",
      now.getTime() - approvedAt,
      "Milliseconds",
      {},
      {
        properties: { requestId: request.requestId, correlationId: request.correlationId },
        sink: deps.metricSink,
      },
    );
  }
  deps.log.info("request active", { requestId: request.requestId, ...addresses });
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * After a reconcile: every pending member this route server now carries becomes active once
 * every route server of its network carries it (their records are read consistently, and each
 * reconcile writes its own before reading the others', so the last one to finish sees all).
 * A provisioning member whose file BIRD refused fails with BIRD's words and leaves the desired
 * state, and the other route servers of its network are asked to drop it.
 */
export async function settleRequests(deps: WorkerDeps, outcome: ReconcileOutcome): Promise<void> {
  const { config } = deps;
  const pending = outcome.carried.filter((c) => c.item.activation === "pending");
  await eachLimited(pending, 8, async ({ item }) => {
    const servers = routeServersOfNetwork(config.route_servers, config.networks, item.network).map(
      (s) => s.id,
    );
    const syncs = await syncsOfRequestOn(deps.data, item.requestId, servers);
    if (syncs.length < servers.length || syncs.some((s) => s.state !== "in_sync")) return;
    const request = await getRequest(deps.data, item.requestId);
    if (request?.status !== "provisioning") return;
    await completeRequest(deps, request, { ipv4: item.ipv4, ipv6: item.ipv6 }, (tx) => [
      tx.routeServerMember
        .patch({ network: item.network, asn: item.asn, nodeId: item.nodeId })
        .set({ activation: "active", updatedAt: deps.now().toISOString() })
        .commit(),
    ]).catch((e: unknown) =>
      // Both route servers' reconciles finishing together race to activate: expected, not a problem.
      isConditionFailure(e)
        ? deps.log.info("activation lost a race to another reconcile", { err: e })
        : deps.log.warn("activation failed; the next reconcile retries", { err: e }),
    );
  });

  // Members this server dropped: a removal waiting on the route servers can go on.
  await eachLimited(outcome.dropped, 8, async (requestId) => {
    const request = await getRequest(deps.data, requestId);
    if (request?.status !== "deprovisioning") return;
    await enqueueDeprovisionJob(
      deps.sqs,
      deps.queueUrl,
      { kind: "deprovision", requestId, purpose: "removal", correlationId: request.correlationId },
      `after-${outcome.routeServerId}-${outcome.revision ?? 0}`,
    );
  });

  for (const r of outcome.rejected) {
    if (r.item.activation !== "pending") {
      deps.log.warn("a route server refused an active member's new config; it keeps the previous one", {
        routeServerId: outcome.routeServerId,
        requestId: r.item.requestId,
        error: r.message,
      });
      continue;
    }
    const request = await getRequest(deps.data, r.item.requestId);
    if (!request) continue;
    await fail(
      deps,
      request,
      "route_server_rejected_member",
      `route server ${outcome.routeServerId} refused this member's BGP config: ${r.message}`,
      (tx) => [
        tx.routeServerMember
          .delete({ network: r.item.network, asn: r.item.asn, nodeId: r.item.nodeId })
          .commit(),
      ],
    );
    const others = routeServersOfNetwork(config.route_servers, config.networks, r.item.network)
      .map((s) => s.id)
      .filter((id) => id !== outcome.routeServerId);
    if (others.length > 0)
      await requestReconcile(deps, others, "member_change", { correlationId: request.correlationId });
  }
}
