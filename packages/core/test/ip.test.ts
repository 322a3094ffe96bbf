import { describe, expect, it } from "vitest";
import {
  bigIntToIpv6,
  canonicalIpv6,
  intToIpv4,
  ipv4InCidr,
  ipv4ToInt,
  ipv6InCidr,
  ipv6ToBigInt,
  parseIpv4Cidr,
  parseIpv6Cidr,
} from "../src/ip.ts";

describe("IPv4 addresses", () => {
  it("converts a dotted quad to its 32-bit unsigned value and back", () => {
    expect(ipv4ToInt("0.0.0.0")).toBe(0);
    expect(ipv4ToInt("192.0.2.10")).toBe(0xc000020a);
    expect(ipv4ToInt("255.255.255.255")).toBe(0xffffffff);
    expect(intToIpv4(0xc000020a)).toBe("192.0.2.10");
    expect(intToIpv4(0xffffffff)).toBe("255.255.255.255");
    for (const ip of ["10.147.17.1", "100.64.0.0", "203.0.113.254"])
      expect(intToIpv4(ipv4ToInt(ip))).toBe(ip);
  });

  it("keeps only the low 32 bits of a number, as the allocator's arithmetic expects", () => {
    expect(intToIpv4(2 ** 32 + 5)).toBe("0.0.0.5");
    expect(intToIpv4(-1)).toBe("255.255.255.255");
  });

  it.each([
    ["01.2.3.4", "a leading zero (octal to some parsers)"],
    ["192.0.2.010", "a leading zero in the last octet"],
    ["0x7f.0.0.1", "hex"],
    ["10.1", "a short form"],
    ["3221225994", "a plain number"],
    ["1.2.3.", "an empty octet"],
    ["256.0.0.1", "an octet over 255"],
    [" 1.2.3.4", "whitespace"],
    ["1.2.3.4.5", "five octets"],
    ["", "nothing"],
  ])("refuses %j (%s)", (ip) => {
    expect(() => ipv4ToInt(ip)).toThrow(`not an IPv4 address: ${ip}`);
  });
});

describe("IPv4 prefixes", () => {
  it("gives the network with the host bits cleared, and the length", () => {
    expect(parseIpv4Cidr("192.0.2.77/24")).toEqual({ network: 0xc0000200, length: 24 });
    expect(parseIpv4Cidr("192.0.2.77/32")).toEqual({ network: 0xc000024d, length: 32 });
    expect(parseIpv4Cidr("192.0.2.77/0")).toEqual({ network: 0, length: 0 });
    expect(parseIpv4Cidr("255.255.255.255/1")).toEqual({ network: 0x80000000, length: 1 });
  });

  it.each([
    "192.0.2.0/33",
    "192.0.2.0/-1",
    "192.0.2.0/",
    "192.0.2.0",
    "192.0.2.0/024",
    "192.0.2.0/0x18",
    "192.0.2.0/ 24",
    "192.0.2.0/24.0",
    "192.0.2.0/24/8",
    "192.0.02.0/24",
    "2001:db8::/32",
  ])("refuses %j", (cidr) => {
    expect(() => parseIpv4Cidr(cidr)).toThrow(`not an IPv4 prefix: ${cidr}`);
  });

  it("tells whether an address lies inside a prefix, bounds included", () => {
    expect(ipv4InCidr("192.0.2.0", "192.0.2.0/24")).toBe(true);
    expect(ipv4InCidr("192.0.2.255", "192.0.2.0/24")).toBe(true);
    expect(ipv4InCidr("192.0.3.0", "192.0.2.0/24")).toBe(false);
    // The prefix's own host bits do not matter: it is its network that counts.
    expect(ipv4InCidr("192.0.2.9", "192.0.2.200/24")).toBe(true);
    expect(ipv4InCidr("203.0.113.1", "0.0.0.0/0")).toBe(true);
    expect(ipv4InCidr("192.0.2.8", "192.0.2.9/32")).toBe(false);
  });

  it("refuses a malformed prefix first, then a malformed address", () => {
    expect(() => ipv4InCidr("nope", "192.0.2.0/33")).toThrow("not an IPv4 prefix: 192.0.2.0/33");
    expect(() => ipv4InCidr("192.0.2.010", "192.0.2.0/24")).toThrow("not an IPv4 address: 192.0.2.010");
  });
});

describe("IPv6 addresses", () => {
  it.each([
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["0:0:0:0:0:ffff:c000:0201", "::ffff:c000:201"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("writes %s canonically (RFC 5952) as %s", (ip, canonical) => {
    expect(canonicalIpv6(ip)).toBe(canonical);
  });

  it("reads the deprecated IPv4-compatible form as RFC 4291 defines it, not as IPv4-mapped", () => {
    expect(ipv6ToBigInt("::192.0.2.1")).toBe(0xc0000201n);
    expect(canonicalIpv6("::192.0.2.1")).toBe("::c000:201");
    expect(canonicalIpv6("::ffff:192.0.2.1")).not.toBe(canonicalIpv6("::192.0.2.1"));
  });

  it("converts to a 128-bit number and back", () => {
    expect(ipv6ToBigInt("::")).toBe(0n);
    expect(ipv6ToBigInt("::1")).toBe(1n);
    expect(ipv6ToBigInt("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe((1n << 128n) - 1n);
    expect(ipv6ToBigInt("::ffff:192.0.2.1")).toBe(0xffffc0000201n);
    expect(bigIntToIpv6(0x20010db8000000000000000000000001n)).toBe("2001:db8::1");
    expect(bigIntToIpv6(0n)).toBe("::");
    for (const ip of ["2001:db8:100::6:4501:1", "fd00:147:17::1", "::ffff:c000:201"]) {
      expect(bigIntToIpv6(ipv6ToBigInt(ip))).toBe(ip);
    }
  });

  it("keeps only the low 128 bits of a number", () => {
    expect(bigIntToIpv6((1n << 128n) + 1n)).toBe("::1");
  });

  it.each([
    ["fe80::1%eth0", "a zone (names a link, not an address)"],
    ["::ffff:01.2.3.4", "a leading zero in the embedded IPv4"],
    ["::ffff:1.2.3", "a short embedded IPv4"],
    ["1::2::3", "two ::"],
    ["1:2:3:4:5:6:7:8:9", "nine groups"],
    ["12345::", "a five-digit group"],
    ["g::1", "a non-hex digit"],
    [":::", "three colons"],
    ["192.0.2.1", "an IPv4 address"],
    ["", "nothing"],
  ])("refuses %j (%s)", (ip) => {
    expect(() => ipv6ToBigInt(ip)).toThrow(`not an IPv6 address: ${ip}`);
    expect(() => canonicalIpv6(ip)).toThrow(`not an IPv6 address: ${ip}`);
  });
});

describe("IPv6 prefixes", () => {
  it("gives the network with the host bits cleared, and the length", () => {
    expect(parseIpv6Cidr("2001:db8:100::77/64")).toEqual({
      network: 0x20010db8010000000000000000000000n,
      length: 64,
    });
    expect(parseIpv6Cidr("2001:db8:100:ffff::/48")).toEqual({
      network: 0x20010db8010000000000000000000000n,
      length: 48,
    });
    expect(parseIpv6Cidr("::1/128")).toEqual({ network: 1n, length: 128 });
    expect(parseIpv6Cidr("ffff::/0")).toEqual({ network: 0n, length: 0 });
    expect(bigIntToIpv6(parseIpv6Cidr("2001:db8:100:0:ab::1/63").network)).toBe("2001:db8:100::");
  });

  it.each([
    "2001:db8::/129",
    "2001:db8::/-1",
    "2001:db8::/",
    "2001:db8::",
    "2001:db8::/064",
    "2001:db8::/ 64",
    "2001:db8::/64.0",
    "2001:db8::/64/8",
    "fe80::%eth0/64",
    "192.0.2.0/24",
  ])("refuses %j", (cidr) => {
    expect(() => parseIpv6Cidr(cidr)).toThrow(`not an IPv6 prefix: ${cidr}`);
  });

  it("tells whether an address lies inside a prefix, in any spelling", () => {
    expect(ipv6InCidr("2001:db8:100::1", "2001:db8:100::/64")).toBe(true);
    expect(ipv6InCidr("2001:DB8:100:0:FFFF:FFFF:FFFF:FFFF", "2001:db8:100::/64")).toBe(true);
    expect(ipv6InCidr("2001:db8:100:1::", "2001:db8:100::/64")).toBe(false);
    expect(ipv6InCidr("::ffff:192.0.2.1", "::ffff:0:0/96")).toBe(true);
    expect(ipv6InCidr("::192.0.2.1", "::ffff:0:0/96")).toBe(false);
    expect(ipv6InCidr("2001:db8::1", "::/0")).toBe(true);
  });

  it("refuses a malformed prefix first, then a malformed address", () => {
    expect(() => ipv6InCidr("nope", "2001:db8::/129")).toThrow("not an IPv6 prefix: 2001:db8::/129");
    expect(() => ipv6InCidr("fe80::1%eth0", "fe80::/10")).toThrow("not an IPv6 address: fe80::1%eth0");
  });
});
