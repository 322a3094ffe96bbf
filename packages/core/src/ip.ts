import { isIP } from "node:net";

/** IPv4 dotted quad → 32-bit unsigned integer. */
export function ipv4ToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export interface Ipv4Cidr {
  network: number;
  length: number;
}

export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const [ip, len] = cidr.split("/");
  const length = Number(len);
  if (!ip || isIP(ip) !== 4 || !Number.isInteger(length) || length < 0 || length > 32) {
    throw new Error(`not an IPv4 prefix: ${cidr}`);
  }
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return { network: (ipv4ToInt(ip) & mask) >>> 0, length };
}

export function ipv4InCidr(ip: string, cidr: string): boolean {
  const { network, length } = parseIpv4Cidr(cidr);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return (ipv4ToInt(ip) & mask) >>> 0 === network;
}

/** IPv6 text → 128-bit bigint. */
export function ipv6ToBigInt(ip: string): bigint {
  if (isIP(ip) !== 6) throw new Error(`not an IPv6 address: ${ip}`);
  let text = ip;
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = ipv4ToInt(v4[1]!);
    text = text.replace(v4[1]!, `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`);
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const fill = tail === undefined ? 0 : 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array(fill).fill("0"), ...tailParts];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(Number.parseInt(g || "0", 16)), 0n);
}

/** 128-bit bigint → canonical (RFC 5952) IPv6 text. */
export function bigIntToIpv6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

export interface Ipv6Cidr {
  network: bigint;
  length: number;
}

export function parseIpv6Cidr(cidr: string): Ipv6Cidr {
  const [ip, len] = cidr.split("/");
  const length = Number(len);
  if (!ip || isIP(ip) !== 6 || !Number.isInteger(length) || length < 0 || length > 128) {
    throw new Error(`not an IPv6 prefix: ${cidr}`);
  }
  const hostBits = BigInt(128 - length);
  return { network: (ipv6ToBigInt(ip) >> hostBits) << hostBits, length };
}

/** Canonical form of an IPv6 address, so equal addresses compare equal as strings. */
export function canonicalIpv6(ip: string): string {
  return bigIntToIpv6(ipv6ToBigInt(ip));
}

export function ipv6InCidr(ip: string, cidr: string): boolean {
  const { network, length } = parseIpv6Cidr(cidr);
  const hostBits = BigInt(128 - length);
  return (ipv6ToBigInt(ip) >> hostBits) << hostBits === network;
}
