import { isAppError } from "@ztix/core";
import { describe, expect, it } from "vitest";
import { parseSnippetInput, platforms, renderSnippets, type SnippetInput } from "../src/index.ts";
import { dualStack, ipv6Only } from "./support/fixtures.ts";

/** The problems `parseSnippetInput` reports for an input, or [] when it accepts it. */
function problems(input: unknown): string[] {
  try {
    parseSnippetInput(input);
    return [];
  } catch (e) {
    if (!isAppError(e) || e.code !== "validation_failed") throw e;
    return e.details.problems as string[];
  }
}

const withMember = (member: Record<string, unknown>) => ({
  ...dualStack(),
  member: { ...dualStack().member, ...member },
});
const withServer = (rs: Record<string, unknown>) => ({
  ...dualStack(),
  routeServers: [{ ...dualStack().routeServers[0], ...rs }, dualStack().routeServers[1]],
});

describe("parseSnippetInput", () => {
  it("accepts the fixtures and puts them in canonical form", () => {
    const plan = parseSnippetInput(dualStack());
    expect(plan.member.ipv6).toEqual({ address: "2001:db8:100::a", length: 64, cidr: "2001:db8:100::a/64" });
    expect(plan.network).toEqual({
      id: "8056c2e21c1c0001",
      suffix: "1c0001",
      name: "ZT-IX Lab (Frankfurt) #1",
    });
    expect(plan.routeServers.map((rs) => rs.name)).toEqual(["rs1", "rs2"]);
    expect(
      plan.sessions.map((s) => `${s.family} ${s.routeServer.name} ${s.neighbor} from ${s.local}`),
    ).toEqual([
      "ipv4 rs1 192.0.2.1 from 192.0.2.10",
      "ipv4 rs2 192.0.2.2 from 192.0.2.10",
      "ipv6 rs1 2001:db8:100::1 from 2001:db8:100::a",
      "ipv6 rs2 2001:db8:100::2 from 2001:db8:100::a",
    ]);
    expect(plan.families).toEqual(["ipv4", "ipv6"]);
  });

  it("drops limits of a family the member does not peer in", () => {
    expect(parseSnippetInput(ipv6Only({ limits: { ipv4: 5, ipv6: 7 } })).limits).toEqual({ ipv6: 7 });
  });

  it("throws validation_failed naming the field", () => {
    expect(problems({ ...dualStack(), password: "with space" })).toEqual([
      "password: must be 1-80 characters: letters, digits and . _ ~ @ % + = : , / -",
    ]);
    expect(problems({})).toEqual(
      expect.arrayContaining([expect.stringMatching(/^network: /), expect.stringMatching(/^routeServers: /)]),
    );
  });

  it("refuses unknown fields instead of ignoring them", () => {
    expect(problems({ ...dualStack(), md5: "x" })).toEqual([expect.stringMatching(/md5/)]);
    expect(problems(withServer({ multihop: 2 }))).toEqual([
      expect.stringMatching(/^routeServers\.0: .*multihop/),
    ]);
  });
});

describe("nothing in the input can inject config syntax", () => {
  // One hostile value per field that reaches a config: each would end a statement, open a
  // block, quote, comment out or add a line on at least one platform.
  const hostile: Array<[string, SnippetInput | Record<string, unknown>, RegExp]> = [
    [
      "a line break in the network name",
      { ...dualStack(), network: { id: "8056c2e21c1c0001", name: "x\nrouter bgp 1" } },
      /^network\.name: /,
    ],
    [
      "a carriage return in the network name",
      { ...dualStack(), network: { id: "8056c2e21c1c0001", name: "x\rexit" } },
      /^network\.name: /,
    ],
    [
      "a trailing backslash in the network name (RouterOS line continuation)",
      { ...dualStack(), network: { id: "8056c2e21c1c0001", name: "lab \\" } },
      /^network\.name: /,
    ],
    [
      "a double quote in the network name",
      { ...dualStack(), network: { id: "8056c2e21c1c0001", name: 'a"b' } },
      /^network\.name: /,
    ],
    [
      "non-ASCII in the network name",
      { ...dualStack(), network: { id: "8056c2e21c1c0001", name: "Zürich" } },
      /^network\.name: /,
    ],
    [
      "a network id that is not 16 hex digits",
      { ...dualStack(), network: { id: "8056c2e21c1c000;", name: "x" } },
      /^network\.id: /,
    ],
    ["a brace in a route-server name", withServer({ name: "rs1}" }), /^routeServers\.0\.name: /],
    ["a space in a route-server name", withServer({ name: "rs 1" }), /^routeServers\.0\.name: /],
    [
      "an underscore in a route-server name (BIRD names map '-' to '_')",
      withServer({ name: "rs_1" }),
      /^routeServers\.0\.name: /,
    ],
    ["a quote in the password", { ...dualStack(), password: 'a"b' }, /^password: /],
    ["a semicolon in the password", { ...dualStack(), password: "a;b" }, /^password: /],
    ["a dollar in the password (RouterOS expands it)", { ...dualStack(), password: "a$b" }, /^password: /],
    ["a line break in the password", { ...dualStack(), password: "a\nb" }, /^password: /],
    ["a password over 80 characters", { ...dualStack(), password: "a".repeat(81) }, /^password: /],
    ["text after the member's prefix length", withMember({ ipv4: "192.0.2.10/24; }" }), /^member\.ipv4: /],
    [
      "a zone id on the member's IPv6 address",
      withMember({ ipv6: "2001:db8:100::a%eth0/64" }),
      /^member\.ipv6: /,
    ],
    [
      "a route-server address with a suffix",
      withServer({ ipv4: "192.0.2.1 as 1" }),
      /^routeServers\.0\.ipv4: /,
    ],
    ["an ASN given as text", withMember({ asn: "64500; evil" }), /^member\.asn: /],
    ["a fractional limit", { ...dualStack(), limits: { ipv4: 1.5 } }, /^limits\.ipv4: /],
  ];
  for (const [what, input, field] of hostile) {
    it(`refuses ${what}`, () => {
      const found = problems(input);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(field);
    });
  }

  it("prints the network name, whatever punctuation it holds, only inside comments", () => {
    const name = "Lab; } { ! # /* */ ' ( ) & < > $x ?";
    const all = renderSnippets({ ...dualStack(), network: { id: "8056c2e21c1c0001", name } });
    const marker = { bird: "#", frr: "!", junos: "#", iosxr: "!", routeros: "#" } as const;
    for (const platform of platforms) {
      const hits = all[platform].split("\n").filter((l) => l.includes(name));
      expect(hits).toHaveLength(1);
      expect(hits[0]!.startsWith(`${marker[platform]} `)).toBe(true);
    }
  });
});

describe("the member, the route servers and the LAN must fit together", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "a member without any peering address",
      withMember({ ipv4: undefined, ipv6: undefined }),
      /^member: .*IPv4 or IPv6/,
    ],
    [
      "a route server without any address",
      withServer({ ipv4: undefined, ipv6: undefined }),
      /^routeServers\.0: /,
    ],
    ["an address without a prefix length", withMember({ ipv4: "192.0.2.10" }), /^member\.ipv4: /],
    [
      "a host route as the LAN",
      withMember({ ipv4: "192.0.2.10/32" }),
      /^member\.ipv4: the prefix length must be/,
    ],
    ["a /7 as the LAN", withMember({ ipv4: "10.0.0.10/7" }), /^member\.ipv4: the prefix length must be/],
    [
      "the LAN's network address",
      withMember({ ipv4: "192.0.2.0/24" }),
      /^member\.ipv4: .*network or broadcast/,
    ],
    [
      "the LAN's broadcast address",
      withMember({ ipv4: "192.0.2.255/24" }),
      /^member\.ipv4: .*network or broadcast/,
    ],
    ["an octal-looking IPv4 address", withMember({ ipv4: "192.0.02.10/24" }), /^member\.ipv4: /],
    ["a multicast IPv4 address", withServer({ ipv4: "224.0.0.5" }), /^routeServers\.0\.ipv4: .*unicast/],
    [
      "IPv6's subnet-router anycast address",
      withMember({ ipv6: "2001:db8:100::/64" }),
      /^member\.ipv6: .*anycast/,
    ],
    ["a link-local IPv6 address", withServer({ ipv6: "fe80::1" }), /^routeServers\.0\.ipv6: .*link-local/],
    [
      "a route server outside the member's LAN",
      withServer({ ipv4: "198.51.100.1" }),
      /^routeServers\.0\.ipv4: .*outside the member's LAN 192\.0\.2\.10\/24/,
    ],
    [
      "a route server on the member's own address",
      withServer({ ipv6: "2001:db8:100:0::A" }),
      /^routeServers\.0\.ipv6: .*member's own address/,
    ],
    // The fixture lists rs2 first: withServer rewrites rs2 to clash with rs1, listed second.
    [
      "two route servers on one address",
      withServer({ ipv6: "2001:db8:100::0001" }),
      /^routeServers\.1\.ipv6: 2001:db8:100::1 is also rs2's address/,
    ],
    [
      "two route servers with one name",
      withServer({ name: "rs1" }),
      /^routeServers\.1\.name: duplicate name rs1/,
    ],
    ["a route server in the member's own AS", withServer({ asn: 64500 }), /^routeServers\.0\.asn: .*eBGP/],
    ["no route servers", { ...dualStack(), routeServers: [] }, /^routeServers: /],
    [
      "a family the member peers in that no route server has",
      { ...dualStack(), routeServers: [{ name: "rs1", asn: 64510, ipv4: "192.0.2.1" }] },
      /^member\.ipv6: the member peers over IPv6 but no route server has an IPv6 address/,
    ],
  ];
  for (const [what, input, expected] of cases) {
    it(`refuses ${what}`, () => {
      const found = problems(input);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(expected);
    });
  }

  it("accepts a /31 LAN, where both addresses are usable (RFC 3021)", () => {
    const input = {
      ...dualStack(),
      member: { asn: 64500, ipv4: "192.0.2.0/31" },
      routeServers: [{ name: "rs1", asn: 64510, ipv4: "192.0.2.1" }],
    };
    expect(problems(input)).toEqual([]);
  });
});
