import { readFileSync } from "node:fs";
import { ipv6InCidr, networkConfigSchema, routeServerPolicySchema, routeServerSchema } from "@ztix/core";
import { birdPrefixSet } from "@ztix/irr";
import { describe, expect, it } from "vitest";
import {
  actionCommunities,
  actionFunctions,
  BLACKHOLE,
  INFO_FUNCTION,
  type InfoCode,
  infoCodes,
  infoCodeText,
  ipv4Bogons,
  ipv4Documentation,
  ipv6Bogons,
  ipv6Documentation,
  ipv6GlobalUnicast,
  isCanonicalPrefix,
  MAX_IRR_PREFIXES,
  MAX_NEVER_VIA_ROUTE_SERVERS,
  maxPrefixLimit,
  memberFileName,
  memberProtocolName,
  NO_EXPORT,
  parseMember,
  REJECT_REASON_FUNCTION,
  type RejectReason,
  rejectReasons,
  rejectReasonText,
  renderMainConfig,
  renderMember,
  renderPolicy,
  resolveMaxPrefix,
} from "../src/index.ts";
import { canonicalPrefix } from "../src/render/format.ts";
import { memberFixture, networkFixture, policyFixture, routeServerFixture } from "./support/fixtures.ts";

/** The text of one BIRD function, from its header to the closing brace at the start of a line. */
function functionText(text: string, name: string): string {
  const start = text.indexOf(`function ${name}(`);
  if (start < 0) throw new Error(`no function ${name}`);
  return text.slice(start, text.indexOf("\n}\n", start) + 2);
}

/** The line of `text` matching `pattern` (exactly one). */
function lineOf(text: string, pattern: RegExp): string {
  const found = text.split("\n").filter((l) => pattern.test(l));
  if (found.length !== 1) throw new Error(`${found.length} lines match ${pattern}`);
  return found[0]!;
}

const lan = [networkFixture()];
const renderPolicyOf = (
  rs: ReturnType<typeof routeServerFixture>,
  policy: ReturnType<typeof policyFixture>,
) => renderPolicy(rs, policy, lan);

describe("policy rendering", () => {
  const rs = routeServerFixture();
  const policy = routeServerPolicySchema.parse({});

  it("gives the same bytes for the same inputs", () => {
    expect(renderPolicyOf(rs, policy)).toBe(
      renderPolicy(structuredClone(rs), structuredClone(policy), structuredClone(lan)),
    );
  });

  it("makes every member session a transparent route-server client with an import table", () => {
    const text = renderPolicyOf(rs, policy);
    for (const family of ["v4", "v6"]) {
      const template = text.slice(text.indexOf(`template bgp ztix_member_000001_${family}`));
      expect(template).toMatch(/rs client;[\s\S]*import table on;[\s\S]*import keep filtered on;/);
    }
    expect(text).toContain("local 192.0.2.1 as ZTIX_RS_ASN;");
    expect(text).toContain("local 2001:db8::1 as ZTIX_RS_ASN;");
    expect(text).toContain("define ZTIX_RS_ASN = 64500;");
    // Never its own ASN: the only prepends are the sender's, asked for by action communities.
    expect(text).not.toMatch(/prepend\((ZTIX_RS_ASN|64500)\)/);
    expect(text.match(/\.prepend\(([^)]*)\)/g)?.every((p) => p === ".prepend(bgp_path.first)")).toBe(true);
  });

  it("gives each network it serves its own templates, peering from the address on that LAN", () => {
    const two = [
      networkFixture(),
      networkFixture({
        suffix: "000002",
        name: "second",
        ipv4: { prefix: "198.51.100.0/24", pool_start: "198.51.100.10", pool_end: "198.51.100.99" },
        ipv6: { prefix: "2001:db8:2::/64" },
      }),
    ];
    const text = renderPolicy(
      routeServerFixture({ peering_ipv4: ["192.0.2.1", "198.51.100.1"], peering_ipv6: ["2001:db8::1"] }),
      policy,
      two,
    );
    const templateOf = (name: string) => text.slice(text.indexOf(`template bgp ${name} {`)).split("}")[0];
    expect(templateOf("ztix_member_000001_v4")).toContain("local 192.0.2.1 as ZTIX_RS_ASN;");
    expect(templateOf("ztix_member_000002_v4")).toContain("local 198.51.100.1 as ZTIX_RS_ASN;");
    expect(templateOf("ztix_member_000001_v6")).toContain("local 2001:db8::1 as ZTIX_RS_ASN;");
    // No address of this route server lies on the second network's IPv6 LAN: BIRD picks one.
    expect(templateOf("ztix_member_000002_v6")).toContain("local as ZTIX_RS_ASN;");
  });

  it("rejects with a reason code for every check", () => {
    const text = renderPolicy(rs, policyFixture({ irr: { mode: "strict" } }), lan, {
      neverViaRouteServers: [64509],
    });
    const checks: Array<[RegExp, keyof typeof rejectReasons]> = [
      [/net\.len > ZTIX_V4_LEN_MAX/, "prefix_too_long"],
      [/net\.len > ZTIX_V4_BLACKHOLE_LEN_MAX/, "prefix_too_long"],
      [/net\.len < ZTIX_V4_LEN_MIN/, "prefix_too_short"],
      [/net ~ ZTIX_BOGONS_V4/, "bogon_prefix"],
      [/!\(net ~ ZTIX_UNICAST_V6\)/, "bogon_prefix"],
      [/net ~ ZTIX_BOGONS_V6/, "bogon_prefix"],
      [/net ~ ZTIX_PEERING_LANS_V4/, "peering_lan_prefix"],
      [/net ~ ZTIX_PEERING_LANS_V6/, "peering_lan_prefix"],
      [/filter\(bgp_path, ZTIX_BOGON_ASNS\)/, "bogon_asn_in_path"],
      [/bgp_path\.len > ZTIX_AS_PATH_MAX/, "as_path_too_long"],
      [/bgp_path\.first != peer_as/, "first_as_not_peer"],
      [/bgp_next_hop != from/, "next_hop_not_peer"],
      [/if !blackhole_request then/, "rpki_invalid"],
      [/filter\(bgp_path, ZTIX_TRANSIT_FREE_ASNS\)/, "transit_free_asn_in_path"],
      [/filter\(bgp_path, ZTIX_NEVER_VIA_RS_ASNS\)/, "never_via_route_servers_asn_in_path"],
      [/blackhole_request && !\(net ~ irr \|\| rpki_valid\)/, "blackhole_outside_member_space"],
      [/^ {2}else \{ bgp_large_community/, "irr_not_registered"],
    ];
    for (const [check, reason] of checks) {
      expect(lineOf(text, check), `${check}`).toContain(`(ZTIX_RS_ASN, 1101, ${rejectReasons[reason]})`);
    }
    // Every reason code is rendered somewhere, and each code means one reason.
    for (const code of Object.values(rejectReasons)) expect(text).toContain(`(ZTIX_RS_ASN, 1101, ${code})`);
    expect(new Set(Object.values(rejectReasons)).size).toBe(Object.keys(rejectReasons).length);
    expect(text).toContain("if (65535, 0) ~ bgp_community then bgp_local_pref = 0;");
  });

  it("checks in a fixed order: prefix, path, RPKI, blackhole space, IRR, graceful shutdown", () => {
    const body = functionText(
      renderPolicy(rs, policyFixture({ irr: { mode: "strict" } }), lan),
      "ztix_import_checks",
    );
    const order = [
      "bgp_large_community.delete(",
      "net ~ ZTIX_BOGONS_V4",
      "net ~ ZTIX_PEERING_LANS_V4",
      "bgp_path.first != peer_as",
      "ZTIX_TRANSIT_FREE_ASNS",
      "roa_check(ztix_roa4",
      "blackhole_request && !(net ~ irr",
      "if net ~ irr then",
      "(65535, 0) ~ bgp_community",
    ].map((needle) => body.indexOf(needle));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("lists documentation prefixes and ASNs as bogons unless the lab allows them", () => {
    const bogons = (text: string) =>
      ["V4", "V6"].map((v) => lineOf(text, new RegExp(`define ZTIX_BOGONS_${v}`))).join("\n") +
      lineOf(text, /define ZTIX_BOGON_ASNS/);
    const strict = bogons(renderPolicyOf(rs, policy));
    expect(strict).toContain("192.0.2.0/24+");
    expect(strict).toContain("2001:db8::/32+");
    expect(strict).toContain("64496..64511");
    const lab = bogons(renderPolicyOf(rs, policyFixture()));
    expect(lab).not.toContain("192.0.2.0/24+");
    expect(lab).not.toContain("2001:db8::/32+");
    expect(lab).not.toContain("64496..64511");
    expect(lab).toContain("64512..65534");
  });

  it("uses the configured prefix lengths, path limit and transit-free list", () => {
    const text = renderPolicyOf(
      rs,
      policyFixture({
        ipv4_prefix_length: [10, 25],
        as_path_max_length: 32,
        transit_free_asns: [3356, 174, 3356],
      }),
    );
    expect(text).toContain("define ZTIX_V4_LEN_MIN = 10;");
    expect(text).toContain("define ZTIX_V4_LEN_MAX = 25;");
    expect(text).toContain("define ZTIX_AS_PATH_MAX = 32;");
    expect(text).toContain("define ZTIX_TRANSIT_FREE_ASNS = [ 174, 3356 ];");
    expect(renderPolicyOf(rs, policyFixture({ transit_free_asns: [] }))).not.toContain(
      "ZTIX_TRANSIT_FREE_ASNS",
    );
  });

  it("connects one rpki protocol per RTR cache and renders static ROAs per family", () => {
    const text = renderPolicyOf(
      routeServerFixture({
        rpki: {
          rtr_caches: [{ host: "127.0.0.1", port: 8282 }, { host: "rtr.example.net" }],
          static_roas: [
            { prefix: "198.51.100.7/24", max_length: 24, asn: 64501 },
            { prefix: "2001:db8:100::/48", max_length: 48, asn: 64501 },
          ],
        },
      }),
      policy,
    );
    expect(text).toContain("protocol rpki ztix_rpki_1 {");
    expect(text).toContain("  remote 127.0.0.1 port 8282;");
    expect(text).toContain('  remote "rtr.example.net" port 323;');
    expect(text).toMatch(
      /protocol static ztix_static_roa4 \{\n {2}roa4 \{ table ztix_roa4; \};\n {2}route 198\.51\.100\.0\/24 max 24 as 64501;/,
    );
    expect(text).toContain("route 2001:db8:100::/48 max 48 as 64501;");
  });

  it("refuses route-server settings that could inject BIRD syntax, naming the field", () => {
    expect(() => routeServerFixture({ id: "rs1; protocol" })).toThrow(/lower-case letters, digits/);
    expect(() =>
      routeServerFixture({ rpki: { rtr_caches: [{ host: 'x"; include "/etc/shadow' }] } }),
    ).toThrow(/IP address or a host name/);
    expect(() => routeServerFixture({ paths: { policy_file: '/etc/bird/x"; include "/y' } })).toThrow(
      /absolute path of letters/,
    );
    expect(() =>
      routeServerFixture({ rpki: { static_roas: [{ prefix: "198.51.100.0/24", max_length: 16, asn: 1 }] } }),
    ).toThrow(/max_length/);
    expect(() => routeServerFixture({ networks: ["00000g"] })).toThrow(/6 lower-case hex digits/);
  });
});

describe("member rendering", () => {
  const policy = policyFixture();

  it("names the file and protocols from the ASN, the network and the node", () => {
    const m = renderMember(memberFixture(), policy);
    expect(m.fileName).toBe("AS64501_000001_0123456789.conf");
    expect(m.fileName).toBe(memberFileName({ asn: 64501, network: "000001", nodeId: "0123456789" }));
    expect(m.protocols).toEqual(["m_as64501_000001_0123456789_v4", "m_as64501_000001_0123456789_v6"]);
    const other = renderMember(memberFixture({ network: "000002" }), policy);
    expect(other.fileName).not.toBe(m.fileName);
    expect(other.protocols.filter((p) => m.protocols.includes(p))).toEqual([]);
    // BIRD symbols are at most 64 characters, from letters, digits and '_'.
    expect(memberProtocolName({ asn: 4294967294, network: "ffffff", nodeId: "abcdef0123" }, "ipv6")).toMatch(
      /^[a-z][a-z0-9_]{0,63}$/,
    );
  });

  it("renders one session per address family the member has", () => {
    const v4only = renderMember(memberFixture({ ipv6: undefined }), policy);
    expect(v4only.protocols).toEqual(["m_as64501_000001_0123456789_v4"]);
    expect(v4only.text).not.toContain("ipv6 {");
    const full = renderMember(memberFixture({ ipv6: "2001:0db8:0000::0011" }), policy);
    expect(full.text).toContain("protocol bgp m_as64501_000001_0123456789_v4 from ztix_member_000001_v4 {");
    expect(full.text).toContain("  neighbor 192.0.2.11 as 64501;");
    expect(full.text).toContain("protocol bgp m_as64501_000001_0123456789_v6 from ztix_member_000001_v6 {");
    // Addresses are canonicalized, so the same member always hashes the same.
    expect(full.text).toContain("  neighbor 2001:db8::11 as 64501;");
    expect(full.text).toContain("    import where ztix_import_000001_v4(64501, [ ], false);");
    expect(full.text).toContain("    export where ztix_export(64501);");
    // `where`, never inline filter blocks, which BIRD parses in quadratic time.
    expect(full.text).not.toContain("filter {");
  });

  it("sets a per-family receive limit with headroom and a floor, or the default when unknown, restarting the session", () => {
    const m = renderMember(memberFixture({ maxPrefix: { ipv4: 101, ipv6: 2 } }), policy);
    expect(m.text).toContain("receive limit 122 action restart;"); // 101 * 1.2 = 121.2, rounded up
    expect(m.text).toContain("receive limit 10 action restart;"); // 2 * 1.2 = 3, below the floor
    expect(m.text).not.toContain("import limit");
    expect(maxPrefixLimit(memberFixture(), "ipv4", policy)).toBe(100);
    expect(maxPrefixLimit(memberFixture(), "ipv6", policy)).toBe(50);
    expect(
      maxPrefixLimit(
        memberFixture({ maxPrefix: { ipv6: 10 } }),
        "ipv6",
        policyFixture({ max_prefix: { headroom_percent: 0 } }),
      ),
    ).toBe(10);
    expect(maxPrefixLimit(memberFixture(), "ipv6", policyFixture({ max_prefix: { ipv6_default: 7 } }))).toBe(
      7,
    );
    // The floor applies to known figures only; an unknown one gets the default, even if lower.
    const floors = policyFixture({ max_prefix: { ipv4_floor: 500, ipv4_default: 40 } });
    expect(maxPrefixLimit(memberFixture({ maxPrefix: { ipv4: 41 } }), "ipv4", floors)).toBe(500);
    expect(maxPrefixLimit(memberFixture(), "ipv4", floors)).toBe(40);
    expect(maxPrefixLimit(memberFixture({ maxPrefix: { ipv4: 41 } }), "ipv4", policy)).toBe(50);
  });

  it("renders a limit the caller resolved as it is, per family", () => {
    const m = memberFixture({ maxPrefix: { ipv4: 100, ipv6: 100 }, receiveLimit: { ipv4: 7 } });
    expect(maxPrefixLimit(m, "ipv4", policy)).toBe(7); // below the floor: an admin's word
    expect(maxPrefixLimit(m, "ipv6", policy)).toBe(120);
    expect(renderMember(m, policy).text).toContain("receive limit 7 action restart;");
    for (const receiveLimit of [{ ipv4: 0 }, { ipv4: 1.5 }, { ipv6: "10; }" }, { both: 1 }]) {
      expect(() => parseMember({ ...memberFixture(), receiveLimit }), JSON.stringify(receiveLimit)).toThrow(
        expect.objectContaining({ code: "validation_failed" }),
      );
    }
  });

  it("puts each family's limit in that family's session", () => {
    const text = renderMember(
      memberFixture({ maxPrefix: { ipv4: 1000 }, receiveLimit: { ipv6: 33 } }),
      policy,
    ).text;
    const v6Start = text.indexOf("protocol bgp m_as64501_000001_0123456789_v6 ");
    expect(lineOf(text.slice(0, v6Start), /receive limit/)).toBe("    receive limit 1200 action restart;");
    expect(lineOf(text.slice(v6Start), /receive limit/)).toBe("    receive limit 33 action restart;");
    // A single-family member has a single limit.
    expect(
      renderMember(memberFixture({ ipv4: undefined, maxPrefix: { ipv4: 1000 } }), policy).text.match(
        /receive limit \d+ action restart;/g,
      ),
    ).toEqual(["receive limit 50 action restart;"]);
  });

  it("derives the same limit from a raw PeeringDB figure as a reconcile resolves from the record", () => {
    for (const headroom_percent of [0, 10, 20, 33, 150]) {
      const p = policyFixture({ max_prefix: { headroom_percent, ipv4_floor: 12, ipv6_floor: 7 } });
      for (const count of [1, 2, 8, 9, 10, 41, 100, 999, 12_345, 1_000_000]) {
        const resolved = resolveMaxPrefix(
          p,
          {},
          {
            prefixes4: count,
            prefixes6: count,
            irrAsSets: [],
            neverViaRouteServers: false,
          },
        );
        const raw = memberFixture({ maxPrefix: { ipv4: count, ipv6: count } });
        expect(maxPrefixLimit(raw, "ipv4", p), `${count} +${headroom_percent}%`).toBe(resolved.ipv4.limit);
        expect(maxPrefixLimit(raw, "ipv6", p), `${count} +${headroom_percent}%`).toBe(resolved.ipv6.limit);
      }
      const unknown = resolveMaxPrefix(p, {}, undefined);
      expect([unknown.ipv4.limit, unknown.ipv6.limit]).toEqual([
        maxPrefixLimit(memberFixture(), "ipv4", p),
        maxPrefixLimit(memberFixture(), "ipv6", p),
      ]);
    }
  });

  it("leaves the request id out of the file, so only what BIRD reads changes it", () => {
    expect(renderMember(memberFixture({ requestId: "other" }), policy).text).toBe(
      renderMember(memberFixture(), policy).text,
    );
  });

  it("rejects members whose fields could not be trusted in a config file", () => {
    const bad: Array<Partial<Record<string, unknown>>> = [
      { nodeId: "0123456789; }" },
      { nodeId: "ff23456789" },
      { asn: 0 },
      { asn: 2 ** 32 },
      { ipv4: "192.0.2.300" },
      { ipv6: "2001:db8::1; }" },
      { requestId: 'x" }' },
      { network: "xyz" },
      { network: "000001; }" },
      { ipv4: undefined, ipv6: undefined },
      { maxPrefix: { ipv4: 0 } },
    ];
    for (const overrides of bad) {
      expect(() => parseMember({ ...memberFixture(), ...overrides }), JSON.stringify(overrides)).toThrow(
        expect.objectContaining({ code: "validation_failed" }),
      );
    }
  });

  it("gives the same text for the same member", () => {
    expect(renderMember(memberFixture(), policy)).toEqual(renderMember({ ...memberFixture() }, policy));
  });
});

describe("main config", () => {
  it("includes the policy file and the members directory", () => {
    const text = renderMainConfig(routeServerFixture({}, "/srv/rs1"));
    expect(text).toContain("router id 192.0.2.1;");
    expect(text).toContain('include "/srv/rs1/ztix/policy.conf";');
    expect(text).toContain('include "/srv/rs1/ztix/members/*.conf";');
    expect(() => renderMainConfig(routeServerFixture(), { logFile: '/tmp/x"; y' })).toThrow(
      /unsafe log file/,
    );
  });

  it("rejects an RTR cache whose expiry is not after its refresh", () => {
    expect(
      routeServerSchema.safeParse({
        ...routeServerFixture(),
        rpki: { rtr_caches: [{ host: "127.0.0.1", refresh_seconds: 7200, expire_seconds: 7200 }] },
      }).success,
    ).toBe(false);
  });
});

describe("receive limits and restarts", () => {
  it("waits before a session torn down by its limit comes back, as configured", () => {
    const text = renderPolicy(
      routeServerFixture(),
      policyFixture({ max_prefix: { restart_wait_seconds: [30, 600], restart_forget_seconds: 900 } }),
      [networkFixture()],
    );
    for (const family of ["v4", "v6"]) {
      const template = text
        .slice(text.indexOf(`template bgp ztix_member_000001_${family}`))
        .split("\n}\n")[0];
      expect(template).toContain("  error wait time 30, 600;");
      expect(template).toContain("  error forget time 900;");
    }
    const defaults = renderPolicy(routeServerFixture(), policyFixture(), [networkFixture()]);
    expect(defaults).toContain("  error wait time 60, 300;");
    expect(defaults).toContain("  error forget time 300;");
  });

  it("refuses IRR and blackholing settings that are not what they claim to be", () => {
    for (const policy of [
      { irr: { mode: "strict; }" } },
      { irr: { mode: "loose" } },
      { irr: { rpki_valid_stands_in: "true" } },
      { irr: { extra: 1 } },
      { blackholing: { ipv4_max_length: "32; }" } },
      { blackholing: { ipv4_max_length: 33 } },
      { blackholing: { ipv6_max_length: 129 } },
    ]) {
      expect(routeServerPolicySchema.safeParse(policy).success, JSON.stringify(policy)).toBe(false);
    }
  });

  it("refuses restart waits BIRD would not take", () => {
    for (const max_prefix of [
      { restart_wait_seconds: [300, 60] },
      { restart_wait_seconds: [0, 60] },
      { restart_forget_seconds: 0 },
      { ipv4_floor: 0 },
    ]) {
      expect(routeServerPolicySchema.safeParse({ max_prefix }).success, JSON.stringify(max_prefix)).toBe(
        false,
      );
    }
  });
});

describe("peering LANs", () => {
  const second = networkFixture({
    suffix: "000002",
    name: "second",
    ipv4: { prefix: "198.51.100.0/24", pool_start: "198.51.100.10", pool_end: "198.51.100.99" },
    ipv6: { prefix: "2001:db8:2::/64" },
  });

  it("rejects the LAN prefixes of every network served, and anything inside them", () => {
    const text = renderPolicy(routeServerFixture(), policyFixture(), [second, networkFixture(), second]);
    // In address order, each once, whatever the order of the networks.
    expect(lineOf(text, /define ZTIX_PEERING_LANS_V4/)).toBe(
      "define ZTIX_PEERING_LANS_V4 = [ 192.0.2.0/24+, 198.51.100.0/24+ ];",
    );
    expect(lineOf(text, /define ZTIX_PEERING_LANS_V6/)).toBe(
      "define ZTIX_PEERING_LANS_V6 = [ 2001:db8::/64+, 2001:db8:2::/64+ ];",
    );
    const checks = functionText(text, "ztix_import_checks");
    expect(lineOf(checks, /ZTIX_PEERING_LANS_V4/)).toBe(
      "    if net ~ ZTIX_PEERING_LANS_V4 then { bgp_large_community.add((ZTIX_RS_ASN, 1101, 16)); return false; }",
    );
    expect(lineOf(checks, /ZTIX_PEERING_LANS_V6/)).toBe(
      "    if net ~ ZTIX_PEERING_LANS_V6 then { bgp_large_community.add((ZTIX_RS_ASN, 1101, 16)); return false; }",
    );
    // After the bogon check of its family, before the path checks.
    expect(checks.indexOf("net ~ ZTIX_BOGONS_V4")).toBeLessThan(checks.indexOf("ZTIX_PEERING_LANS_V4"));
    expect(checks.indexOf("ZTIX_PEERING_LANS_V6")).toBeLessThan(checks.indexOf("bgp_path.first != peer_as"));
  });

  it("leaves the IPv6 check out when no network has an IPv6 LAN", () => {
    const text = renderPolicy(routeServerFixture(), policyFixture(), [networkFixture({ ipv6: undefined })]);
    expect(text).toContain("define ZTIX_PEERING_LANS_V4 = [ 192.0.2.0/24+ ];");
    expect(text).not.toContain("ZTIX_PEERING_LANS_V6");
  });
});

describe("bogons", () => {
  // The IPv6 bogons of the usual lists (arouteserver's, NLNOG's bgpfilterguide, IANA's
  // special-purpose registry entries that are not globally reachable).
  const usual = [
    "::/8",
    "100::/64",
    "2001::/32",
    "2001:2::/48",
    "2001:10::/28",
    "2001:20::/28",
    "2001:db8::/32",
    "2002::/16",
    "3ffe::/16",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
  ];

  it("rejects every usual IPv6 bogon: outside 2000::/3, or listed", () => {
    const listed = [...ipv6Bogons, ...ipv6Documentation];
    for (const prefix of usual) {
      const address = prefix.split("/")[0]!;
      const outside = !ipv6InCidr(address, ipv6GlobalUnicast);
      const covered = listed.some(
        (b) => ipv6InCidr(address, b) && Number(prefix.split("/")[1]) >= Number(b.split("/")[1]),
      );
      expect(outside || covered, prefix).toBe(true);
    }
  });

  it("renders the IPv6 bogon set and the global-unicast check exactly", () => {
    const strict = renderPolicy(routeServerFixture(), routeServerPolicySchema.parse({}), [networkFixture()]);
    expect(lineOf(strict, /define ZTIX_UNICAST_V6/)).toBe("define ZTIX_UNICAST_V6 = [ 2000::/3+ ];");
    expect(lineOf(strict, /define ZTIX_BOGONS_V6/)).toBe(
      "define ZTIX_BOGONS_V6 = [ 2001::/32+, 2001:2::/48+, 2001:10::/28+, 2001:20::/28+, 2002::/16+, 3ffe::/16+, 5f00::/16+, 2001:db8::/32+, 3fff::/20+ ];",
    );
    const checks = functionText(strict, "ztix_import_checks");
    expect(lineOf(checks, /ZTIX_UNICAST_V6/)).toBe(
      "    if !(net ~ ZTIX_UNICAST_V6) then { bgp_large_community.add((ZTIX_RS_ASN, 1101, 3)); return false; }",
    );
    expect(lineOf(checks, /ZTIX_BOGONS_V6/)).toBe(
      "    if net ~ ZTIX_BOGONS_V6 then { bgp_large_community.add((ZTIX_RS_ASN, 1101, 3)); return false; }",
    );
  });

  it("lists Teredo, 6to4, ORCHID and benchmarking space, and documentation only when not allowed", () => {
    const strict = renderPolicy(routeServerFixture(), routeServerPolicySchema.parse({}), [networkFixture()]);
    const v6 = lineOf(strict, /define ZTIX_BOGONS_V6/);
    for (const p of [
      "2001::/32+",
      "2002::/16+",
      "2001:10::/28+",
      "2001:20::/28+",
      "2001:2::/48+",
      "2001:db8::/32+",
      "3fff::/20+",
    ])
      expect(v6).toContain(p);
    const lab = lineOf(
      renderPolicy(routeServerFixture(), policyFixture(), [networkFixture()]),
      /define ZTIX_BOGONS_V6/,
    );
    expect(lab).toContain("2001::/32+");
    expect(lab).not.toContain("2001:db8::/32+");
    expect(lab).not.toContain("3fff::/20+");
  });
});

describe("never via route servers", () => {
  const rs = routeServerFixture();
  const render = (context?: Parameters<typeof renderPolicy>[3]) =>
    renderPolicy(rs, policyFixture(), [networkFixture()], context);

  it("renders the flagged ASNs sorted and de-duplicated, and checks the whole path against them", () => {
    const asns = [65551, 3, 64509, 3, 1, 4200000001, ...Array.from({ length: 12 }, (_, i) => 100 + i)];
    const text = render({ neverViaRouteServers: asns });
    const set = text.slice(
      text.indexOf("define ZTIX_NEVER_VIA_RS_ASNS"),
      text.indexOf("];", text.indexOf("define ZTIX_NEVER_VIA_RS_ASNS")) + 2,
    );
    const listed = set
      .replace(/^[^[]*\[|\];$/g, "")
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    expect(listed).toEqual([...new Set(asns)].sort((a, b) => a - b));
    expect(lineOf(functionText(text, "ztix_import_checks"), /ZTIX_NEVER_VIA_RS_ASNS/)).toBe(
      "  if filter(bgp_path, ZTIX_NEVER_VIA_RS_ASNS).len > 0 then { bgp_large_community.add((ZTIX_RS_ASN, 1101, 17)); return false; }",
    );
    // Ten to a line.
    expect(set.split("\n")[1]).toBe("  1, 3, 100, 101, 102, 103, 104, 105, 106, 107,");
    // The same set in another order gives the same bytes.
    expect(render({ neverViaRouteServers: [...asns].reverse() })).toBe(text);
  });

  it("has no such check when the list is absent or empty", () => {
    for (const context of [undefined, {}, { neverViaRouteServers: [] }]) {
      expect(render(context)).not.toContain("ZTIX_NEVER_VIA_RS_ASNS");
    }
    expect(render({ neverViaRouteServers: [] })).toBe(render());
  });

  it("refuses anything but ASNs, naming the field", () => {
    const bad: unknown[] = [
      { neverViaRouteServers: [0] },
      { neverViaRouteServers: [2 ** 32] },
      { neverViaRouteServers: [1.5] },
      { neverViaRouteServers: ["64509"] },
      { neverViaRouteServers: ["1 ]; function x() { }"] },
      { neverViaRouteServers: Array(MAX_NEVER_VIA_ROUTE_SERVERS + 1).fill(1) },
      { other: true },
    ];
    for (const context of bad) {
      expect(
        () => render(context as Parameters<typeof renderPolicy>[3]),
        JSON.stringify(context).slice(0, 60),
      ).toThrow(
        expect.objectContaining({
          code: "validation_failed",
          message: expect.stringMatching(/policy context/),
        }),
      );
    }
  });
});

describe("IRR filtering", () => {
  const rs = routeServerFixture();
  const body = (irr: Record<string, unknown>) =>
    functionText(renderPolicy(rs, policyFixture({ irr }), [networkFixture()]), "ztix_import_checks");
  const tag = (code: keyof typeof infoCodes) => `(ZTIX_RS_ASN, 1000, ${infoCodes[code]})`;
  const a = memberFixture({
    irr: {
      asSet: "AS-EXAMPLE",
      ipv4: ["203.0.113.128/25", "198.51.100.0/24", "198.51.100.0/24", "0.0.0.0/0", "10.0.0.0/7"],
      ipv6: ["2001:db8:1000::/36"],
    },
  });

  it("strict: rejects a route not registered, unless an RPKI-valid route stands in", () => {
    const strict = body({ mode: "strict" });
    expect(strict).toContain(`  if net ~ irr then bgp_large_community.add(${tag("irr_registered")});`);
    expect(lineOf(strict, /^ {2}else if rpki_valid then/)).toContain(tag("irr_rpki_valid_stands_in"));
    expect(lineOf(strict, /^ {2}else \{/)).toContain("(ZTIX_RS_ASN, 1101, 9)); return false;");
    expect(lineOf(strict, /if !irr_listed then/)).toContain(tag("irr_no_prefixes"));
    const noStandIn = body({ mode: "strict", rpki_valid_stands_in: false });
    expect(noStandIn).not.toContain("else if rpki_valid then");
    expect(lineOf(noStandIn, /^ {2}else \{/)).toContain("(ZTIX_RS_ASN, 1101, 9)); return false;");
  });

  it("tag: accepts a route not registered with an informational community", () => {
    const tagged = body({ mode: "tag" });
    expect(lineOf(tagged, /^ {2}else \{/)).toContain(tag("irr_not_registered"));
    expect(tagged).not.toContain("(ZTIX_RS_ASN, 1101, 9)");
    expect(tagged).toContain(tag("irr_registered"));
    // The default mode is tag, with RPKI standing in.
    expect(body({})).toBe(tagged);
  });

  it("off: no IRR check and no prefix sets in member files", () => {
    const off = body({ mode: "off" });
    expect(off).not.toContain("net ~ irr then");
    expect(off).not.toContain(tag("irr_registered"));
    const member = renderMember(a, policyFixture({ irr: { mode: "off" } })).text;
    expect(member).not.toContain("define ");
    expect(member).toContain("ztix_import_000001_v4(64501, [ ], false)");
  });

  it("renders a member's registered prefixes as a set: exact and more specific, up to the blackhole maximum", () => {
    const text = renderMember(a, policyFixture({ irr: { mode: "strict" } })).text;
    expect(text).toContain(
      [
        "define ztix_irr_m_as64501_000001_0123456789_v4 = [",
        "  198.51.100.0/24{24,32},",
        "  203.0.113.128/25{25,32}",
        "];",
      ].join("\n"),
    );
    expect(text).toContain(
      "define ztix_irr_m_as64501_000001_0123456789_v6 = [\n  2001:db8:1000::/36{36,128}\n];",
    );
    expect(text).toContain(
      "    import where ztix_import_000001_v4(64501, ztix_irr_m_as64501_000001_0123456789_v4, true);",
    );
    // A /0 or /7 route object would vouch for everything beneath it: left out, and said so.
    expect(text).not.toContain("0.0.0.0/0");
    expect(text).not.toContain("10.0.0.0/7");
    expect(text).toContain("# Left out, shorter than the policy accepts: 2 registered ipv4 prefix(es).");
    expect(text).toContain("# IRR prefix lists from AS-EXAMPLE.");
    // Lower blackhole maxima give shorter ranges (never below the ordinary maximum).
    const short = renderMember(a, policyFixture({ blackholing: { ipv4_max_length: 24 } })).text;
    expect(short).toContain("  198.51.100.0/24{24,24},");
    expect(short).toContain("  203.0.113.128/25{25,25}");
  });

  it("writes exactly the set entries @ztix/irr's birdPrefixSet writes, in its order", () => {
    const prefixes = ["2001:db8:1000::/36", "2001:db8::/32", "2001:db8:ffff::/48", "2001:db8:1000::/40"];
    const text = renderMember(
      memberFixture({ ipv4: undefined, irr: { ipv6: prefixes } }),
      policyFixture(),
    ).text;
    const set = text.slice(text.indexOf("= [") + 2, text.indexOf("];") + 1).replace(/\s+/g, " ");
    expect(set).toBe(birdPrefixSet(prefixes, { maxLength: 128 }));
  });

  it("passes an empty set for a family without prefixes, so routes there count as not registered", () => {
    const policy = policyFixture({ irr: { mode: "strict" } });
    for (const irr of [undefined, {}, { ipv4: [], ipv6: [] }, { ipv4: ["0.0.0.0/0"] }]) {
      const text = renderMember(memberFixture({ irr }), policy).text;
      expect(text, JSON.stringify(irr)).toContain("ztix_import_000001_v4(64501, [ ], false)");
      expect(text).toContain("ztix_import_000001_v6(64501, [ ], false)");
      expect(text).not.toContain("define ");
    }
    expect(renderMember(memberFixture(), policy).text).toContain(
      "# IRR: no data for this member (its routes count as not registered).",
    );
  });

  it("says in the file when the lists are the last good ones, and uses them", () => {
    const fresh = renderMember(memberFixture({ irr: { ipv4: ["198.51.100.0/24"] } }), policyFixture()).text;
    const stale = renderMember(
      memberFixture({ irr: { ipv4: ["198.51.100.0/24"], stale: true } }),
      policyFixture(),
    ).text;
    expect(stale).toContain("Stale: the latest refresh failed; these are the last good lists.");
    expect(stale.replace(/ Stale:.*\n/, "\n")).toBe(fresh);
  });

  it("gives the same file for the same prefixes in any order or with duplicates", () => {
    const one = renderMember(
      memberFixture({ irr: { ipv4: ["198.51.100.0/24", "203.0.113.0/24"] } }),
      policyFixture(),
    );
    const two = renderMember(
      memberFixture({ irr: { ipv4: ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"] } }),
      policyFixture(),
    );
    expect(two.text).toBe(one.text);
  });

  it("accepts canonical prefixes only, per family, and at most 200,000 of them", () => {
    const ok = parseMember({
      ...memberFixture(),
      irr: { ipv4: ["198.51.100.0/24"], ipv6: ["2001:db8::/32"], asSet: "RIPE::AS-EXAMPLE", stale: false },
    });
    expect(ok.irr?.ipv6).toEqual(["2001:db8::/32"]);
    const bad: Array<Record<string, unknown>> = [
      { ipv4: ["198.51.100.1/24"] }, // host bits
      { ipv4: ["198.051.100.0/24"] },
      { ipv4: ["198.51.100.0/33"] },
      { ipv4: ["198.51.100.0"] },
      { ipv4: ["2001:db8::/32"] }, // wrong family
      { ipv6: ["198.51.100.0/24"] },
      { ipv6: ["2001:DB8::/32"] }, // not lower case
      { ipv6: ["2001:0db8::/32"] }, // leading zero
      { ipv6: ["2001:db8:0:0:0:0:0:0/32"] }, // not compressed
      { ipv6: ["2001:db8::0:1/128"] },
      { ipv6: ["2001:db8::1/64"] }, // host bits
      { ipv6: ["::ffff:192.0.2.0/120"] },
      { ipv4: ["198.51.100.0/24{24,32}"] },
      { ipv4: ["198.51.100.0/24, 0.0.0.0/0"] },
      { ipv4: ["198.51.100.0/24 ]; protocol static x { }"] },
      { ipv4: ["198.51.100.0/24\n"] },
      { ipv4: [24] },
      { ipv4: Array(MAX_IRR_PREFIXES + 1).fill("198.51.100.0/24") },
      { asSet: "as-example" }, // not canonical
      { asSet: "AS-EXAMPLE\n# x" },
      { asSet: "AS-EXAMPLE; }" },
      { asSet: "EXAMPLE" },
      { stale: "yes" },
      { other: [] },
    ];
    for (const irr of bad) {
      expect(() => parseMember({ ...memberFixture(), irr }), JSON.stringify(irr).slice(0, 80)).toThrow(
        expect.objectContaining({ code: "validation_failed" }),
      );
    }
  });

  it("refuses to render a prefix that is not one, even when validation was skipped", () => {
    const unchecked = memberFixture({ irr: { ipv4: ['198.51.100.0/24 ]; include "/etc/shadow'] } });
    expect(() => renderMember(unchecked, policyFixture())).toThrow(
      "not a canonical ipv4 prefix in the IRR list",
    );
    const wrongFamily = memberFixture({ irr: { ipv6: ["198.51.100.0/24"] } });
    expect(() => renderMember(wrongFamily, policyFixture())).toThrow(
      "not a canonical ipv6 prefix in the IRR list",
    );
    for (const asSet of ["AS-X\nprotocol", "AS-X */", "as-x", "AS X"]) {
      expect(() => renderMember(memberFixture({ irr: { asSet } }), policyFixture()), asSet).toThrow(
        "unsafe IRR object name for AS64501",
      );
    }
    // Names bgpq4 takes, hierarchical and source-prefixed ones included, are written as they are.
    for (const asSet of ["AS-EXAMPLE", "AS64500:AS-CUSTOMERS", "RIPE::AS-EXAMPLE", "AS64500"]) {
      expect(renderMember(memberFixture({ irr: { asSet } }), policyFixture()).text).toContain(
        `# IRR prefix lists from ${asSet}.\n`,
      );
    }
  });

  it("knows canonical prefixes as canonicalPrefix writes them", () => {
    // Random IPv6 prefixes with runs of zero groups, the cases RFC 5952 is about.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const groups = Array.from({ length: 8 }, () => (next() % 3 === 0 ? next() % 65536 : 0));
      const length = next() % 129;
      const text = canonicalPrefix(`${groups.map((g) => g.toString(16)).join(":")}/${length}`);
      expect(isCanonicalPrefix(text, "ipv6"), text).toBe(true);
      const v4 = canonicalPrefix(
        `${next() % 256}.${next() % 256}.${next() % 256}.${next() % 256}/${next() % 33}`,
      );
      expect(isCanonicalPrefix(v4, "ipv4"), v4).toBe(true);
    }
    expect(isCanonicalPrefix("0.0.0.0/0", "ipv4")).toBe(true);
    expect(isCanonicalPrefix("::/0", "ipv6")).toBe(true);
    expect(isCanonicalPrefix("1:0:0:2::/64", "ipv6")).toBe(true);
    expect(isCanonicalPrefix("1::2:0:0:0/64", "ipv6")).toBe(false); // the longer run is compressed
    expect(isCanonicalPrefix("1:0::/32", "ipv6")).toBe(false);
  });
});

describe("action communities", () => {
  const exportOf = (asn: number) =>
    functionText(
      renderPolicy(routeServerFixture({ asn }), policyFixture(), [networkFixture()]),
      "ztix_export",
    );

  it("acts on do-not-announce, announce-only-to and prepends per peer, large and standard", () => {
    const text = exportOf(64500);
    expect(text).toContain("function ztix_export(int peer_as)");
    expect(text).toContain("if (ZTIX_RS_ASN, 0, peer_as) ~ bgp_large_community then return false;");
    expect(text).toContain("if peer_as <= 65535 then { if (0, peer_as) ~ bgp_community then return false; }");
    expect(text).toContain(
      "if (ZTIX_RS_ASN, 0, 0) ~ bgp_large_community || (0, ZTIX_RS_ASN) ~ bgp_community then {",
    );
    expect(text).toContain("if !((ZTIX_RS_ASN, 1, peer_as) ~ bgp_large_community) then {");
    expect(text).toContain("if !((ZTIX_RS_ASN, peer_as) ~ bgp_community) then return false;");
    for (const [fn, times] of [
      [103, 3],
      [102, 2],
      [101, 1],
    ] as const) {
      const line = lineOf(text, new RegExp(`\\(ZTIX_RS_ASN, ${fn}, peer_as\\)`));
      expect(line).toContain(`(ZTIX_RS_ASN, ${fn}, 0) ~ bgp_large_community`);
      expect(line.match(/bgp_path\.prepend\(bgp_path\.first\);/g)).toHaveLength(times);
    }
    // The most prepends win: 103 is tested first.
    expect(text.indexOf(", 103, peer_as")).toBeLessThan(text.indexOf(", 101, peer_as"));
  });

  it("removes the action communities on the way out, and nothing else of ours", () => {
    const text = exportOf(64500);
    expect(text).toContain(
      "bgp_large_community.delete([(ZTIX_RS_ASN, 0, *), (ZTIX_RS_ASN, 1, *), (ZTIX_RS_ASN, 101..103, *)]);",
    );
    expect(text).toContain("bgp_community.delete([(0, *)]);");
    expect(text).toContain("bgp_community.delete([(ZTIX_RS_ASN, *)]);");
    expect(text).not.toMatch(/65535/.source + ", \\d+\\)\\]"); // well-knowns are never deleted
  });

  it("removes unknown communities under the route server's ASN at import, keeping the action ones", () => {
    const checks = functionText(
      renderPolicy(routeServerFixture(), policyFixture(), [networkFixture()]),
      "ztix_import_checks",
    );
    expect(checks).toContain(
      "bgp_large_community.delete([(ZTIX_RS_ASN, 2..100, *), (ZTIX_RS_ASN, 104..4294967295, *)]);",
    );
  });

  it("has only the large forms when the route server's ASN does not fit a standard community", () => {
    const text = exportOf(4200000100);
    expect(text).not.toContain("(0, ZTIX_RS_ASN)");
    expect(text).not.toContain("(ZTIX_RS_ASN, peer_as) ~ bgp_community");
    expect(text).not.toContain("bgp_community.delete([(ZTIX_RS_ASN, *)]);");
    expect(text).toContain("if !((ZTIX_RS_ASN, 1, peer_as) ~ bgp_large_community) then return false;");
    // Do-not-announce to a 16-bit peer still works in the standard form.
    expect(text).toContain("if (0, peer_as) ~ bgp_community then return false;");
  });

  it("gives every member session the export function with its own ASN", () => {
    const m = renderMember(memberFixture({ asn: 4200000001 }), policyFixture()).text;
    expect(m.match(/^ {4}export where ztix_export\(4200000001\);$/gm)).toHaveLength(2);
  });
});

describe("blackholing", () => {
  const withBlackhole = networkFixture({ blackhole_ipv4: "192.0.2.254", blackhole_ipv6: "2001:db8:0::666" });

  it("renders a network's import function with the blackhole next hop, exactly", () => {
    const text = renderPolicy(routeServerFixture(), policyFixture(), [withBlackhole]);
    expect(functionText(text, "ztix_import_000001_v6")).toBe(
      [
        "function ztix_import_000001_v6(int peer_as; prefix set irr; bool irr_listed)",
        "{",
        "  if !ztix_import_checks(peer_as, irr, irr_listed, true) then return false;",
        "  # With blackholing on, the checks accept a BLACKHOLE route only as a blackhole.",
        "  if (65535, 666) ~ bgp_community then {",
        "    bgp_next_hop = 2001:db8::666;",
        "    bgp_community.add((65535, 65281));",
        "  }",
        "  return true;",
        "}",
      ].join("\n"),
    );
    const checks = functionText(text, "ztix_import_checks");
    expect(lineOf(checks, /blackhole_outside_member_space|, 1101, 18\)/)).toBe(
      "  if blackhole_request && !(net ~ irr || rpki_valid) then { bgp_large_community.add((ZTIX_RS_ASN, 1101, 18)); return false; }",
    );
    // An RPKI-invalid BLACKHOLE more specific is not dropped as invalid; the space check decides.
    expect(checks).toContain(
      "    if !blackhole_request then { bgp_large_community.add((ZTIX_RS_ASN, 1101, 13)); return false; }\n    bgp_large_community.add((ZTIX_RS_ASN, 1000, 3));",
    );
  });

  it("sends a network's BLACKHOLE routes to its blackhole next hop with NO_EXPORT", () => {
    const text = renderPolicy(routeServerFixture(), policyFixture(), [withBlackhole]);
    const v4 = functionText(text, "ztix_import_000001_v4");
    expect(v4).toContain("if !ztix_import_checks(peer_as, irr, irr_listed, true) then return false;");
    expect(v4).toMatch(
      /if \(65535, 666\) ~ bgp_community then \{\n {4}bgp_next_hop = 192\.0\.2\.254;\n {4}bgp_community\.add\(\(65535, 65281\)\);/,
    );
    expect(functionText(text, "ztix_import_000001_v6")).toContain("bgp_next_hop = 2001:db8::666;");
    expect(text).toContain("define ZTIX_V4_BLACKHOLE_LEN_MAX = 32;");
    expect(text).toContain("define ZTIX_V6_BLACKHOLE_LEN_MAX = 128;");
  });

  it("treats BLACKHOLE as an ordinary community on a network without a blackhole next hop", () => {
    const text = renderPolicy(routeServerFixture(), policyFixture(), [
      networkFixture({ blackhole_ipv4: "192.0.2.254" }),
    ]);
    expect(functionText(text, "ztix_import_000001_v6")).toBe(
      [
        "function ztix_import_000001_v6(int peer_as; prefix set irr; bool irr_listed)",
        "{",
        "  return ztix_import_checks(peer_as, irr, irr_listed, false);",
        "}",
      ].join("\n"),
    );
    expect(functionText(text, "ztix_import_checks")).toContain(
      "blackhole_request = blackholing && (65535, 666) ~ bgp_community;",
    );
  });

  it("uses the configured blackhole prefix lengths", () => {
    const text = renderPolicy(
      routeServerFixture(),
      policyFixture({ blackholing: { ipv4_max_length: 30, ipv6_max_length: 64 } }),
      [withBlackhole],
    );
    expect(text).toContain("define ZTIX_V4_BLACKHOLE_LEN_MAX = 30;");
    expect(text).toContain("define ZTIX_V6_BLACKHOLE_LEN_MAX = 64;");
    expect(routeServerPolicySchema.safeParse({ blackholing: { ipv4_max_length: 23 } }).success).toBe(false);
    expect(
      routeServerPolicySchema.safeParse({
        ipv6_prefix_length: [16, 64],
        blackholing: { ipv6_max_length: 48 },
      }).success,
    ).toBe(false);
  });

  it("takes a blackhole address only inside the LAN and out of the members' pool", () => {
    const base = {
      suffix: "000001",
      name: "lab",
      ipv4: { prefix: "192.0.2.0/24", pool_start: "192.0.2.10", pool_end: "192.0.2.200" },
      ipv6: { prefix: "2001:db8::/64" },
    };
    const parse = (extra: Record<string, unknown>) => networkConfigSchema.safeParse({ ...base, ...extra });
    expect(parse({ blackhole_ipv4: "192.0.2.254", blackhole_ipv6: "2001:db8::666" }).success).toBe(true);
    expect(
      parse({ blackhole_ipv4: "192.0.2.66", ipv4: { ...base.ipv4, reserved: ["192.0.2.66"] } }).success,
    ).toBe(true);
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ blackhole_ipv4: "198.51.100.1" }, /outside 192\.0\.2\.0\/24/],
      [{ blackhole_ipv4: "192.0.2.66" }, /member pool/],
      [{ blackhole_ipv4: "192.0.2.254; }" }, /IPv4 address/],
      [{ blackhole_ipv4: "2001:db8::666" }, /IPv4 address/],
      [{ blackhole_ipv6: "2001:db8:1::666" }, /outside 2001:db8::\/64/],
      [{ blackhole_ipv6: "2001:db8::666; }" }, /IPv6 address/],
      [{ ipv6: undefined, blackhole_ipv6: "2001:db8::666" }, /no IPv6 plan/],
    ];
    for (const [extra, message] of bad) {
      const result = parse(extra);
      expect(result.success, JSON.stringify(extra)).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toMatch(message);
    }
  });
});

describe("compatibility with the previous generation of member files", () => {
  it("still defines ztix_import(peer_as) and the templates those files use", () => {
    const text = renderPolicy(routeServerFixture(), policyFixture(), [networkFixture()]);
    expect(functionText(text, "ztix_import")).toContain(
      "return ztix_import_checks(peer_as, [ ], false, false);",
    );
    expect(text).toContain("template bgp ztix_member_000001_v4 {");
    // The template keeps a safe export for a file that sets none.
    expect(text).toContain("    export where source = RTS_BGP;");
  });
});

describe("docs/route-server-policy.md", () => {
  const doc = readFileSync(new URL("../../../docs/route-server-policy.md", import.meta.url), "utf8");
  const table = (head: string, rows: string[]) => [head, "|---|---|---|", ...rows].join("\n");

  it("lists every reason code, generated from the code's constants", () => {
    const rows = Object.entries(rejectReasons)
      .sort((a, b) => a[1] - b[1])
      .map(
        ([key, code]) =>
          `| \`rs:${REJECT_REASON_FUNCTION}:${code}\` | \`${key}\` | ${rejectReasonText[key as RejectReason]} |`,
      );
    expect(doc).toContain(table("| community | code | reason |", rows));
  });

  it("lists every informational code, generated from the code's constants", () => {
    const rows = Object.entries(infoCodes)
      .sort((a, b) => a[1] - b[1])
      .map(
        ([key, code]) =>
          `| \`rs:${INFO_FUNCTION}:${code}\` | \`${key}\` | ${infoCodeText[key as InfoCode]} |`,
      );
    expect(doc).toContain(table("| community | code | meaning |", rows));
  });

  it("lists every action community, generated from the code's constants", () => {
    const rows = actionCommunities.map(
      (a) => `| ${a.action} | \`${a.large}\` | ${a.standard ? `\`${a.standard}\`` : "–"} |`,
    );
    expect(doc).toContain(table("| action | large | standard |", rows));
    // The table's functions are exactly the ones the export function acts on.
    const functions = new Set(actionCommunities.map((a) => Number(a.large.split(":")[1])));
    expect([...functions].sort((a, b) => a - b)).toEqual(Object.values(actionFunctions));
  });

  it("names no community value the code does not have", () => {
    const reasons = new Set<number>(Object.values(rejectReasons));
    const infos = new Set<number>(Object.values(infoCodes));
    const actions = new Set<number>(Object.values(actionFunctions));
    const mentioned = [...doc.matchAll(/`(?:rs|64999):(\d+):(\d+|peer|0|[A-Z])`/g)];
    expect(mentioned.length).toBeGreaterThan(40);
    for (const [text, fn, value] of mentioned) {
      const f = Number(fn);
      if (f === REJECT_REASON_FUNCTION) expect(reasons.has(Number(value)), text).toBe(true);
      else if (f === INFO_FUNCTION) expect(infos.has(Number(value)), text).toBe(true);
      else expect(actions.has(f), text).toBe(true);
    }
    // Reason numbers in the prose ("reason 13") exist too.
    for (const [text, code] of doc.matchAll(/reason (\d+)/g))
      expect(reasons.has(Number(code)), text).toBe(true);
    // The well-known communities it names are the ones rendered.
    expect(doc).toContain("BLACKHOLE `65535:666`");
    expect(doc).toContain("NO_EXPORT\n  `65535:65281`");
    expect(BLACKHOLE).toBe("(65535, 666)");
    expect(NO_EXPORT).toBe("(65535, 65281)");
  });

  it("names every bogon prefix the policy renders", () => {
    for (const prefix of [
      ...ipv4Bogons,
      ...ipv4Documentation,
      ...ipv6Bogons,
      ...ipv6Documentation,
      ipv6GlobalUnicast,
    ])
      expect(doc, prefix).toContain(`\`${prefix}\``);
  });

  it("states the defaults the schema has", () => {
    const p = routeServerPolicySchema.parse({});
    expect(doc).toContain(`default /${p.ipv4_prefix_length[0]}–/${p.ipv4_prefix_length[1]}`);
    expect(doc).toContain(`default\n   /${p.ipv6_prefix_length[0]}–/${p.ipv6_prefix_length[1]}`);
    expect(doc).toContain(`\`as_path_max_length\` (default ${p.as_path_max_length})`);
    expect(doc).toContain(`(default ${p.max_prefix.headroom_percent} %)`);
    expect(doc).toContain(`(default ${p.max_prefix.ipv4_default} and ${p.max_prefix.ipv6_default})`);
    expect(doc).toContain(`default ${p.max_prefix.restart_wait_seconds[0]} s the first time`);
    expect(doc).toContain(`up to\n${p.max_prefix.restart_wait_seconds[1]} s`);
    expect(p.irr.mode).toBe("tag");
    expect(doc).toContain("| `tag` (default) |");
  });
});
