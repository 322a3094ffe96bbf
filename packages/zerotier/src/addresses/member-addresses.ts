import type { NetworkConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { allocateAddress } from "./allocate.ts";
import { ipv4Candidates, ipv6Candidates } from "./plan.ts";

export interface MemberAddresses {
  ipv4: string;
  ipv6?: string;
}

/** Both addresses of a member on one IX network, per that network's plan; stable across retries. */
export async function allocateMemberAddresses(
  data: DataService,
  network: NetworkConfig,
  member: { networkId: string; asn: number; nodeId: string; requestId: string },
  now?: Date,
): Promise<MemberAddresses> {
  const base = {
    networkId: member.networkId,
    asn: member.asn,
    nodeId: member.nodeId,
    requestId: member.requestId,
    now,
  };
  const ipv4 = await allocateAddress(data, {
    ...base,
    family: "ipv4",
    candidates: () => ipv4Candidates(network.ipv4),
  });
  const ipv6Plan = network.ipv6;
  if (!ipv6Plan) return { ipv4 };
  const ipv6 = await allocateAddress(data, {
    ...base,
    family: "ipv6",
    candidates: () => ipv6Candidates(ipv6Plan, { asn: member.asn, ipv4, ipv4Prefix: network.ipv4.prefix }),
  });
  return { ipv4, ipv6 };
}
