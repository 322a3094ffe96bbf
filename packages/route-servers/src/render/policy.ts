import { isIP } from "node:net";
import {
  AppError,
  anyAsnSchema,
  describeIssues,
  type NetworkConfig,
  parseIpv4Cidr,
  parseIpv6Cidr,
  type RouteServerConfig,
  type RouteServerPolicy,
  type RtrCacheConfig,
  routeServerAddressesOn,
  type StaticRoa,
} from "@ztix/core";
import { z } from "zod";
import { type Family, templateName } from "../names.ts";
import {
  bogonAsnRanges,
  documentationAsnRanges,
  ipv4Bogons,
  ipv4Documentation,
  ipv6Bogons,
  ipv6Documentation,
  ipv6GlobalUnicast,
} from "./bogons.ts";
import { actionFunctions as act, BLACKHOLE, MAX_16BIT_ASN, NO_EXPORT } from "./communities.ts";
import { canonicalAddress, canonicalPrefix, intRangeSet, lines, prefixSetOrMore } from "./format.ts";
import { INFO_FUNCTION, type InfoCode, infoCodes, REJECT_REASON_FUNCTION, rejectReasons } from "./reasons.ts";

/** BIRD names the member files refer to; kept here so policy and member files agree. */
export const policyNames = {
  roa4: "ztix_roa4",
  roa6: "ztix_roa6",
  /** The checks every member route goes through (shared by all networks and families). */
  importChecks: "ztix_import_checks",
  /**
   * The import function of the previous generation of member files (`ztix_import(peer_as)`):
   * still defined, so such a file (put back after BIRD refused its successor) parses beside
   * this policy.
   */
  importFunction: "ztix_import",
  exportFunction: "ztix_export",
} as const;

/** `ztix_import_000001_v4(peer_as, irr, irr_listed)`: the import function of one network and family. */
export function importFunctionName(network: string, family: Family): string {
  return `ztix_import_${network}_${family === "ipv4" ? "v4" : "v6"}`;
}

/** Data from the database that shapes the policy file (not the runtime config). */
export interface PolicyContext {
  /**
   * ASNs whose PeeringDB record sets `info_never_via_route_servers`: a route whose AS path holds
   * one is rejected. Rendered sorted and de-duplicated; absent or empty means no such check.
   */
  neverViaRouteServers?: readonly number[];
}

/** PeeringDB flags a few hundred networks; the bound only keeps a broken feed from bloating the file. */
export const MAX_NEVER_VIA_ROUTE_SERVERS = 100_000;

export const policyContextSchema = z.strictObject({
  neverViaRouteServers: z.array(anyAsnSchema).max(MAX_NEVER_VIA_ROUTE_SERVERS).optional(),
});

/** Validates the database-supplied context, throwing `validation_failed` naming every bad field. */
export function parsePolicyContext(input: unknown): PolicyContext {
  const result = policyContextSchema.safeParse(input);
  if (!result.success) {
    const problems = describeIssues(result.error.issues);
    throw new AppError("validation_failed", `invalid route-server policy context: ${problems.join("; ")}`, {
      problems,
    });
  }
  return result.data;
}

function reject(reason: keyof typeof rejectReasons): string {
  return `{ bgp_large_community.add((ZTIX_RS_ASN, ${REJECT_REASON_FUNCTION}, ${rejectReasons[reason]})); return false; }`;
}

function tag(code: InfoCode): string {
  return `bgp_large_community.add((ZTIX_RS_ASN, ${INFO_FUNCTION}, ${infoCodes[code]}));`;
}

/** Sorted, de-duplicated ASNs as a BIRD int set, ten to a line so a long list stays readable. */
function asnSet(asns: readonly number[]): string {
  const sorted = [...new Set(asns)].sort((a, b) => a - b);
  const rows: string[] = [];
  for (let i = 0; i < sorted.length; i += 10) rows.push(`  ${sorted.slice(i, i + 10).join(", ")}`);
  return `[\n${rows.join(",\n")}\n]`;
}

/** The peering LANs of the served networks, per family, canonical, in address order, de-duplicated. */
function peeringLans(networks: readonly NetworkConfig[]): { ipv4: string[]; ipv6: string[] } {
  const v4 = [...new Set(networks.map((n) => canonicalPrefix(n.ipv4.prefix)))];
  const v6 = [...new Set(networks.flatMap((n) => (n.ipv6 ? [canonicalPrefix(n.ipv6.prefix)] : [])))];
  const v4Key = (p: string) => parseIpv4Cidr(p).network * 64 + parseIpv4Cidr(p).length;
  const v6Key = (p: string) => (parseIpv6Cidr(p).network << 8n) + BigInt(parseIpv6Cidr(p).length);
  return {
    ipv4: v4.sort((a, b) => v4Key(a) - v4Key(b)),
    ipv6: v6.sort((a, b) => (v6Key(a) < v6Key(b) ? -1 : v6Key(a) > v6Key(b) ? 1 : 0)),
  };
}

function header(
  rs: RouteServerConfig,
  policy: RouteServerPolicy,
  networks: readonly NetworkConfig[],
  neverVia: readonly number[],
): string[] {
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
    `define ZTIX_V4_BLACKHOLE_LEN_MAX = ${policy.blackholing.ipv4_max_length};`,
    `define ZTIX_V6_BLACKHOLE_LEN_MAX = ${policy.blackholing.ipv6_max_length};`,
    `define ZTIX_BOGONS_V4 = ${prefixSetOrMore(v4Bogons)};`,
    `define ZTIX_UNICAST_V6 = ${prefixSetOrMore([ipv6GlobalUnicast])};`,
    `define ZTIX_BOGONS_V6 = ${prefixSetOrMore(v6Bogons)};`,
    `define ZTIX_BOGON_ASNS = ${intRangeSet(bogonAsns)};`,
  ];
  const lans = peeringLans(networks);
  if (lans.ipv4.length > 0) out.push(`define ZTIX_PEERING_LANS_V4 = ${prefixSetOrMore(lans.ipv4)};`);
  if (lans.ipv6.length > 0) out.push(`define ZTIX_PEERING_LANS_V6 = ${prefixSetOrMore(lans.ipv6)};`);
  const transitFree = [...new Set(policy.transit_free_asns)].sort((a, b) => a - b);
  if (transitFree.length > 0) out.push(`define ZTIX_TRANSIT_FREE_ASNS = [ ${transitFree.join(", ")} ];`);
  if (neverVia.length > 0) {
    out.push(
      "# PeeringDB info_never_via_route_servers.",
      `define ZTIX_NEVER_VIA_RS_ASNS = ${asnSet(neverVia)};`,
    );
  }
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

/** Prefix checks of one family: length (a blackhole may be longer), bogons, peering LANs. */
function prefixChecks(v: "V4" | "V6", hasLans: boolean): string[] {
  return [
    "    if blackhole_request then {",
    `      if net.len > ZTIX_${v}_BLACKHOLE_LEN_MAX then ${reject("prefix_too_long")}`,
    `    } else if net.len > ZTIX_${v}_LEN_MAX then ${reject("prefix_too_long")}`,
    `    if net.len < ZTIX_${v}_LEN_MIN then ${reject("prefix_too_short")}`,
    ...(v === "V6" ? [`    if !(net ~ ZTIX_UNICAST_V6) then ${reject("bogon_prefix")}`] : []),
    `    if net ~ ZTIX_BOGONS_${v} then ${reject("bogon_prefix")}`,
    ...(hasLans ? [`    if net ~ ZTIX_PEERING_LANS_${v} then ${reject("peering_lan_prefix")}`] : []),
  ];
}

function irrCheck(policy: RouteServerPolicy): string[] {
  const { mode, rpki_valid_stands_in: standsIn } = policy.irr;
  if (mode === "off") return ["  # IRR filtering is off (route_server_policy.irr.mode)."];
  const notRegistered = mode === "strict" ? reject("irr_not_registered") : `{ ${tag("irr_not_registered")} }`;
  return [
    mode === "strict"
      ? "  # IRR, strict: a route its sender has not registered (route/route6 objects) is rejected."
      : "  # IRR, tag only: a route its sender has not registered is accepted, tagged for the looking glass.",
    `  if !irr_listed then ${tag("irr_no_prefixes")}`,
    `  if net ~ irr then ${tag("irr_registered")}`,
    ...(standsIn ? [`  else if rpki_valid then ${tag("irr_rpki_valid_stands_in")}`] : []),
    `  else ${notRegistered}`,
  ];
}

function importChecks(
  policy: RouteServerPolicy,
  networks: readonly NetworkConfig[],
  neverVia: boolean,
): string[] {
  const lans = peeringLans(networks);
  const transitFree =
    policy.transit_free_asns.length > 0
      ? [`  if filter(bgp_path, ZTIX_TRANSIT_FREE_ASNS).len > 0 then ${reject("transit_free_asn_in_path")}`]
      : [];
  const neverViaCheck = neverVia
    ? [
        `  if filter(bgp_path, ZTIX_NEVER_VIA_RS_ASNS).len > 0 then ${reject("never_via_route_servers_asn_in_path")}`,
      ]
    : [];
  const rpki = (family: 4 | 6) =>
    `roa_check(${family === 4 ? policyNames.roa4 : policyNames.roa6}, net, bgp_path.last)`;
  const unknownActions = `[(ZTIX_RS_ASN, ${act.announce + 1}..${act.prependOnce - 1}, *), (ZTIX_RS_ASN, ${act.prependThrice + 1}..4294967295, *)]`;
  return [
    "",
    "# The checks of every member route, in order. Returns true to accept; a rejected route",
    `# carries its reason as (ZTIX_RS_ASN, ${REJECT_REASON_FUNCTION}, code) and stays visible as filtered.`,
    "# irr: the sender's IRR prefixes (exact or more specific); irr_listed: whether it has any.",
    "# blackholing: whether this network has a blackhole next hop for this family.",
    `function ${policyNames.importChecks}(int peer_as; prefix set irr; bool irr_listed; bool blackholing)`,
    "bool blackhole_request;",
    "bool rpki_valid;",
    "bool rpki_invalid;",
    "{",
    "  # Under our ASN a member may only send action communities; the informational and reason",
    "  # codes are ours alone.",
    `  bgp_large_community.delete(${unknownActions});`,
    `  blackhole_request = blackholing && ${BLACKHOLE} ~ bgp_community;`,
    "  if net.type = NET_IP4 then {",
    ...prefixChecks("V4", lans.ipv4.length > 0),
    "  } else {",
    ...prefixChecks("V6", lans.ipv6.length > 0),
    "  }",
    `  if bgp_path.first != peer_as then ${reject("first_as_not_peer")}`,
    `  if bgp_next_hop != from then ${reject("next_hop_not_peer")}`,
    `  if bgp_path.len > ZTIX_AS_PATH_MAX then ${reject("as_path_too_long")}`,
    `  if filter(bgp_path, ZTIX_BOGON_ASNS).len > 0 then ${reject("bogon_asn_in_path")}`,
    ...transitFree,
    ...neverViaCheck,
    "  rpki_valid = false;",
    "  rpki_invalid = false;",
    "  if net.type = NET_IP4 then",
    `    case ${rpki(4)} { ROA_VALID: rpki_valid = true; ROA_INVALID: rpki_invalid = true; }`,
    "  else",
    `    case ${rpki(6)} { ROA_VALID: rpki_valid = true; ROA_INVALID: rpki_invalid = true; }`,
    `  if rpki_valid then ${tag("rpki_valid")}`,
    "  else if rpki_invalid then {",
    "    # A blackhole more specific is invalid whenever its ROA's max length stops short of it;",
    "    # whether its sender may blackhole it is decided below, from the IRR.",
    `    if !blackhole_request then ${reject("rpki_invalid")}`,
    `    ${tag("rpki_not_checked")}`,
    `  } else ${tag("rpki_unknown")}`,
    "  # RFC 7999: only space the sender registered in the IRR or holds a valid ROA for.",
    `  if blackhole_request && !(net ~ irr || rpki_valid) then ${reject("blackhole_outside_member_space")}`,
    ...irrCheck(policy),
    "  # RFC 8326 graceful shutdown: the route stays but loses to any alternative.",
    "  if (65535, 0) ~ bgp_community then bgp_local_pref = 0;",
    "  return true;",
    "}",
    "",
    `# The previous generation of member files calls ${policyNames.importFunction}(peer_as); kept so such a`,
    "# file, put back after BIRD refused its successor, still parses. No IRR list, no blackholing.",
    `function ${policyNames.importFunction}(int peer_as)`,
    "{",
    `  return ${policyNames.importChecks}(peer_as, [ ], false, false);`,
    "}",
  ];
}

/** One network's import function per family: the shared checks, then its blackhole next hop. */
function networkImport(network: NetworkConfig, family: Family): string[] {
  const name = importFunctionName(network.suffix, family);
  const address = family === "ipv4" ? network.blackhole_ipv4 : network.blackhole_ipv6;
  const args = `peer_as, irr, irr_listed, ${address !== undefined}`;
  const head = [
    "",
    `# Routes from members of network ${network.suffix}, ${family === "ipv4" ? "IPv4" : "IPv6"}${address ? `; blackholing to ${canonicalAddress(address)}` : "; no blackholing"}.`,
    `function ${name}(int peer_as; prefix set irr; bool irr_listed)`,
    "{",
  ];
  if (address === undefined) return [...head, `  return ${policyNames.importChecks}(${args});`, "}"];
  return [
    ...head,
    `  if !${policyNames.importChecks}(${args}) then return false;`,
    "  # With blackholing on, the checks accept a BLACKHOLE route only as a blackhole.",
    `  if ${BLACKHOLE} ~ bgp_community then {`,
    `    bgp_next_hop = ${canonicalAddress(address)};`,
    `    bgp_community.add(${NO_EXPORT});`,
    "  }",
    "  return true;",
    "}",
  ];
}

function exportFunction(rs: RouteServerConfig): string[] {
  const rs16 = rs.asn <= MAX_16BIT_ASN;
  const lc = (fn: number, target: string) => `(ZTIX_RS_ASN, ${fn}, ${target}) ~ bgp_large_community`;
  const prepend = (times: number) => Array(times).fill("bgp_path.prepend(bgp_path.first);").join(" ");
  const prepends = [act.prependThrice, act.prependTwice, act.prependOnce].map((fn, i) => {
    const times = 3 - i;
    return `  ${i === 0 ? "if" : "else if"} ${lc(fn, "peer_as")} || ${lc(fn, "0")} then { ${prepend(times)} }`;
  });
  const noneButNamed = rs16
    ? [
        `  if ${lc(act.doNotAnnounce, "0")} || (0, ZTIX_RS_ASN) ~ bgp_community then {`,
        `    if !(${lc(act.announce, "peer_as")}) then {`,
        `      if peer_as > ${MAX_16BIT_ASN} then return false;`,
        "      if !((ZTIX_RS_ASN, peer_as) ~ bgp_community) then return false;",
        "    }",
        "  }",
      ]
    : [
        `  if ${lc(act.doNotAnnounce, "0")} then {`,
        `    if !(${lc(act.announce, "peer_as")}) then return false;`,
        "  }",
      ];
  return [
    "",
    "# Export to one member (peer_as): acts on the senders' action communities, then removes",
    "# them, so no member sees another's steering. Well-known communities pass untouched.",
    `function ${policyNames.exportFunction}(int peer_as)`,
    "{",
    "  if source != RTS_BGP then return false;",
    "  # Do not announce to this peer.",
    `  if ${lc(act.doNotAnnounce, "peer_as")} then return false;`,
    `  if peer_as <= ${MAX_16BIT_ASN} then { if (0, peer_as) ~ bgp_community then return false; }`,
    "  # Do not announce to any peer, unless this one is named.",
    ...noneButNamed,
    "  # Prepend the sender's ASN towards this peer (0: towards every peer); the most wins.",
    ...prepends,
    `  bgp_large_community.delete([(ZTIX_RS_ASN, ${act.doNotAnnounce}, *), (ZTIX_RS_ASN, ${act.announce}, *), (ZTIX_RS_ASN, ${act.prependOnce}..${act.prependThrice}, *)]);`,
    "  bgp_community.delete([(0, *)]);",
    ...(rs16 ? ["  bgp_community.delete([(ZTIX_RS_ASN, *)]);"] : []),
    "  return true;",
    "}",
  ];
}

function template(
  rs: RouteServerConfig,
  policy: RouteServerPolicy,
  network: NetworkConfig,
  family: Family,
): string[] {
  const address = routeServerAddressesOn(rs, network)[family];
  const local = address ? `local ${canonicalAddress(address)} as ZTIX_RS_ASN;` : "local as ZTIX_RS_ASN;";
  const [waitMin, waitMax] = policy.max_prefix.restart_wait_seconds;
  return [
    "",
    `# Sessions of members of network ${network.suffix} (${network.name}).`,
    `template bgp ${templateName(network.suffix, family)} {`,
    `  ${local}`,
    "  # RFC 7947: a transparent route server never prepends its ASN nor changes the next hop.",
    "  rs client;",
    "  # Pass NO_EXPORT and friends through to clients instead of acting on them ourselves.",
    "  interpret communities off;",
    "  # After an error (a receive limit hit among them) wait before the next session: the",
    "  # first time min seconds, then twice as long each time, up to max; reset after forget.",
    `  error wait time ${waitMin}, ${waitMax};`,
    `  error forget time ${policy.max_prefix.restart_forget_seconds};`,
    `  ${family} {`,
    "    # Keeps the Adj-RIB-In so ROA changes revalidate routes (BIRD >= 2.0.8) without a refresh.",
    "    import table on;",
    "    # Filtered routes stay visible with their reasons; the member file's receive limit",
    "    # counts them too, so they cannot grow without bound.",
    "    import keep filtered on;",
    "    # Member files replace this with ztix_export(<peer AS>).",
    "    export where source = RTS_BGP;",
    "  };",
    "}",
  ];
}

/**
 * The generated policy file of one route server: constants, ROA tables and their sources,
 * the member import checks, one import function per network and family (its blackhole next
 * hop), the export function that acts on action communities and, per network, one session
 * template per family. Pure: the same inputs always give the same bytes. `networks` are the
 * networks the route server serves (`servedNetworks`); `context` carries what comes from the
 * database (validated here).
 */
export function renderPolicy(
  rs: RouteServerConfig,
  policy: RouteServerPolicy,
  networks: readonly NetworkConfig[],
  context: PolicyContext = {},
): string {
  const neverVia = parsePolicyContext(context).neverViaRouteServers ?? [];
  return lines([
    ...header(rs, policy, networks, neverVia),
    ...rpkiProtocols(rs),
    ...importChecks(policy, networks, neverVia.length > 0),
    ...networks.flatMap((n) => [...networkImport(n, "ipv4"), ...networkImport(n, "ipv6")]),
    ...exportFunction(rs),
    ...networks.flatMap((n) => [...template(rs, policy, n, "ipv4"), ...template(rs, policy, n, "ipv6")]),
  ]);
}
