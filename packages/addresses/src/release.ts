import { ipv4ToInt } from "@ztix/core";
import type { AddressClaimItem, DataService } from "@ztix/data";
import { type AddressFamily, findClaims, type Holder } from "./claims.ts";
import { ipv4Rank } from "./plan.ts";
import { openPool } from "./pool.ts";
import { backoff, failedCondition, passed, type TransactItem, transact } from "./transact.ts";

export interface ReleasedAddress {
  family: AddressFamily;
  ip: string;
}

/**
 * Releases what a holder has on a network when its membership ends, in one transaction
 * for both families: each allocation is deleted (conditional on belonging to the holder),
 * each claim is deleted (conditional on the address and on the request that owns it), and
 * the IPv4 address goes on the free list while the pool's count drops by one. A crash
 * leaves all of it or none of it, so an address is never free while still claimed. With
 * `requestId`, only claims owned by that request are released: a late release from an
 * earlier membership of the same holder leaves a newer one alone. Releasing again
 * finds nothing and returns `[]`. One Query and one TransactWrite.
 */
export async function releaseAddresses(
  data: DataService,
  holder: Holder & { requestId?: string },
  now = new Date(),
): Promise<ReleasedAddress[]> {
  const at = now.toISOString();
  for (let attempt = 0; attempt < 16; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const claims = Object.values(await findClaims(data, holder))
      .filter((c) => holder.requestId === undefined || c.requestId === holder.requestId)
      .sort((a, b) => a.family.localeCompare(b.family));
    if (claims.length === 0) return [];
    let poolIndex = -1;
    const outcome = await transact(
      data,
      ({ addressAllocation, addressClaim, addressPool, addressPoolFree }) => {
        const items: TransactItem[] = claims.flatMap((c): TransactItem[] => [
          addressAllocation
            .delete({ networkId: c.networkId, family: c.family, ip: c.ip })
            .where((a, { eq }) => `${eq(a.asn, c.asn)} AND ${eq(a.nodeId, c.nodeId)}`)
            .commit(),
          addressClaim
            .delete({ networkId: c.networkId, asn: c.asn, nodeId: c.nodeId, family: c.family })
            .where((x, { eq }) => `${eq(x.ip, c.ip)} AND ${eq(x.requestId, c.requestId)}`)
            .commit(),
        ]);
        const v4 = claims.find((c) => c.family === "ipv4");
        if (v4) {
          const poolKey = { networkId: v4.networkId, family: "ipv4" as const };
          const rank = ipv4Rank(ipv4ToInt(v4.ip));
          items.push(addressPoolFree.put({ ...poolKey, rank, ip: v4.ip, releasedAt: at }).commit());
          poolIndex = items.length;
          items.push(addressPool.patch(poolKey).add({ allocated: -1 }).set({ updatedAt: at }).commit());
        }
        return items;
      },
    );
    if (outcome.ok) return claims.map((c) => ({ family: c.family, ip: c.ip }));
    // Allocations made before the pool state existed: open it (counting them), then retry.
    if (poolIndex >= 0 && failedCondition(outcome, poolIndex)) await openPool(data, holder.networkId, now);
    for (const [i, c] of claims.entries()) {
      if (failedCondition(outcome, 2 * i) && passed(outcome, 2 * i + 1)) await dropDanglingClaim(data, c);
    }
  }
  throw new Error(
    `could not release the addresses of AS${holder.asn} ${holder.nodeId} on ${holder.networkId}`,
  );
}

/**
 * A claim whose address the holder does not hold: what the allocator before this package
 * left when it crashed between the two writes of its release. The address is free or
 * someone else's, so only the claim goes (neither listed free nor counted), and the
 * holder's next allocation gets an address of its own.
 */
async function dropDanglingClaim(data: DataService, claim: AddressClaimItem) {
  const allocation = await data.entities.addressAllocation
    .get({ networkId: claim.networkId, family: claim.family, ip: claim.ip })
    .go({ consistent: true });
  const mine = allocation.data?.asn === claim.asn && allocation.data?.nodeId === claim.nodeId;
  if (mine) return; // a concurrent change, not a dangling claim: the next round retries
  await transact(data, ({ addressClaim }) => [
    addressClaim
      .delete({ networkId: claim.networkId, asn: claim.asn, nodeId: claim.nodeId, family: claim.family })
      .where((x, { eq }) => `${eq(x.ip, claim.ip)} AND ${eq(x.requestId, claim.requestId)}`)
      .commit(),
  ]);
}
