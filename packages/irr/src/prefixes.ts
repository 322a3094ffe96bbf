import { isIP } from "node:net";
import { bigIntToIpv6, intToIpv4, ipv4ToInt, ipv6ToBigInt } from "@ztix/core";

export type Family = "ipv4" | "ipv6";

export interface ParsedPrefix {
  family: Family;
  /** Network address as a number, for ordering. */
  network: bigint;
  length: number;
  /** Canonical text: lower-case, RFC 5952 for IPv6. */
  text: string;
}

/**
 * Parses `addr/len` strictly: host bits set is an error, not silently masked, because BIRD
 * refuses such a prefix in a set (`Invalid IPv4 prefix 192.0.2.1/24, maybe you wanted …`) and a
 * silently widened prefix would accept routes nobody registered. Returns null when malformed.
 */
export function parsePrefix(text: string): ParsedPrefix | null {
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return null;
  const length = Number(lenText);
  const ipVersion = isIP(addr);
  if (ipVersion === 4) {
    if (length > 32) return null;
    const n = BigInt(ipv4ToInt(addr));
    const host = (1n << BigInt(32 - length)) - 1n;
    if ((n & host) !== 0n) return null;
    return { family: "ipv4", network: n, length, text: `${intToIpv4(Number(n))}/${length}` };
  }
  if (ipVersion === 6) {
    if (length > 128) return null;
    const n = ipv6ToBigInt(addr);
    const host = (1n << BigInt(128 - length)) - 1n;
    if ((n & host) !== 0n) return null;
    return { family: "ipv6", network: n, length, text: `${bigIntToIpv6(n)}/${length}` };
  }
  return null;
}

/** Address order, then shorter prefix first: the order a reader (and a diff) expects. */
export function comparePrefixes(a: ParsedPrefix, b: ParsedPrefix): number {
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.length - b.length;
}

/** Canonical, de-duplicated and sorted. */
export function sortUnique(prefixes: readonly ParsedPrefix[]): ParsedPrefix[] {
  const seen = new Map<string, ParsedPrefix>();
  for (const p of prefixes) if (!seen.has(p.text)) seen.set(p.text, p);
  return [...seen.values()].sort(comparePrefixes);
}
