import { allocateMemberAddresses, type MemberAddresses } from "@ztix/addresses";
import { AppError } from "@ztix/core";
import type { JoinRequestItem } from "@ztix/data";
import { networkIdFor } from "@ztix/zerotier";
import type { WorkerDeps } from "../deps.ts";

/** The configured IX network a request is for (matched by full id under this controller). */
export function networkFor(deps: WorkerDeps, request: JoinRequestItem, controllerAddress: string) {
  const network = deps.config.networks.find(
    (n) => networkIdFor(controllerAddress, n.suffix) === request.networkId,
  );
  if (!network) {
    throw new AppError(
      "network_not_configured",
      `network ${request.networkId} is not an IX network of controller ${controllerAddress}; check networks[] in runtime config`,
      { networkId: request.networkId },
      409,
    );
  }
  return network;
}

/** Step 2: the member's peering-LAN addresses (reused when this (asn, node) already has them). */
export function addressesStep(
  deps: WorkerDeps,
  request: JoinRequestItem,
  controllerAddress: string,
): Promise<MemberAddresses> {
  const network = networkFor(deps, request, controllerAddress);
  return allocateMemberAddresses(
    deps.data,
    network,
    { networkId: request.networkId, asn: request.asn, nodeId: request.nodeId, requestId: request.requestId },
    deps.now(),
  );
}
