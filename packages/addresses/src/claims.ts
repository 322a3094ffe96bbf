import type { AddressClaimItem, DataService } from "@ztix/data";
import { transact } from "./transact.ts";

export type AddressFamily = "ipv4" | "ipv6";

/** Who holds addresses: one ZeroTier node of one ASN on one IX network. */
export interface Holder {
  networkId: string;
  asn: number;
  nodeId: string;
}

/** The address an (asn, node) already holds on a network, if any (one GetItem). */
export async function findClaim(
  data: DataService,
  key: Holder & { family: AddressFamily },
): Promise<string | null> {
  const out = await data.entities.addressClaim.get(key).go({ consistent: true });
  return out.data?.ip ?? null;
}

/** Both families' claims of a holder: they share its partition, so one Query reads them. */
export async function findClaims(
  data: DataService,
  holder: Holder,
): Promise<Partial<Record<AddressFamily, AddressClaimItem>>> {
  const out = await data.entities.addressClaim.query
    .byHolder({ networkId: holder.networkId, asn: holder.asn, nodeId: holder.nodeId })
    .go({ consistent: true });
  return Object.fromEntries(out.data.map((c) => [c.family, c]));
}

/**
 * Keeps a holder's existing address for `requestId`. A claim made by an earlier request of
 * the same holder (one that failed and was followed by a new request) is handed over to
 * this request, allocation and claim together, so a later release conditioned on the
 * request that owns the membership finds it, and a stale release by the old request does
 * nothing. Costs nothing when the claim already belongs to `requestId` (every retry).
 * Null when the claim was released meanwhile: the caller allocates afresh.
 */
export async function keepClaim(
  data: DataService,
  claim: AddressClaimItem,
  requestId: string,
): Promise<string | null> {
  let current: AddressClaimItem | undefined = claim;
  for (let attempt = 0; current && attempt < 8; attempt++) {
    if (current.requestId === requestId) return current.ip;
    const held: AddressClaimItem = current;
    const outcome = await transact(data, ({ addressClaim, addressAllocation }) => [
      addressClaim
        .patch({ networkId: held.networkId, asn: held.asn, nodeId: held.nodeId, family: held.family })
        .set({ requestId })
        .where((c, { eq }) => `${eq(c.requestId, held.requestId)} AND ${eq(c.ip, held.ip)}`)
        .commit(),
      addressAllocation
        .patch({ networkId: held.networkId, family: held.family, ip: held.ip })
        .set({ requestId })
        .where((a, { eq }) => `${eq(a.asn, held.asn)} AND ${eq(a.nodeId, held.nodeId)}`)
        .commit(),
    ]);
    if (outcome.ok) return held.ip;
    current = (await findClaims(data, held))[held.family];
  }
  if (current)
    throw new Error(`could not hand the ${claim.family} claim of AS${claim.asn} ${claim.nodeId} over`);
  return null;
}
