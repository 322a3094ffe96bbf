import { routeServerPolicySchema, routeServerSchema } from "@ztix/core";
import { describe, expect, it } from "vitest";
import {
  maxPrefixLimit,
  memberFileName,
  memberProtocolName,
  parseMember,
  renderMainConfig,
  renderMember,
  renderPolicy,
} from "../src/index.ts";
import { memberFixture, networkFixture, policyFixture, routeServerFixture } from "./support/fixtures.ts";

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
    expect(text).not.toMatch(/\.prepend\(/);
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

  it("rejects with a Euro-IX reason code for every check", () => {
    const text = renderPolicyOf(rs, policy);
    const checks: Array<[RegExp, number]> = [
      [/net\.len > ZTIX_V4_LEN_MAX/, 1],
      [/net\.len < ZTIX_V4_LEN_MIN/, 2],
      [/net ~ ZTIX_BOGONS_V4/, 3],
      [/filter\(bgp_path, ZTIX_BOGON_ASNS\)/, 4],
      [/bgp_path\.len > ZTIX_AS_PATH_MAX/, 5],
      [/bgp_path\.first != peer_as/, 7],
      [/bgp_next_hop != from/, 8],
      [/= ROA_INVALID/, 13],
      [/filter\(bgp_path, ZTIX_TRANSIT_FREE_ASNS\)/, 14],
    ];
    for (const [check, code] of checks) {
      const line = text.split("\n").find((l) => check.test(l));
      expect(line, `a line matching ${check}`).toContain(`(ZTIX_RS_ASN, 1101, ${code})`);
    }
    expect(text).toContain("if (65535, 0) ~ bgp_community then bgp_local_pref = 0;");
  });

  it("lists documentation prefixes and ASNs as bogons unless the lab allows them", () => {
    const strict = renderPolicyOf(rs, policy);
    expect(strict).toContain("192.0.2.0/24+");
    expect(strict).toContain("2001:db8::/32+");
    expect(strict).toContain("64496..64511");
    const lab = renderPolicyOf(rs, policyFixture());
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
    expect(full.text).toContain("    import filter { if ztix_import(64501) then accept; reject; };");
  });

  it("sets a per-family import limit with headroom, or the default when unknown, restarting the session", () => {
    const m = renderMember(memberFixture({ maxPrefix: { ipv4: 101 } }), policy);
    expect(m.text).toContain("import limit 122 action restart;"); // 101 * 1.2 = 121.2, rounded up
    expect(m.text).toContain("import limit 50 action restart;"); // IPv6 default
    expect(maxPrefixLimit(memberFixture(), "ipv4", policy)).toBe(100);
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
