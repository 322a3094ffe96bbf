import { routeServerPolicySchema, routeServerSchema } from "@ztix/core";
import { describe, expect, it } from "vitest";
import {
  contentHash,
  maxPrefixLimit,
  memberFileName,
  memberProtocolName,
  renderMainConfig,
  renderMember,
  renderPolicy,
} from "../src/index.ts";
import { memberFixture, policyFixture, routeServerFixture } from "./support/fixtures.ts";

describe("policy rendering", () => {
  const rs = routeServerFixture();
  const policy = routeServerPolicySchema.parse({});

  it("gives the same bytes for the same inputs", () => {
    expect(renderPolicy(rs, policy)).toBe(renderPolicy(structuredClone(rs), structuredClone(policy)));
  });

  it("makes every member session a transparent route-server client with an import table", () => {
    const text = renderPolicy(rs, policy);
    for (const family of ["ipv4", "ipv6"]) {
      const template = text.slice(
        text.indexOf(`template bgp ztix_member_${family === "ipv4" ? "v4" : "v6"}`),
      );
      expect(template).toMatch(/rs client;[\s\S]*import table on;[\s\S]*import keep filtered on;/);
    }
    expect(text).toContain("local 192.0.2.1 as ZTIX_RS_ASN;");
    expect(text).toContain("local 2001:db8::1 as ZTIX_RS_ASN;");
    expect(text).toContain("define ZTIX_RS_ASN = 64500;");
    expect(text).not.toMatch(/\.prepend\(/);
  });

  it("rejects with a Euro-IX reason code for every check", () => {
    const text = renderPolicy(rs, policy);
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
    const strict = renderPolicy(rs, policy);
    expect(strict).toContain("192.0.2.0/24+");
    expect(strict).toContain("2001:db8::/32+");
    expect(strict).toContain("64496..64511");
    const lab = renderPolicy(rs, policyFixture());
    expect(lab).not.toContain("192.0.2.0/24+");
    expect(lab).not.toContain("2001:db8::/32+");
    expect(lab).not.toContain("64496..64511");
    expect(lab).toContain("64512..65534");
  });

  it("uses the configured prefix lengths, path limit and transit-free list", () => {
    const text = renderPolicy(
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
    expect(renderPolicy(rs, policyFixture({ transit_free_asns: [] }))).not.toContain(
      "ZTIX_TRANSIT_FREE_ASNS",
    );
  });

  it("connects one rpki protocol per RTR cache and renders static ROAs per family", () => {
    const text = renderPolicy(
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

  it("refuses route-server settings that could inject BIRD syntax", () => {
    expect(() => routeServerFixture({ id: "rs1; protocol" })).toThrow();
    expect(() =>
      routeServerFixture({ rpki: { rtr_caches: [{ host: 'x"; include "/etc/shadow' }] } }),
    ).toThrow();
    expect(() => routeServerFixture({ paths: { policy_file: '/etc/bird/x"; include "/y' } })).toThrow();
    expect(() =>
      routeServerFixture({ rpki: { static_roas: [{ prefix: "198.51.100.0/24", max_length: 16, asn: 1 }] } }),
    ).toThrow(/max_length/);
    expect(() => renderPolicy({ ...routeServerFixture(), asn: -1 } as never, policy)).toThrow();
  });
});

describe("member rendering", () => {
  const policy = policyFixture();

  it("names the file and protocols from the ASN and node id only", () => {
    const m = renderMember(memberFixture(), policy);
    expect(m.fileName).toBe("AS64501_0123456789.conf");
    expect(m.fileName).toBe(memberFileName(64501, "0123456789"));
    expect(m.protocols).toEqual(["m_as64501_0123456789_v4", "m_as64501_0123456789_v6"]);
    expect(memberProtocolName(4294967294, "abcdef0123", "ipv6")).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
  });

  it("renders one session per address family the member has", () => {
    const v4only = renderMember(memberFixture({ ipv6: undefined }), policy);
    expect(v4only.protocols).toEqual(["m_as64501_0123456789_v4"]);
    expect(v4only.text).not.toContain("ipv6 {");
    const full = renderMember(memberFixture({ ipv6: "2001:0db8:0000::0011" }), policy);
    expect(full.text).toContain("protocol bgp m_as64501_0123456789_v4 from ztix_member_v4 {");
    expect(full.text).toContain("  neighbor 192.0.2.11 as 64501;");
    expect(full.text).toContain("protocol bgp m_as64501_0123456789_v6 from ztix_member_v6 {");
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

  it("rejects members whose fields could not be trusted in a config file", () => {
    const bad: Array<Partial<Record<string, unknown>>> = [
      { nodeId: "0123456789; }" },
      { nodeId: "ff23456789" },
      { asn: 0 },
      { asn: 2 ** 32 },
      { ipv4: "192.0.2.300" },
      { ipv6: "2001:db8::1; }" },
      { requestId: 'x" }' },
      { networkId: "xyz" },
      { ipv4: undefined, ipv6: undefined },
      { maxPrefix: { ipv4: 0 } },
    ];
    for (const overrides of bad) {
      expect(
        () => renderMember({ ...memberFixture(), ...overrides } as never, policy),
        JSON.stringify(overrides),
      ).toThrow(expect.objectContaining({ code: "validation_failed" }));
    }
  });

  it("gives the same text for the same member", () => {
    expect(renderMember(memberFixture(), policy)).toEqual(renderMember({ ...memberFixture() }, policy));
  });
});

describe("main config and hashes", () => {
  it("includes the policy file and the members directory", () => {
    const text = renderMainConfig(routeServerFixture({}, "/srv/rs1"));
    expect(text).toContain("router id 192.0.2.1;");
    expect(text).toContain('include "/srv/rs1/ztix/policy.conf";');
    expect(text).toContain('include "/srv/rs1/ztix/members/*.conf";');
    expect(() => renderMainConfig(routeServerFixture(), { logFile: '/tmp/x"; y' })).toThrow();
  });

  it("hashes content independent of key order and distinguishes absence from emptiness", () => {
    expect(contentHash({ a: "1", b: "2" })).toBe(contentHash({ b: "2", a: "1" }));
    expect(contentHash({ a: "" })).not.toBe(contentHash({ a: null }));
    expect(contentHash({ a: "12", b: "3" })).not.toBe(contentHash({ a: "1", b: "23" }));
    expect(contentHash({ a: "x" })).toMatch(/^sha256:[0-9a-f]{64}$/);
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
