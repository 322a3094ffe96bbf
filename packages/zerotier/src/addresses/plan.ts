import {
  bigIntToIpv6,
  intToIpv4,
  ipv4ToInt,
  type NetworkConfig,
  parseIpv4Cidr,
  parseIpv6Cidr,
} from "@ztix/core";

type Ipv4Plan = NetworkConfig["ipv4"];
type Ipv6Plan = NonNullable<NetworkConfig["ipv6"]>;

/**
 * Addresses a member may get, in order: the configured pool minus reserved addresses and
 * the prefix's network/broadcast addresses. Lazy, so a /16 costs nothing up front.
 */
export function* ipv4Candidates(plan: Ipv4Plan): Generator<string> {
  const reserved = new Set(plan.reserved.map(ipv4ToInt));
  const { network, length } = parseIpv4Cidr(plan.prefix);
  const broadcast = length >= 31 ? -1 : network + 2 ** (32 - length) - 1;
  const skipEdges = length < 31;
  for (let n = ipv4ToInt(plan.pool_start); n <= ipv4ToInt(plan.pool_end); n++) {
    if (reserved.has(n)) continue;
    if (skipEdges && (n === network || n === broadcast)) continue;
    yield intToIpv4(n);
  }
}

/**
 * The ASN's decimal digits as hextets, right-aligned in groups of four:
 * 64500 → [0x6, 0x4500]; 4200000001 → [0x42, 0x0, 0x1].
 */
export function asnHextets(asn: number): number[] {
  const digits = String(asn);
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 4) groups.unshift(digits.slice(Math.max(0, end - 4), end));
  return groups.map((g) => Number.parseInt(g, 16));
}

/**
 * The ASN-embedded address: prefix, then the ASN's digits, then a host number (1 for the
 * first node of the ASN): AS64500 in 2001:db8:1::/64 → 2001:db8:1::6:4500:1.
 */
export function asnEmbeddedIpv6(prefix: string, asn: number, host = 1): string {
  const { network, length } = parseIpv6Cidr(prefix);
  const hextets = [...asnHextets(asn), host];
  if (128 - length < hextets.length * 16) {
    throw new Error(`${prefix} is too long to embed AS${asn} (needs ${hextets.length * 16} host bits)`);
  }
  const suffix = hextets.reduce((acc, h) => (acc << 16n) + BigInt(h), 0n);
  return bigIntToIpv6(network | suffix);
}

/** The IPv6 address with the same host index as `ipv4` has in its prefix. */
export function sequentialIpv6(prefix: string, ipv4Prefix: string, ipv4: string): string {
  const { network } = parseIpv6Cidr(prefix);
  const index = ipv4ToInt(ipv4) - parseIpv4Cidr(ipv4Prefix).network;
  return bigIntToIpv6(network + BigInt(index));
}

/**
 * IPv6 candidates for a member: under `asn_embedded` the ASN's address with host 1, then 2, …
 * (a second node of the same ASN gets the next one); under `sequential` exactly one address.
 */
export function* ipv6Candidates(
  plan: Ipv6Plan,
  member: { asn: number; ipv4: string; ipv4Prefix: string },
): Generator<string> {
  if (plan.scheme === "sequential") {
    yield sequentialIpv6(plan.prefix, member.ipv4Prefix, member.ipv4);
    return;
  }
  for (let host = 1; host <= 0xff; host++) yield asnEmbeddedIpv6(plan.prefix, member.asn, host);
}
