import { isIP } from "node:net";
import { ipv4InCidr, ipv6InCidr } from "../ip.ts";
import type { NetworkConfig } from "./networks.ts";
import type { RouteServerConfig } from "./route-servers.ts";

/** The network suffixes a route server serves: its own list, or every configured network. */
export function servedNetworkSuffixes(
  routeServer: Pick<RouteServerConfig, "networks">,
  networks: readonly Pick<NetworkConfig, "suffix">[],
): string[] {
  return routeServer.networks ?? networks.map((n) => n.suffix);
}

/** The route servers that carry the members of one network (by suffix). */
export function routeServersOfNetwork<R extends Pick<RouteServerConfig, "networks">>(
  routeServers: readonly R[],
  networks: readonly Pick<NetworkConfig, "suffix">[],
  suffix: string,
): R[] {
  return routeServers.filter((rs) => servedNetworkSuffixes(rs, networks).includes(suffix));
}

/**
 * The route server's own addresses on one network's peering LAN: those of its configured
 * addresses that lie inside the network's prefixes (members peer with these).
 */
export function routeServerAddressesOn(
  routeServer: Pick<RouteServerConfig, "peering_ipv4" | "peering_ipv6">,
  network: Pick<NetworkConfig, "ipv4" | "ipv6">,
): { ipv4?: string; ipv6?: string } {
  const v4 = (routeServer.peering_ipv4 ?? []).find(
    (a) => isIP(a) === 4 && ipv4InCidr(a, network.ipv4.prefix),
  );
  const v6prefix = network.ipv6?.prefix;
  const v6 = v6prefix ? (routeServer.peering_ipv6 ?? []).find((a) => ipv6InCidr(a, v6prefix)) : undefined;
  return { ...(v4 ? { ipv4: v4 } : {}), ...(v6 ? { ipv6: v6 } : {}) };
}
