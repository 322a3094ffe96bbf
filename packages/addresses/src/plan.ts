import { createHash } from "node:crypto";
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
 * The IPv4 pool of a network as the allocator sees it: which addresses members may get
 * (the configured range minus reserved addresses and the prefix's network/broadcast
 * addresses), how many there are, and a fingerprint of the definition, so stored state can
 * tell whether it was built under the config in force now.
 */
export interface Ipv4Pool {
  /** First and last address of the configured range, as integers. */
  start: number;
  end: number;
  /** Whether the address (as an integer) may be given to a member under this config. */
  isCandidate(n: number): boolean;
  /** The first candidate at or after `from`, or null when none is left in the range. */
  firstCandidateFrom(from: number): number | null;
  /** How many addresses members may get in total. */
  capacity: number;
  fingerprint: string;
}

export function ipv4Pool(plan: Ipv4Plan): Ipv4Pool {
  const start = ipv4ToInt(plan.pool_start);
  const end = ipv4ToInt(plan.pool_end);
  const { network, length } = parseIpv4Cidr(plan.prefix);
  // A /31 or /32 has no network or broadcast address to keep free (RFC 3021).
  const edges = length >= 31 ? [] : [network, network + 2 ** (32 - length) - 1];
  const excluded = new Set([...plan.reserved.map(ipv4ToInt), ...edges].filter((n) => n >= start && n <= end));
  const isCandidate = (n: number) => n >= start && n <= end && !excluded.has(n);
  const firstCandidateFrom = (from: number) => {
    // Only excluded addresses are stepped over, so this loop is bounded by their number.
    for (let n = Math.max(from, start); n <= end; n++) if (!excluded.has(n)) return n;
    return null;
  };
  const fingerprint = createHash("sha256")
    .update([plan.prefix, start, end, ...[...excluded].sort((a, b) => a - b)].join(","))
    .digest("hex")
    .slice(0, 16);
  return {
    start,
    end,
    isCandidate,
    firstCandidateFrom,
    capacity: end - start + 1 - excluded.size,
    fingerprint,
  };
}

/** Fixed-width hex of an IPv4 address, so stored keys list addresses in numeric order. */
export function ipv4Rank(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/**
 * Addresses a member may get, in order: the configured pool minus reserved addresses and
 * the prefix's network/broadcast addresses. Lazy, so a /16 costs nothing up front.
 */
export function* ipv4Candidates(plan: Ipv4Plan, from = 0): Generator<string> {
  const pool = ipv4Pool(plan);
  for (let n = pool.firstCandidateFrom(from); n !== null; n = pool.firstCandidateFrom(n + 1))
    yield intToIpv4(n);
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
