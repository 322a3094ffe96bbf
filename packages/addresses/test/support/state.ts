import { randomBytes } from "node:crypto";
import { type NetworkConfig, networkConfigSchema } from "@ztix/core";
import type { DataService } from "@ztix/data";
import { expect } from "vitest";

/** A network id of its own for each test, so no test sees another's addresses. */
export const newNetworkId = () => randomBytes(8).toString("hex");

/** A holder numbered `n`: its own ASN and node. */
export const holder = (networkId: string, n: number, requestId = `req-${n}`) => ({
  networkId,
  asn: 64500 + n,
  nodeId: n.toString(16).padStart(10, "0"),
  requestId,
});

/** A network config with an IPv4 pool in 192.0.2.0/24 (no IPv6 unless given). */
export function lan(ipv4: Partial<NetworkConfig["ipv4"]>, ipv6?: NetworkConfig["ipv6"]): NetworkConfig {
  return networkConfigSchema.parse({
    suffix: "000001",
    name: "LAN",
    ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.250", ...ipv4 },
    ...(ipv6 ? { ipv6 } : {}),
  });
}

/**
 * Every address item of one network as stored. Test-only: it Scans the test's private
 * table, so a claim of a holder the test did not expect is seen too.
 */
export async function storedState(data: DataService, networkId: string) {
  const [allocations, claims, free, pool] = await Promise.all([
    data.entities.addressAllocation.query.byNetwork({ networkId }).go({ pages: "all", consistent: true }),
    data.entities.addressClaim.scan
      .where((c, { eq }) => eq(c.networkId, networkId))
      .go({ pages: "all", consistent: true }),
    data.entities.addressPoolFree.query
      .byPool({ networkId, family: "ipv4" })
      .go({ pages: "all", consistent: true }),
    data.entities.addressPool.get({ networkId, family: "ipv4" }).go({ consistent: true }),
  ]);
  return { allocations: allocations.data, claims: claims.data, free: free.data, pool: pool.data };
}

/**
 * The allocator's invariants over a network's items: allocations and claims pair up one to
 * one (same holder, same address, same request), no free entry names a held address, and
 * the pool's count equals the IPv4 allocations.
 */
export async function expectConsistent(data: DataService, networkId: string) {
  const s = await storedState(data, networkId);
  const claimOf = new Map(s.claims.map((c) => [`${c.family} ${c.asn} ${c.nodeId}`, c]));
  for (const a of s.allocations) {
    const c = claimOf.get(`${a.family} ${a.asn} ${a.nodeId}`);
    expect(c, `claim of the holder of ${a.ip}`).toBeDefined();
    expect({ ip: c?.ip, requestId: c?.requestId }).toEqual({ ip: a.ip, requestId: a.requestId });
  }
  expect(s.claims).toHaveLength(s.allocations.length);
  const held = new Set(s.allocations.filter((a) => a.family === "ipv4").map((a) => a.ip));
  expect(s.free.filter((f) => held.has(f.ip))).toEqual([]);
  if (s.pool) expect(s.pool.allocated).toBe(held.size);
  return s;
}
