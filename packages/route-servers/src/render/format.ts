import { isIP } from "node:net";
import { bigIntToIpv6, canonicalIpv6, intToIpv4, parseIpv4Cidr, parseIpv6Cidr } from "@ztix/core";

/** A prefix in canonical form (host bits cleared), as BIRD requires. */
export function canonicalPrefix(prefix: string): string {
  if (prefix.includes(":")) {
    const { network, length } = parseIpv6Cidr(prefix);
    return `${bigIntToIpv6(network)}/${length}`;
  }
  const { network, length } = parseIpv4Cidr(prefix);
  return `${intToIpv4(network)}/${length}`;
}

/** An address in canonical form (IPv6 per RFC 5952), so equal inputs render equal text. */
export function canonicalAddress(ip: string): string {
  if (isIP(ip) === 6) return canonicalIpv6(ip);
  if (isIP(ip) === 4) return ip;
  throw new Error(`not an IP address: ${ip}`);
}

/** A BIRD prefix set `[ a+, b+ ]` matching the prefixes and everything more specific. */
export function prefixSetOrMore(prefixes: readonly string[]): string {
  return `[ ${prefixes.map((p) => `${canonicalPrefix(p)}+`).join(", ")} ]`;
}

/** A BIRD int set from inclusive ranges, e.g. `[ 0, 64512..65534 ]`. */
export function intRangeSet(ranges: ReadonlyArray<readonly [number, number]>): string {
  const items = [...ranges]
    .sort((a, b) => a[0] - b[0])
    .map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}..${hi}`));
  return `[ ${items.join(", ")} ]`;
}

/** Joins lines with a trailing newline; the one place output line endings are decided. */
export function lines(parts: readonly string[]): string {
  return `${parts.join("\n")}\n`;
}
