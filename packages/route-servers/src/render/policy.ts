import { isIP } from "node:net";
import {
  type NetworkConfig,
  type RouteServerConfig,
  type RouteServerPolicy,
  type RtrCacheConfig,
  routeServerAddressesOn,
  type StaticRoa,
} from "@ztix/core";
import { templateName } from "../names.ts";
import {
  bogonAsnRanges,
  documentationAsnRanges,
  ipv4Bogons,
  ipv4Documentation,
  ipv6Bogons,
  ipv6Documentation,
  ipv6GlobalUnicast,
} from "./bogons.ts";
import { canonicalAddress, canonicalPrefix, intRangeSet, lines, prefixSetOrMore } from "./format.ts";
import { REJECT_REASON_FUNCTION, RPKI_INFO_FUNCTION, rejectReasons, rpkiInfo } from "./reasons.ts";

/** BIRD names the member files refer to; kept here so policy and member files agree. */
export const policyNames = {
  roa4: "ztix_roa4",
  roa6: "ztix_roa6",
  importFunction: "ztix_import",
} as const;

function reject(reason: keyof typeof rejectReasons): string {
  return `{ bgp_large_community.add((ZTIX_RS_ASN, ${REJECT_REASON_FUNCTION}, ${rejectReasons[reason]})); return false; }`;
}

function header(rs: RouteServerConfig, policy: RouteServerPolicy): string[] {
  const bogonAsns = policy.allow_documentation_resources
    ? bogonAsnRanges
    : [...bogonAsnRanges, ...documentationAsnRanges];
  const v4Bogons = policy.allow_documentation_resources ? ipv4Bogons : [...ipv4Bogons, ...ipv4Documentation];
  const v6Bogons = policy.allow_documentation_resources ? ipv6Bogons : [...ipv6Bogons, ...ipv6Documentation];
  const out = [
    `# ZT-IX route-server policy for ${rs.id}. Generated: do not edit; changes are overwritten.`,
    "",
    `define ZTIX_RS_ASN = ${rs.asn};`,
    `define ZTIX_AS_PATH_MAX = ${policy.as_path_max_length};`,
    `define ZTIX_V4_LEN_MIN = ${policy.ipv4_prefix_length[0]};`,
    `define ZTIX_V4_LEN_MAX = ${policy.ipv4_prefix_length[1]};`,
    `define ZTIX_V6_LEN_MIN = ${policy.ipv6_prefix_length[0]};`,
    `define ZTIX_V6_LEN_MAX = ${policy.ipv6_prefix_length[1]};`,
    `define ZTIX_BOGONS_V4 = ${prefixSetOrMore(v4Bogons)};`,
    `define ZTIX_UNICAST_V6 = ${prefixSetOrMore([ipv6GlobalUnicast])};`,
    `define ZTIX_BOGONS_V6 = ${prefixSetOrMore(v6Bogons)};`,
    `define ZTIX_BOGON_ASNS = ${intRangeSet(bogonAsns)};`,
  ];
  const transitFree = [...new Set(policy.transit_free_asns)].sort((a, b) => a - b);
  if (transitFree.length > 0) out.push(`define ZTIX_TRANSIT_FREE_ASNS = [ ${transitFree.join(", ")} ];`);
  return out;
}

function rpkiProtocols(rs: RouteServerConfig): string[] {
  const out = ["", `roa4 table ${policyNames.roa4};`, `roa6 table ${policyNames.roa6};`];
  rs.rpki.rtr_caches.forEach((cache: RtrCacheConfig, i: number) => {
    // BIRD takes an address bare and a host name quoted; both were validated by the schema.
    const remote = isIP(cache.host) ? canonicalAddress(cache.host) : `"${cache.host}"`;
    out.push(
      "",
      `protocol rpki ztix_rpki_${i + 1} {`,
      `  roa4 { table ${policyNames.roa4}; };`,
      `  roa6 { table ${policyNames.roa6}; };`,
      `  remote ${remote} port ${cache.port};`,
      `  retry keep ${cache.retry_seconds};`,
      `  refresh keep ${cache.refresh_seconds};`,
      `  expire keep ${cache.expire_seconds};`,
      "}",
    );
  });
  const staticFor = (family: 4 | 6) =>
    rs.rpki.static_roas.filter((r: StaticRoa) => (family === 6) === r.prefix.includes(":"));
  for (const family of [4, 6] as const) {
    const roas = staticFor(family);
    if (roas.length === 0) continue;
    out.push(
      "",
      `protocol static ztix_static_roa${family} {`,
      `  roa${family} { table ztix_roa${family}; };`,
    );
    for (const roa of roas)
      out.push(`  route ${canonicalPrefix(roa.prefix)} max ${roa.max_length} as ${roa.asn};`);
    out.push("}");
  }
  return out;
}

function rpkiCheck(table: string, netType: string): string[] {
  const check = `roa_check(${table}, net, bgp_path.last)`;
  const tag = (code: number) => `bgp_large_community.add((ZTIX_RS_ASN, ${RPKI_INFO_FUNCTION}, ${code}));`;
  return [
    `  if net.type = ${netType} then {`,
    `    if ${check} = ROA_INVALID then ${reject("rpki_invalid")}`,
    `    if ${check} = ROA_VALID then ${tag(rpkiInfo.valid)} else ${tag(rpkiInfo.unknown)}`,
    "  }",
  ];
}

function importFunction(policy: RouteServerPolicy): string[] {
  const transitFree =
    policy.transit_free_asns.length > 0
      ? [`  if filter(bgp_path, ZTIX_TRANSIT_FREE_ASNS).len > 0 then ${reject("transit_free_asn_in_path")}`]
      : [];
  return [
    "",
    "# Import policy of every member session. Returns true to accept; a rejected route carries",
    `# its reason as (ZTIX_RS_ASN, ${REJECT_REASON_FUNCTION}, code) and stays visible as filtered.`,
    `function ${policyNames.importFunction}(int peer_as)`,
    "{",
    "  # Our own informational and reason communities are never taken from a member.",
    "  bgp_large_community.delete([(ZTIX_RS_ASN, *, *)]);",
    "  if net.type = NET_IP4 then {",
    `    if net.len > ZTIX_V4_LEN_MAX then ${reject("prefix_too_long")}`,
    `    if net.len < ZTIX_V4_LEN_MIN then ${reject("prefix_too_short")}`,
    `    if net ~ ZTIX_BOGONS_V4 then ${reject("bogon_prefix")}`,
    "  } else {",
    `    if net.len > ZTIX_V6_LEN_MAX then ${reject("prefix_too_long")}`,
    `    if net.len < ZTIX_V6_LEN_MIN then ${reject("prefix_too_short")}`,
    `    if !(net ~ ZTIX_UNICAST_V6) then ${reject("bogon_prefix")}`,
    `    if net ~ ZTIX_BOGONS_V6 then ${reject("bogon_prefix")}`,
    "  }",
    `  if bgp_path.first != peer_as then ${reject("first_as_not_peer")}`,
    `  if bgp_next_hop != from then ${reject("next_hop_not_peer")}`,
    `  if bgp_path.len > ZTIX_AS_PATH_MAX then ${reject("as_path_too_long")}`,
    `  if filter(bgp_path, ZTIX_BOGON_ASNS).len > 0 then ${reject("bogon_asn_in_path")}`,
    ...transitFree,
    ...rpkiCheck("ztix_roa4", "NET_IP4"),
    ...rpkiCheck("ztix_roa6", "NET_IP6"),
    "  # RFC 8326 graceful shutdown: the route stays but loses to any alternative.",
    "  if (65535, 0) ~ bgp_community then bgp_local_pref = 0;",
    "  return true;",
    "}",
  ];
}

function template(rs: RouteServerConfig, network: NetworkConfig, family: "ipv4" | "ipv6"): string[] {
  const address = routeServerAddressesOn(rs, network)[family];
  const local = address ? `local ${canonicalAddress(address)} as ZTIX_RS_ASN;` : "local as ZTIX_RS_ASN;";
  return [
    "",
    `# Sessions of members of network ${network.suffix} (${network.name}).`,
    `template bgp ${templateName(network.suffix, family)} {`,
    `  ${local}`,
    "  # RFC 7947: a transparent route server never prepends its ASN nor changes the next hop.",
    "  rs client;",
    "  # Pass NO_EXPORT and friends through to clients instead of acting on them ourselves.",
    "  interpret communities off;",
    `  ${family} {`,
    "    # Keeps the Adj-RIB-In so ROA changes revalidate routes (BIRD >= 2.0.8) without a refresh.",
    "    import table on;",
    "    import keep filtered on;",
    "    export where source = RTS_BGP;",
    "  };",
    "}",
  ];
}

/**
 * The generated policy file of one route server: constants, ROA tables and their sources,
 * the member import function and, per network it serves, one session template per address
 * family. Pure: the same inputs always give the same bytes. `networks` are the networks the
 * route server serves (`servedNetworks`).
 */
export function renderPolicy(
  rs: RouteServerConfig,
  policy: RouteServerPolicy,
  networks: readonly NetworkConfig[],
): string {
  return lines([
    ...header(rs, policy),
    ...rpkiProtocols(rs),
    ...importFunction(policy),
    ...networks.flatMap((n) => [...template(rs, n, "ipv4"), ...template(rs, n, "ipv6")]),
  ]);
}
