import { findClaim, poolHasRoom } from "@ztix/addresses";
import { AppError, splitNetworkId } from "@ztix/core";
import type { JoinRequestItem } from "@ztix/data";
import type { WorkflowDeps } from "./deps.ts";

/**
 * Refuses an approval (409 `address_pool_exhausted`) when the request would find no IPv4
 * address on its network, instead of letting it fail in the worker later. A request that
 * already holds one (a retry) or takes over its predecessor's (a node replacement) needs none.
 * Two calls at most, whatever the network holds.
 */
export async function assertAddressRoom(deps: WorkflowDeps, request: JoinRequestItem): Promise<void> {
  if (request.replacesRequestId) return;
  const network = deps.config.networks.find((n) => n.suffix === splitNetworkId(request.networkId).suffix);
  if (!network) return;
  const holder = { networkId: request.networkId, asn: request.asn, nodeId: request.nodeId.toLowerCase() };
  if (await findClaim(deps.data, { ...holder, family: "ipv4" })) return;
  if (await poolHasRoom(deps.data, network, request.networkId)) return;
  throw new AppError(
    "address_pool_exhausted",
    `no IPv4 address is left on network ${network.name} (${request.networkId}); free some or widen the pool before approving`,
    { zt_network_id: request.networkId },
  );
}
