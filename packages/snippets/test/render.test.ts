import { describe, expect, it } from "vitest";
import {
  type Platform,
  platforms,
  renderBirdSnippet,
  renderFrrSnippet,
  renderIosxrSnippet,
  renderJunosSnippet,
  renderRouterosSnippet,
  renderSnippets,
  type SnippetInput,
} from "../src/index.ts";
import { dualStack, ipv4Only, ipv6Only } from "./support/fixtures.ts";

/** How each platform spells "a session with this address in this AS". */
const neighborPattern: Record<Platform, RegExp> = {
  bird: /^ {2}neighbor (\S+) as (\d+);$/gm,
  frr: /^ neighbor (\S+) remote-as (\d+)$/gm,
  junos: /^set protocols bgp group \S+ neighbor (\S+) peer-as (\d+)$/gm,
  iosxr: /^ neighbor (\S+)\n {2}remote-as (\d+)$/gm,
  routeros: /^add name=\S+ .* remote\.address=(\S+) remote\.as=(\d+) /gm,
};

/** The line comment each platform's snippet uses. */
const commentMarker: Record<Platform, string> = {
  bird: "#",
  frr: "!",
  junos: "#",
  iosxr: "!",
  routeros: "#",
};

/** The name of the member's own prefix list (set, address list) per platform. */
const ownList: Record<Platform, (family: "v4" | "v6") => string> = {
  bird: (f) => `ZTIX_OWN_${f.toUpperCase()}`,
  frr: (f) => `prefix-list ZTIX-OWN-${f.toUpperCase()}`,
  junos: (f) => `prefix-list ZTIX-OWN-${f.toUpperCase()}`,
  iosxr: (f) => `destination in ZTIX-OWN-${f.toUpperCase()}`,
  routeros: (f) => `output.network=ztix-own-${f}`,
};

function sessionsIn(platform: Platform, text: string): string[] {
  return [...text.matchAll(neighborPattern[platform])].map((m) => `${m[1]} AS${m[2]}`).sort();
}

/** Text without comment lines: what the router actually reads. */
function statements(platform: Platform, text: string): string {
  const marker = commentMarker[platform];
  return text
    .split("\n")
    .filter((l) => !l.trimStart().startsWith(marker))
    .join("\n");
}

const dualStackSessions = [
  "192.0.2.1 AS64510",
  "192.0.2.2 AS64510",
  "2001:db8:100::1 AS64510",
  "2001:db8:100::2 AS64510",
].sort();

describe("every platform", () => {
  const all = renderSnippets(dualStack());

  for (const platform of platforms) {
    describe(platform, () => {
      const text = all[platform];

      it("has one session per route server and family, each with the route server's ASN", () => {
        expect(sessionsIn(platform, text)).toEqual(dualStackSessions);
      });

      it("leaves out families the member does not peer in, and route-server addresses in them", () => {
        const v6 = renderSnippets(ipv6Only())[platform];
        expect(sessionsIn(platform, v6)).toEqual(
          ["fd00:147:17::1 AS64511", "fd00:147:17::fe AS64512"].sort(),
        );
        expect(v6).not.toContain("10.147.17.1");
        expect(sessionsIn(platform, renderSnippets(ipv4Only())[platform])).toEqual(["203.0.113.1 AS65000"]);
      });

      it("names the member's ASN, its peering addresses with their prefix lengths, and the network", () => {
        expect(text).toContain("AS64500");
        expect(text).toContain("192.0.2.10/24");
        expect(text).toContain("2001:db8:100::a/64");
        expect(text).toContain('"ZT-IX Lab (Frankfurt) #1" (network 8056c2e21c1c0001)');
      });

      it("prints IPv6 addresses in canonical form only", () => {
        expect(text).not.toMatch(/2001:DB8|::A\b/);
      });

      it("states the route servers' limits per family", () => {
        expect(text).toContain("IPv4: the route servers accept at most 120 prefixes");
        expect(text).toContain("IPv6: the route servers accept at most 60 prefixes");
        expect(renderSnippets(ipv6Only())[platform]).toContain("the exchange's default limit");
      });

      it("uses the password on every session when there is one, and none by default", () => {
        const withKey = statements(platform, text);
        expect(withKey.split("s3cret.Key-1")).toHaveLength(platform === "junos" ? 3 : 5);
        const without = renderSnippets(dualStack({ password: undefined }))[platform];
        expect(without).not.toMatch(/password|authentication-key|tcp-md5-key/);
      });

      it("never sets next-hop-self", () => {
        expect(statements(platform, text)).not.toMatch(
          /next-hop-self|next-hop self|force-self|next hop self on/,
        );
      });

      it("only sends what matches the member's own prefix list, which it leaves to the member", () => {
        const body = statements(platform, text);
        for (const family of ["v4", "v6"] as const) expect(body).toContain(ownList[platform](family));
        // The FILL IN example is a comment: pasting the snippet as it is defines no prefix of anyone's.
        expect(body).not.toContain("198.51.100.0/24");
        expect(text).toContain("198.51.100.0/24");
        expect(text).toContain("FILL IN");
      });

      it("comes out the same whatever order the route servers are listed in", () => {
        const input = dualStack();
        const reversed: SnippetInput = { ...input, routeServers: [...input.routeServers].reverse() };
        expect(renderSnippets(reversed)[platform]).toBe(text);
        expect(renderSnippets(structuredClone(input))[platform]).toBe(text);
      });

      it("ends every line with a single LF, and the text with one", () => {
        expect(text).not.toContain("\r");
        expect(text.endsWith("\n")).toBe(true);
        expect(text.endsWith("\n\n")).toBe(false);
      });
    });
  }

  it("renders the same text through renderSnippets and through each platform's own renderer", () => {
    const input = dualStack();
    expect(renderSnippets(input)).toEqual({
      bird: renderBirdSnippet(input),
      frr: renderFrrSnippet(input),
      junos: renderJunosSnippet(input),
      iosxr: renderIosxrSnippet(input),
      routeros: renderRouterosSnippet(input),
    });
  });
});

describe("first-AS checks, since route servers do not prepend their ASN (RFC 7947)", () => {
  const all = renderSnippets(dualStack());

  it("BIRD: writes its default `enforce first as off` in every session", () => {
    expect(all.bird.match(/^ {2}enforce first as off;$/gm)).toHaveLength(4);
  });

  it("FRR: turns the check off per neighbor, for every neighbor", () => {
    for (const ip of ["192.0.2.1", "192.0.2.2", "2001:db8:100::1", "2001:db8:100::2"]) {
      expect(all.frr).toContain(`\n no neighbor ${ip} enforce-first-as\n`);
    }
  });

  it("IOS-XR: disables it under router bgp", () => {
    expect(all.iosxr).toMatch(/^router bgp 64500\n bgp enforce-first-as disable$/m);
  });

  it("Junos and RouterOS: configure nothing, and say why", () => {
    expect(statements("junos", all.junos)).not.toContain("enforce-first-as");
    expect(all.junos).toContain(
      "Junos checks the first AS of a route only when enforce-first-as is configured",
    );
    expect(all.routeros).toContain("RouterOS 7 has no first-AS check to turn off");
  });
});

describe("address families", () => {
  const all = renderSnippets(dualStack());

  it("BIRD: an ipv4 channel on IPv4 sessions and an ipv6 channel on IPv6 sessions", () => {
    const blocks = all.bird.split("\nprotocol bgp ").slice(1);
    expect(blocks).toHaveLength(4);
    for (const block of blocks) {
      expect(block).toMatch(block.includes("neighbor 2001:") ? /\n {2}ipv6 \{\n/ : /\n {2}ipv4 \{\n/);
    }
  });

  it("FRR: activates each neighbor in its own family and deactivates IPv6 neighbors for IPv4", () => {
    const v4 = all.frr.slice(
      all.frr.indexOf(" address-family ipv4 unicast"),
      all.frr.indexOf(" address-family ipv6"),
    );
    const v6 = all.frr.slice(all.frr.indexOf(" address-family ipv6 unicast"));
    expect(v4).toContain("  neighbor 192.0.2.1 activate");
    expect(v4).toContain("  no neighbor 2001:db8:100::1 activate");
    expect(v4).not.toMatch(/^ {2}neighbor 2001:\S+ activate$/m);
    expect(v6).toContain("  neighbor 2001:db8:100::2 activate");
    expect(v6).not.toContain("192.0.2.");
    const v6only = renderFrrSnippet(ipv6Only());
    expect(v6only).toMatch(/ address-family ipv4 unicast\n {2}no neighbor fd00:147:17::fe activate\n/);
  });

  it("Junos: one group per family, inet and inet6, each sourced from the member's address", () => {
    expect(all.junos).toContain("set protocols bgp group ZTIX-1c0001-RS-V4 family inet unicast");
    expect(all.junos).toContain("set protocols bgp group ZTIX-1c0001-RS-V6 family inet6 unicast");
    expect(all.junos).toContain("set protocols bgp group ZTIX-1c0001-RS-V4 local-address 192.0.2.10");
    expect(all.junos).toContain("set protocols bgp group ZTIX-1c0001-RS-V6 local-address 2001:db8:100::a");
    expect(all.junos).toContain("set protocols bgp group ZTIX-1c0001-RS-V4 type external");
  });

  it("IOS-XR: both families under router bgp, and each neighbor in its own", () => {
    expect(all.iosxr).toMatch(/\n address-family ipv4 unicast\n !\n address-family ipv6 unicast\n !\n/);
    expect(all.iosxr).toMatch(/ neighbor 192\.0\.2\.1\n(?: {2}.*\n)*? {2}address-family ipv4 unicast\n/);
    expect(all.iosxr).toMatch(/ neighbor 2001:db8:100::1\n(?: {2}.*\n)*? {2}address-family ipv6 unicast\n/);
  });

  it("RouterOS: address-families=ip for IPv4 connections and ipv6 for IPv6 ones", () => {
    const lines = all.routeros.split("\n").filter((l) => l.startsWith("add name="));
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).toContain(
        line.includes("remote.address=2001:") ? "address-families=ipv6 " : "address-families=ip ",
      );
    }
  });
});

describe("filters", () => {
  const all = renderSnippets(dualStack());

  it("BIRD: imports all, exports through a filter on the member's prefix set, blocks at the limit", () => {
    expect(all.bird).toContain(
      "filter ztix_out_1c0001_v4 {\n  if net ~ ZTIX_OWN_V4 then accept;\n  reject;\n}",
    );
    expect(all.bird.match(/^ {4}import all;$/gm)).toHaveLength(4);
    expect(all.bird.match(/^ {4}export filter ztix_out_1c0001_v6;$/gm)).toHaveLength(2);
    expect(all.bird.match(/^ {4}export limit 120 action block;$/gm)).toHaveLength(2);
    expect(renderBirdSnippet(ipv6Only())).not.toMatch(/^ +export limit/m);
  });

  it("FRR: an accept-all route-map in, the own-prefix route-map out, and the outbound limit", () => {
    expect(all.frr).toContain("route-map ZTIX-1c0001-RS-IN permit 10\nexit");
    expect(all.frr).toContain(
      "route-map ZTIX-1c0001-RS-OUT-V6 permit 10\n match ipv6 address prefix-list ZTIX-OWN-V6\nexit",
    );
    expect(all.frr).toContain("  neighbor 192.0.2.2 route-map ZTIX-1c0001-RS-OUT-V4 out");
    expect(all.frr).toContain("  neighbor 2001:db8:100::1 maximum-prefix-out 60");
  });

  it("Junos: accept in; out, the member's prefix-list and then reject", () => {
    expect(all.junos).toContain("policy-statement ZTIX-1c0001-RS-IN term accept-all then accept");
    expect(all.junos).toMatch(
      /ZTIX-1c0001-RS-OUT-V4 term own from prefix-list ZTIX-OWN-V4\n.*term own then accept\n.*term rest then reject/,
    );
  });

  it("IOS-XR: pass in; out, pass only what is in the member's prefix-set", () => {
    expect(all.iosxr).toContain("route-policy ZTIX-1c0001-RS-OUT-V4\n");
    expect(all.iosxr).toContain(
      "  if destination in ZTIX-OWN-V4 then\n    pass\n  else\n    drop\n  endif\nend-policy",
    );
    expect(all.iosxr).toContain(
      "   route-policy ZTIX-1c0001-RS-IN in\n   route-policy ZTIX-1c0001-RS-OUT-V6 out",
    );
  });

  it("RouterOS: accept in; out, the member's accept rules go above a final reject", () => {
    const rules = all.routeros.split("\n");
    const example = rules.findIndex((l) => l.startsWith("# add chain=ztix-1c0001-rs-out-v4 "));
    const reject = rules.findIndex((l) => l.startsWith('add chain=ztix-1c0001-rs-out-v4 rule="reject"'));
    expect(example).toBeGreaterThan(0);
    expect(reject).toBe(example + 1);
    expect(all.routeros).toContain('add chain=ztix-1c0001-rs-in rule="accept"');
    expect(all.routeros).toMatch(/output\.filter-chain=ztix-1c0001-rs-out-v4 output\.network=ztix-own-v4 /);
  });
});
