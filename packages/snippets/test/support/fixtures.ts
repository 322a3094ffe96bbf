import type { SnippetInput } from "../../src/index.ts";

/**
 * A dual-stack member of a network with two route servers, listed out of name order and with
 * an upper-case IPv6 address, so the snippets show sorting and canonical forms at work.
 */
export function dualStack(overrides: Partial<SnippetInput> = {}): SnippetInput {
  return {
    network: { id: "8056c2e21c1c0001", name: "ZT-IX Lab (Frankfurt) #1" },
    member: { asn: 64500, ipv4: "192.0.2.10/24", ipv6: "2001:DB8:100::A/64" },
    limits: { ipv4: 120, ipv6: 60 },
    password: "s3cret.Key-1",
    routeServers: [
      { name: "rs2", asn: 64510, ipv4: "192.0.2.2", ipv6: "2001:db8:100::2" },
      { name: "rs1", asn: 64510, ipv4: "192.0.2.1", ipv6: "2001:db8:100::1" },
    ],
    ...overrides,
  };
}

/**
 * An IPv6-only member, no password, no known limits, and route servers with different ASNs:
 * rs1's IPv4 address makes no session, since the member does not peer over IPv4.
 */
export function ipv6Only(overrides: Partial<SnippetInput> = {}): SnippetInput {
  return {
    network: { id: "8056c2e21cabcdef", name: "second-lan" },
    member: { asn: 4200000001, ipv6: "fd00:147:17::6:4500:1/64" },
    routeServers: [
      { name: "rs-east", asn: 64512, ipv6: "fd00:147:17::fe" },
      { name: "rs-west", asn: 64511, ipv4: "10.147.17.1", ipv6: "fd00:147:17::1" },
    ],
    ...overrides,
  };
}

/** An IPv4-only member with one route server, on a /28. */
export function ipv4Only(overrides: Partial<SnippetInput> = {}): SnippetInput {
  return {
    network: { id: "8056c2e21c000002", name: "third" },
    member: { asn: 65001, ipv4: "203.0.113.5/28" },
    limits: { ipv4: 10 },
    routeServers: [{ name: "rs1", asn: 65000, ipv4: "203.0.113.1" }],
    ...overrides,
  };
}

export const fixtures = { "dual-stack": dualStack, "ipv6-only": ipv6Only, "ipv4-only": ipv4Only } as const;
