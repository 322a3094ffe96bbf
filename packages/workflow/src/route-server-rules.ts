import { type RuntimeConfig, routeServersOfNetwork, splitNetworkId } from "@ztix/core";
import { actionFunctions } from "@ztix/route-servers/communities";

/** The large-community functions members may send (`rs:function:peer`). */
export const memberActionFunctions = actionFunctions;

/** The largest ASN a standard (RFC 1997) community can carry. */
const MAX_16BIT_ASN = 65535;

/**
 * The communities a member tags its routes with to steer what the route servers of `asn`
 * export, written out (`peer` stands for the ASN of the member a route is exported to).
 * Standard forms exist only for a 16-bit route-server ASN, and only steer towards 16-bit peers.
 * Blackholing (RFC 7999 `65535:666`) is listed for the families whose LAN has a blackhole next hop.
 */
export function actionCommunities(asn: number, blackholing: { ipv4: boolean; ipv6: boolean }) {
  const std = asn <= MAX_16BIT_ASN;
  const f = memberActionFunctions;
  const actions = [
    {
      action: "do_not_announce_to_peer",
      description: "Do not announce the route to this peer.",
      large: `${asn}:${f.doNotAnnounce}:peer`,
      standard: std ? "0:peer" : null,
    },
    {
      action: "do_not_announce_to_any",
      description:
        "Do not announce the route to any peer (combine with announce-to-peer to pick who gets it).",
      large: `${asn}:${f.doNotAnnounce}:0`,
      standard: std ? `0:${asn}` : null,
    },
    {
      action: "announce_to_peer",
      description: 'Announce the route to this peer even when "do not announce to any peer" is set.',
      large: `${asn}:${f.announce}:peer`,
      standard: std ? `${asn}:peer` : null,
    },
    ...([1, 2, 3] as const).map((times) => ({
      action: `prepend_${times}`,
      description: `Prepend your ASN ${times === 1 ? "once" : `${times} times`} towards this peer (peer 0: towards every peer).`,
      large: `${asn}:${[f.prependOnce, f.prependTwice, f.prependThrice][times - 1]}:peer`,
      standard: null,
    })),
  ];
  const families = (["ipv4", "ipv6"] as const).filter((family) => blackholing[family]);
  return {
    route_server_asn: asn,
    actions,
    blackhole:
      families.length > 0
        ? {
            community: "65535:666",
            families,
            description:
              "RFC 7999 BLACKHOLE: traffic to the prefix is dropped at the exchange. Only for space you registered in the IRR or hold a valid ROA for; the prefix may be longer than an ordinary route.",
          }
        : null,
    note: "Do-not-announce wins over announce. The route servers act on these when they export a route and then remove them, so no other member sees them.",
  };
}

/** The action communities of every distinct route-server ASN serving one network. */
export function networkActionCommunities(
  config: Pick<RuntimeConfig, "networks" | "route_servers">,
  networkId: string,
) {
  const suffix = splitNetworkId(networkId).suffix;
  const network = config.networks.find((n) => n.suffix === suffix);
  const asns = [
    ...new Set(routeServersOfNetwork(config.route_servers, config.networks, suffix).map((rs) => rs.asn)),
  ];
  const blackholing = { ipv4: Boolean(network?.blackhole_ipv4), ipv6: Boolean(network?.blackhole_ipv6) };
  return asns.map((asn) => actionCommunities(asn, blackholing));
}

/**
 * The import filters every member session gets, as data the member's pages put in words
 * (the order and the checks are the route servers' policy, render/policy.ts). Rejected routes
 * stay visible to the member as filtered, with their reason.
 */
export function importFilters(config: Pick<RuntimeConfig, "route_server_policy">) {
  const p = config.route_server_policy;
  return {
    prefix_length: { ipv4: p.ipv4_prefix_length, ipv6: p.ipv6_prefix_length },
    as_path_max_length: p.as_path_max_length,
    first_as_must_be_member: true,
    next_hop_must_be_member: true,
    bogon_prefixes_and_asns: true,
    documentation_resources_allowed: p.allow_documentation_resources,
    peering_lan_prefixes: true,
    rpki_invalid_rejected: true,
    transit_free_asns: [...new Set(p.transit_free_asns)].sort((a, b) => a - b),
    never_via_route_servers: true,
    graceful_shutdown: true,
    blackhole_max_length: { ipv4: p.blackholing.ipv4_max_length, ipv6: p.blackholing.ipv6_max_length },
    restart_wait_seconds: p.max_prefix.restart_wait_seconds,
  };
}
