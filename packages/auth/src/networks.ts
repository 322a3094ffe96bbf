import type { DataService, IxNetworkItem } from "@ztix/data";

export interface UserAsn {
  asn: number;
  name?: string;
  /** PeeringDB perms bitmask; absent for ASNs granted by ops. */
  perms?: number;
  source: "local" | "peeringdb";
}

/** The ASNs a user may act for, lowest first. */
export async function userAsns(data: DataService, userId: string): Promise<UserAsn[]> {
  const out = await data.entities.userAsn.query.byUser({ userId }).go({ pages: "all" });
  return out.data
    .map((r) => ({ asn: r.asn, name: r.name, perms: r.perms, source: r.source }))
    .sort((a, b) => a.asn - b.asn);
}

/**
 * The active IX networks a user may request. A user without network-access rows may
 * request any active network; with rows, only those (and only while they are active).
 */
export async function allowedNetworks(data: DataService, userId: string): Promise<IxNetworkItem[]> {
  const [access, networks] = await Promise.all([
    data.entities.userNetworkAccess.query.byUser({ userId }).go({ pages: "all" }),
    data.entities.ixNetwork.query.all({}).go({ pages: "all" }),
  ]);
  const active = networks.data.filter((n) => n.active);
  if (access.data.length === 0) return active;
  const allowed = new Set(access.data.map((r) => r.networkId));
  return active.filter((n) => allowed.has(n.networkId));
}
