import type { NetworkConfig } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { type AllocationHolder, allocateFromCandidates, takeIpv4 } from "./allocate.ts";
import { findClaims, keepClaim } from "./claims.ts";
import { ipv4Pool, ipv6Candidates } from "./plan.ts";

export interface MemberAddresses {
  ipv4: string;
  ipv6?: string;
}

/**
 * Both addresses of a member on one IX network, per that network's plan; stable across
 * retries. A new member costs one Query (its claims), one Query (the IPv4 pool) and one
 * TransactWrite per family, whatever the number of members; a retry costs the first Query.
 */
export async function allocateMemberAddresses(
  data: DataService,
  network: NetworkConfig,
  member: AllocationHolder,
  now = new Date(),
): Promise<MemberAddresses> {
  const holder = {
    networkId: member.networkId,
    asn: member.asn,
    nodeId: member.nodeId,
    requestId: member.requestId,
  };
  const claims = await findClaims(data, holder);
  const kept = claims.ipv4 ? await keepClaim(data, claims.ipv4, holder.requestId) : null;
  const ipv4 = kept ?? (await takeIpv4(data, ipv4Pool(network.ipv4), holder, now));
  const ipv6Plan = network.ipv6;
  if (!ipv6Plan) return { ipv4 };
  const ipv6 = await allocateFromCandidates(
    data,
    {
      ...holder,
      family: "ipv6",
      claim: claims.ipv6 ?? null,
      candidates: ipv6Candidates(ipv6Plan, { asn: member.asn, ipv4, ipv4Prefix: network.ipv4.prefix }),
    },
    now,
  );
  return { ipv4, ipv6 };
}
