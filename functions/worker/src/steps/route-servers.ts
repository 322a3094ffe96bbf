import type { MemberAddresses } from "@ztix/addresses";
import { routeServersOfNetwork, splitNetworkId } from "@ztix/core";
import { type JoinRequestItem, routeServerMemberKey, writeAudit } from "@ztix/data";
import { requestReconcile } from "@ztix/workflow";
import type { WorkerDeps } from "../deps.ts";
import { ensurePolicyData } from "../policy-data/ensure.ts";

/**
 * Step 4: the member becomes desired state on the route servers of its network, and each of
 * them is asked to reconcile. No route server is contacted here: the reconciles (one at a time
 * per server, many members per apply) bring the servers to the desired state and make the
 * request active once all of them carry it. With no route server serving the network there
 * is nothing to wait for, which the request's audit trail says.
 */
export async function routeServersStep(
  deps: WorkerDeps,
  request: JoinRequestItem,
  addresses: MemberAddresses,
): Promise<"complete" | "waiting"> {
  const servers = routeServersOfNetwork(
    deps.config.route_servers,
    deps.config.networks,
    splitNetworkId(request.networkId).suffix,
  );
  if (servers.length === 0) {
    await writeAudit(deps.data, {
      subject: `request#${request.requestId}`,
      requestId: request.requestId,
      action: "route_servers.none_configured",
      actorType: "system",
      visibility: "operator",
      message: "no route server serves this network: BGP sessions step skipped",
    });
    return "complete";
  }
  await ensurePolicyData(deps, request.asn).catch((e: unknown) =>
    deps.log.warn("policy data not ready; the member starts with defaults", { err: e }),
  );
  // Upsert: a retried provisioning keeps what an admin set on the record (policy overrides).
  await deps.data.entities.routeServerMember
    .upsert({
      ...routeServerMemberKey(request),
      networkId: request.networkId,
      requestId: request.requestId,
      ipv4: addresses.ipv4,
      ...(addresses.ipv6 ? { ipv6: addresses.ipv6 } : {}),
      activation: "pending",
      updatedAt: deps.now().toISOString(),
    })
    .go();
  await requestReconcile(
    deps,
    servers.map((s) => s.id),
    "member_change",
    { correlationId: request.correlationId, dedupKey: `${request.requestId}-${request.attempt}` },
  );
  return "waiting";
}
