import {
  type NetworkConfig,
  networkConfigSchema,
  type RouteServerConfig,
  type RouteServerPolicy,
  type RuntimeConfig,
  routeServerPolicySchema,
  routeServerSchema,
  runtimeConfigSchema,
} from "@ztix/core";
import type { RouteServerMember } from "../../src/index.ts";

/** A fingerprint that matches no real key (tests that do not connect). */
export const dummyFingerprint = `SHA256:${"A".repeat(43)}`;

/** A route server config with documentation addresses, rooted at `dir` when given. */
export function routeServerFixture(
  overrides: Record<string, unknown> = {},
  dir = "/etc/bird",
): RouteServerConfig {
  return routeServerSchema.parse({
    id: "rs1",
    asn: 64500,
    router_id: "192.0.2.1",
    peering_ipv4: "192.0.2.1",
    peering_ipv6: "2001:db8::1",
    ssh: {
      host: "127.0.0.1",
      user: "root",
      host_key_fingerprint: dummyFingerprint,
      private_key: { secret: "rs-key" },
    },
    paths: {
      main_config: `${dir}/bird.conf`,
      policy_file: `${dir}/ztix/policy.conf`,
      members_dir: `${dir}/ztix/members`,
      staging_dir: `${dir}/staging`,
      control_socket: `${dir}/bird.ctl`,
    },
    ...overrides,
  });
}

export function policyFixture(overrides: Record<string, unknown> = {}): RouteServerPolicy {
  return routeServerPolicySchema.parse({ allow_documentation_resources: true, ...overrides });
}

/** The lab's peering LAN: network 000001 on 192.0.2.0/24 and 2001:db8::/64. */
export const LAB_NETWORK = "000001";

export function networkFixture(overrides: Record<string, unknown> = {}): NetworkConfig {
  return networkConfigSchema.parse({
    suffix: LAB_NETWORK,
    name: "lab",
    ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.200" },
    ipv6: { prefix: "2001:db8::/64" },
    ...overrides,
  });
}

export function memberFixture(overrides: Partial<RouteServerMember> = {}): RouteServerMember {
  return {
    requestId: "req-0001",
    asn: 64501,
    nodeId: "0123456789",
    network: LAB_NETWORK,
    ipv4: "192.0.2.11",
    ipv6: "2001:db8::11",
    ...overrides,
  };
}

/** `count` distinct members (public 32-bit ASNs, addresses from shared address space) for bulk tests. */
export function manyMembers(count: number): RouteServerMember[] {
  return Array.from({ length: count }, (_, i) => ({
    requestId: `req-${i}`,
    asn: 200_000 + i,
    nodeId: (0x1000000000 + i).toString(16).slice(0, 10),
    network: LAB_NETWORK,
    ipv4: `100.64.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    ipv6: `2001:db8:ffff::${(i + 2).toString(16)}`,
    maxPrefix: { ipv4: 10 + (i % 50) },
  }));
}

/** A whole runtime config around the given route servers (one lab network). */
export function runtimeConfigFixture(
  routeServers: RouteServerConfig[],
  policy: Record<string, unknown> = {},
): RuntimeConfig {
  return runtimeConfigSchema.parse({
    networks: [
      {
        suffix: LAB_NETWORK,
        name: "lab",
        ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.200" },
        ipv6: { prefix: "2001:db8::/64" },
      },
    ],
    route_servers: routeServers,
    route_server_policy: { allow_documentation_resources: true, ...policy },
  });
}
