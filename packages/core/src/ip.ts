import ipaddr from "ipaddr.js";

/**
 * Address arithmetic for the allocator, the config checks and the route-server renderer, on
 * ipaddr.js. ipaddr.js reads more than this product accepts (it is lenient on purpose, like
 * inet_aton), so the text is checked first: IPv4 as four decimal octets without leading
 * zeros (`010.0.0.1` is octal to some parsers and decimal to others), IPv6 without a zone
 * (`%eth0` names a link, not an address on a peering LAN), prefix lengths as plain decimals.
 */

const { IPv4, IPv6 } = ipaddr;
type V4 = InstanceType<typeof IPv4>;
type V6 = InstanceType<typeof IPv6>;

function parseV4(ip: string): V4 {
  // isValidFourPartDecimal refuses hex, octal, leading zeros and the short forms (`10.1`).
  if (!IPv4.isValidFourPartDecimal(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  return IPv4.parse(ip);
}

/** The deprecated IPv4-compatible form (`::192.0.2.1`, RFC 4291 2.5.5.1). */
const ipv4Compatible = /^::(\d+\.\d+\.\d+\.\d+)$/;

function parseV6(ip: string): V6 {
  const fail = () => new Error(`not an IPv6 address: ${ip}`);
  if (ip.includes("%")) throw fail();
  // ipaddr.js reads the trailing dotted quad leniently (leading zeros): hold it to IPv4's rules.
  const lastColon = ip.lastIndexOf(":");
  const tail = ip.slice(lastColon + 1);
  if (tail.includes(".") && !IPv4.isValidFourPartDecimal(tail)) throw fail();
  // ipaddr.js reads `::a.b.c.d` as IPv4-mapped (`::ffff:a.b.c.d`); RFC 4291 defines it as
  // `::` followed by the IPv4 bits. Spelling out one zero group keeps that meaning.
  const text = ip.replace(ipv4Compatible, "0::$1");
  if (!IPv6.isValid(text)) throw fail();
  return IPv6.parse(text);
}

/** `addr/len`, split once, the length a plain decimal within `max` (no `/`, `/ 24`, `/0x18`). */
function splitCidr(cidr: string, max: number): { ip: string; length: number } | null {
  const slash = cidr.indexOf("/");
  if (slash < 0) return null;
  const lenText = cidr.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return null;
  const length = Number(lenText);
  return length <= max ? { ip: cidr.slice(0, slash), length } : null;
}

/** The network address of `addr/length`: the address with its host bits cleared. */
function networkBytes(addr: V4 | V6, length: number): number[] {
  const mask = (addr.kind() === "ipv4" ? IPv4 : IPv6).subnetMaskFromPrefixLength(length).toByteArray();
  return addr.toByteArray().map((b, i) => b & mask[i]!);
}

function cidrV4(cidr: string): { net: V4; length: number } {
  const parts = splitCidr(cidr, 32);
  if (!parts || !IPv4.isValidFourPartDecimal(parts.ip)) throw new Error(`not an IPv4 prefix: ${cidr}`);
  return { net: new IPv4(networkBytes(IPv4.parse(parts.ip), parts.length)), length: parts.length };
}

function cidrV6(cidr: string): { net: V6; length: number } {
  const parts = splitCidr(cidr, 128);
  let addr: V6 | undefined;
  try {
    if (parts) addr = parseV6(parts.ip);
  } catch {
    // Reported below as a prefix error, which is what the caller handed in.
  }
  if (!parts || !addr) throw new Error(`not an IPv6 prefix: ${cidr}`);
  return { net: new IPv6(networkBytes(addr, parts.length)), length: parts.length };
}

const bytesToInt = (bytes: number[]) => bytes.reduce((acc, b) => acc * 256 + b, 0);
const bytesToBigInt = (bytes: number[]) => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

/** IPv4 dotted quad → 32-bit unsigned integer. */
export function ipv4ToInt(ip: string): number {
  return bytesToInt(parseV4(ip).toByteArray());
}

/** 32-bit unsigned integer → dotted quad (only the low 32 bits count, as with `>>>`). */
export function intToIpv4(n: number): string {
  return new IPv4([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();
}

export interface Ipv4Cidr {
  network: number;
  length: number;
}

/** `a.b.c.d/len` → its network address (host bits cleared) and length. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const { net, length } = cidrV4(cidr);
  return { network: bytesToInt(net.toByteArray()), length };
}

export function ipv4InCidr(ip: string, cidr: string): boolean {
  const { net, length } = cidrV4(cidr);
  return parseV4(ip).match(net, length);
}

/** IPv6 text → 128-bit bigint. */
export function ipv6ToBigInt(ip: string): bigint {
  return bytesToBigInt(parseV6(ip).toByteArray());
}

/** 128-bit bigint → canonical (RFC 5952) IPv6 text (only the low 128 bits count). */
export function bigIntToIpv6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return new IPv6(groups).toRFC5952String();
}

export interface Ipv6Cidr {
  network: bigint;
  length: number;
}

/** `addr/len` → its network address (host bits cleared) and length. */
export function parseIpv6Cidr(cidr: string): Ipv6Cidr {
  const { net, length } = cidrV6(cidr);
  return { network: bytesToBigInt(net.toByteArray()), length };
}

/** Canonical form of an IPv6 address, so equal addresses compare equal as strings. */
export function canonicalIpv6(ip: string): string {
  return parseV6(ip).toRFC5952String();
}

export function ipv6InCidr(ip: string, cidr: string): boolean {
  const { net, length } = cidrV6(cidr);
  return parseV6(ip).match(net, length);
}
