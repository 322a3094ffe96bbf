import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_RPSL } from "@ztix/irr/stand-in";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNetns, hasCommand, requireSystem } from "../../../test/support/system.ts";
import { infoCodes, memberProtocolName, rejectReasons } from "../src/index.ts";
import { LAB_RPSL } from "./fixtures/lab-rpsl.ts";
import { protocolStates } from "./support/bird.ts";
import { LAB_NETWORK, networkFixture, policyFixture } from "./support/fixtures.ts";
import {
  type Announcement,
  LAN,
  type Lab,
  type LabMemberSpec,
  type LabPolicyData,
  type LabRouteServerSpec,
  type Roa,
  routesFor,
  startLab,
  withLabPolicyData,
} from "./support/lab.ts";
import { eventually, freePort } from "./support/processes.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("stayrtr", hasCommand("stayrtr")) &&
  requireSystem("bgpq4", hasCommand("bgpq4")) &&
  requireSystem("ip netns", canUseNetns());

// Documentation resources only. The peering LAN is 192.0.2.0/24 and 2001:db8::/64.
const A = { name: "a", asn: 64501, nodeId: "a000000001", ipv4: "192.0.2.11", ipv6: "2001:db8::11" };
const B = { name: "b", asn: 64502, nodeId: "b000000002", ipv4: "192.0.2.12", ipv6: "2001:db8::12" };
const C = { name: "c", asn: 64503, nodeId: "c000000003", ipv4: "192.0.2.13", ipv6: "2001:db8::13" };
/**
 * Sends only routes the route servers filter: one family over its limit, one under. Peers with
 * both route servers; the second restarts a torn-down session after a second or two.
 */
const D = { name: "d", asn: 64504, nodeId: "d000000004", ipv4: "192.0.2.14", ipv6: "2001:db8::14" };
/** Peers with the second route server only, whose IRR mode is `tag`. */
const T = { name: "t", asn: 64505, nodeId: "e000000005", ipv4: "192.0.2.15", ipv6: "2001:db8::15" };
const RS = LAN.rsAsn;
/** PeeringDB says this one never peers via route servers. */
const NEVER_VIA = 64509;
const BLACKHOLE_V4 = "192.0.2.254";
const BLACKHOLE_V6 = "2001:db8::666";

const roas: Roa[] = [
  { prefix: "198.51.100.0/24", maxLength: 24, asn: A.asn },
  { prefix: "203.0.113.0/25", maxLength: 25, asn: B.asn },
  { prefix: "2001:db8:100::/48", maxLength: 48, asn: A.asn },
  { prefix: "2001:db8:200::/40", maxLength: 40, asn: A.asn },
  { prefix: "2001:db8:300::/48", maxLength: 48, asn: B.asn },
  { prefix: "2001:db8:1d00::/48", maxLength: 48, asn: B.asn },
];
// Changed later, without touching BIRD's config: one route turns invalid, another valid.
const roasAfterChange: Roa[] = [
  ...roas.filter((r) => r.prefix !== "2001:db8:1d00::/48"),
  { prefix: "2001:db8:1c00::/48", maxLength: 48, asn: B.asn },
  { prefix: "2001:db8:1d00::/48", maxLength: 48, asn: A.asn },
];

interface RejectCase {
  name: string;
  announce: Announcement;
  reason: keyof typeof rejectReasons;
}

const BLACKHOLE: [number, number] = [65535, 666];

const rejected: RejectCase[] = [
  { name: "an RPKI-invalid origin (IPv4)", announce: { prefix: "203.0.113.0/25" }, reason: "rpki_invalid" },
  {
    name: "an RPKI-invalid max length (IPv4)",
    announce: { prefix: "198.51.100.0/25" },
    reason: "rpki_invalid",
  },
  {
    name: "an RPKI-invalid origin (IPv6)",
    announce: { prefix: "2001:db8:300::/48" },
    reason: "rpki_invalid",
  },
  {
    name: "an RPKI-invalid max length (IPv6)",
    announce: { prefix: "2001:db8:200::/48" },
    reason: "rpki_invalid",
  },
  { name: "a bogon (IPv4 private space)", announce: { prefix: "10.10.0.0/16" }, reason: "bogon_prefix" },
  {
    name: "a bogon (IPv6 outside global unicast)",
    announce: { prefix: "fc00:1::/48" },
    reason: "bogon_prefix",
  },
  { name: "a Teredo prefix (2001::/32)", announce: { prefix: "2001:0:100::/48" }, reason: "bogon_prefix" },
  { name: "a 6to4 prefix (2002::/16)", announce: { prefix: "2002:c000:200::/48" }, reason: "bogon_prefix" },
  { name: "the peering LAN itself", announce: { prefix: "192.0.2.0/24" }, reason: "peering_lan_prefix" },
  {
    name: "a more specific of the peering LAN",
    announce: { prefix: "192.0.2.128/25" },
    reason: "peering_lan_prefix",
  },
  { name: "a too-specific IPv4 prefix", announce: { prefix: "198.51.100.0/26" }, reason: "prefix_too_long" },
  {
    name: "a too-specific IPv6 prefix",
    announce: { prefix: "2001:db8:100:1::/64" },
    reason: "prefix_too_long",
  },
  { name: "a default route", announce: { prefix: "0.0.0.0/0" }, reason: "prefix_too_short" },
  {
    name: "a path whose first AS is not the peer's",
    announce: { prefix: "2001:db8:1001::/48", path: [64510] },
    reason: "first_as_not_peer",
  },
  {
    name: "a next hop other than the peer's address",
    announce: { prefix: "2001:db8:1002::/48", nextHop: B.ipv6 },
    reason: "next_hop_not_peer",
  },
  {
    name: "a path longer than the limit",
    announce: { prefix: "2001:db8:1003::/48", path: Array(65).fill(A.asn) },
    reason: "as_path_too_long",
  },
  {
    name: "a private 16-bit ASN in the path",
    announce: { prefix: "2001:db8:1004::/48", path: [A.asn, 64512] },
    reason: "bogon_asn_in_path",
  },
  {
    name: "a private 32-bit ASN in the path",
    announce: { prefix: "2001:db8:1005::/48", path: [A.asn, 4200000000] },
    reason: "bogon_asn_in_path",
  },
  {
    name: "AS_TRANS in the path",
    announce: { prefix: "2001:db8:1006::/48", path: [A.asn, 23456] },
    reason: "bogon_asn_in_path",
  },
  {
    name: "a transit-free ASN behind the member",
    announce: { prefix: "2001:db8:1007::/48", path: [A.asn, 3356] },
    reason: "transit_free_asn_in_path",
  },
  {
    name: "a never-via-route-servers ASN (PeeringDB) behind the member",
    announce: { prefix: "2001:db8:1010::/48", path: [A.asn, NEVER_VIA] },
    reason: "never_via_route_servers_asn_in_path",
  },
  {
    name: "an RPKI-unknown route the member has not registered in the IRR (strict mode)",
    announce: { prefix: "2001:db8:5000::/48" },
    reason: "irr_not_registered",
  },
  {
    // The demo RPSL registers 203.0.113.0/24 for AS64501 in TEST, which the lists are not built from.
    name: "a route registered only in an IRR source the exchange does not use (strict mode)",
    announce: { prefix: "203.0.113.0/24" },
    reason: "irr_not_registered",
  },
  {
    name: "a blackhole for space another member holds the ROA for (IPv4)",
    announce: { prefix: "203.0.113.10/32", communities: [BLACKHOLE] },
    reason: "blackhole_outside_member_space",
  },
  {
    name: "a blackhole for space nobody registered (IPv6)",
    announce: { prefix: "2001:db8:4000::1/128", communities: [BLACKHOLE] },
    reason: "blackhole_outside_member_space",
  },
];

const accepted: Announcement[] = [
  { prefix: "198.51.100.0/24" }, // RPKI valid, in the IRR
  { prefix: "2001:db8:100::/48" }, // RPKI valid, in the IRR
  { prefix: "203.0.113.128/25" }, // RPKI unknown, in the IRR
  { prefix: "2001:db8:200::/40" }, // RPKI valid, not in the IRR
  { prefix: "2001:db8:1008::/48", path: [A.asn, 64510, 64511] }, // longer clean path
  { prefix: "2001:db8:1009::/48", largeCommunities: [[RS, 1101, 13]] }, // tries to forge our tags
  { prefix: "2001:db8:100a::/48", communities: [[65535, 65281]] }, // NO_EXPORT passes through
  { prefix: "2001:db8:100b::/48", communities: [[65535, 0]] }, // graceful shutdown vs B's longer path
  { prefix: "2001:db8:100c::/48" }, // control: no graceful shutdown, shorter path wins
  { prefix: "2001:db8:1c00::/48" }, // unknown now, invalid after the ROA change
  { prefix: "2001:db8:1d00::/48" }, // invalid now, valid after the ROA change
];

/** Action communities: what A asks for, and where it must (not) arrive. */
const steering = {
  notToCLarge: { prefix: "2001:db8:1101::/48", largeCommunities: [[RS, 0, C.asn]] },
  notToCStandard: { prefix: "2001:db8:1102::/48", communities: [[0, C.asn]] },
  onlyToBLarge: {
    prefix: "2001:db8:1103::/48",
    largeCommunities: [
      [RS, 0, 0],
      [RS, 1, B.asn],
    ],
  },
  onlyToBStandard: {
    prefix: "2001:db8:1104::/48",
    communities: [
      [0, RS],
      [RS, B.asn],
    ],
  },
  prepend1: { prefix: "2001:db8:1105::/48", largeCommunities: [[RS, 101, C.asn]] },
  prepend2: { prefix: "2001:db8:1106::/48", largeCommunities: [[RS, 102, C.asn]] },
  prepend3: { prefix: "2001:db8:1107::/48", largeCommunities: [[RS, 103, C.asn]] },
  // An unknown function under our ASN beside an action one aimed at nobody here.
  mixed: {
    prefix: "2001:db8:1108::/48",
    largeCommunities: [
      [RS, 5, 5],
      [RS, 101, 64511],
    ],
  },
} satisfies Record<string, Announcement>;

/** BLACKHOLE requests inside A's own space (its IRR list). */
const blackholes = {
  v4: { prefix: "198.51.100.66/32", communities: [BLACKHOLE] },
  v6: { prefix: "2001:db8:1000::66/128", communities: [BLACKHOLE] },
} satisfies Record<string, Announcement>;

/** What T sends to the second route server (IRR tag mode, no blackhole next hop configured). */
const viaTag = {
  unregistered: { prefix: "2001:db8:7000::/48" },
  registered: { prefix: "2001:db8:7100::/48" },
  blackhole: { prefix: "2001:db8:7100::1/128", communities: [BLACKHOLE] },
} satisfies Record<string, Announcement>;

const filteredV4 = Array.from({ length: 318 }, (_, i) => ({
  prefix: `10.${1 + Math.floor(i / 256)}.${i % 256}.0/24`,
}));
const filteredV6 = Array.from({ length: 30 }, (_, i) => ({ prefix: `fc00:${(i + 1).toString(16)}::/48` }));

/**
 * Receive limits and IRR lists come from PeeringDB records, overrides and the real bgpq4 over
 * the lab's RPSL (`withLabPolicyData`), as a reconcile derives them.
 */
const members: LabMemberSpec[] = [
  {
    ...A,
    // No prefix counts: the default limits (100 / 50). IRR: its as-set, from PeeringDB.
    peeringDb: { prefixes4: null, prefixes6: null, irrAsSets: ["AS-LAB-A"] },
    announce: [
      ...accepted,
      ...rejected.map((c) => c.announce),
      ...Object.values(steering),
      ...Object.values(blackholes),
    ],
  },
  {
    ...B,
    // PeeringDB says 3 IPv6 prefixes: 3 + 20 % is 4, below the floor, so the limit is 10. No
    // as-set: its IRR object is its ASN, which has no IPv4 route objects (its IPv4 route rides
    // on its ROA).
    peeringDb: { prefixes4: null, prefixes6: 3, irrAsSets: [] },
    announce: [
      { prefix: "203.0.113.0/25" },
      { prefix: "2001:db8:100b::/48", path: [B.asn, 64510] },
      { prefix: "2001:db8:100c::/48", path: [B.asn, 64510] },
    ],
  },
  { ...C, routeServers: ["rs", "rs2"], announce: [] },
  // PeeringDB figure 41, 20 % headroom: a receive limit of 50; an admin's override of 35 for IPv6.
  {
    ...D,
    peeringDb: { prefixes4: 41, prefixes6: 41 },
    overrides: { maxPrefixV6: 35 },
    routeServers: ["rs", "rs2"],
    announce: [...filteredV4, ...filteredV6],
  },
  { ...T, routeServers: ["rs2"], announce: Object.values(viaTag) },
];

describe.skipIf(!present)("route-server policy on live BIRD sessions in network namespaces", () => {
  let lab: Lab;
  let dir: string;
  let policyData: LabPolicyData;
  const strictPolicy = policyFixture({ ipv4_prefix_length: [8, 25], irr: { mode: "strict" } });
  const rsNetwork = networkFixture({ blackhole_ipv4: BLACKHOLE_V4, blackhole_ipv6: BLACKHOLE_V6 });
  const routeServers: LabRouteServerSpec[] = [
    {
      name: "rs",
      ipv4: LAN.rs4,
      ipv6: LAN.rs6,
      policy: strictPolicy,
      network: rsNetwork,
      context: { neverViaRouteServers: [NEVER_VIA] },
      roaSource: "rtr",
    },
    {
      name: "rs2",
      ipv4: "192.0.2.2",
      ipv6: "2001:db8::2",
      policy: policyFixture({
        ipv4_prefix_length: [8, 25],
        irr: { mode: "tag" },
        max_prefix: { restart_wait_seconds: [1, 2], restart_forget_seconds: 1 },
      }),
      roaSource: "static",
    },
  ];
  const socketOf = (name: string) => lab.members.get(name)!.bird.socket;
  const observer = () => socketOf("c");
  const atObserver = (prefix: string) => routesFor(observer(), prefix);
  const atB = (prefix: string) => routesFor(socketOf("b"), prefix);
  const filteredAtRs = (prefix: string, rs = "rs") =>
    routesFor(lab.routeServers.get(rs)!.bird.socket, prefix, { filtered: true });
  const session = (m: { asn: number; nodeId: string }, family: "ipv4" | "ipv6") =>
    memberProtocolName({ asn: m.asn, network: LAB_NETWORK, nodeId: m.nodeId }, family);
  const info = (code: keyof typeof infoCodes) => `(${RS}, 1000, ${infoCodes[code]})`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ztix-rs-lab-"));
    // The lists come from LAB only; the demo objects beside them must not leak in.
    policyData = await withLabPolicyData(members, {
      policy: strictPolicy,
      network: rsNetwork,
      rpsl: `${DEMO_RPSL}\n${LAB_RPSL}`,
      sources: ["LAB"],
    });
    lab = await startLab({
      dir,
      routeServers,
      roas,
      rtrPort: await freePort(),
      members: policyData.members,
    });
    // Every session that should stay up is up (D's IPv4 one is torn down by its limit).
    const up: Array<[string, string]> = [
      ...[A, B, C, D].flatMap((m) =>
        (["ipv4", "ipv6"] as const).map((f): [string, string] => ["rs", session(m, f)]),
      ),
      ...[C, D, T].flatMap((m) =>
        (["ipv4", "ipv6"] as const).map((f): [string, string] => ["rs2", session(m, f)]),
      ),
    ].filter(([, p]) => p !== session(D, "ipv4"));
    await eventually(
      async () => {
        const states = {
          rs: await protocolStates(lab.routeServers.get("rs")!.bird.socket),
          rs2: await protocolStates(lab.routeServers.get("rs2")!.bird.socket),
        };
        return up.every(([rs, p]) => /Established/.test(states[rs as "rs" | "rs2"].get(p)?.info ?? ""));
      },
      "every member session to reach Established",
      30_000,
    );
    // Every route a member sent has reached its route servers, accepted or filtered: a fact
    // independent of the policy under test, so it may fail the whole suite.
    const sent = (m: LabMemberSpec, family: 4 | 6) =>
      m.announce.filter((a) => a.prefix.includes(":") === (family === 6)).length;
    await eventually(
      async () => {
        for (const m of members) {
          for (const rs of m.routeServers ?? ["rs"]) {
            for (const family of [4, 6] as const) {
              const name = session(m, family === 4 ? "ipv4" : "ipv6");
              if (name === session(D, "ipv4")) continue;
              const out = await lab.routeServers.get(rs)!.bird.birdc(`show protocols all ${name}`);
              const counts = /Routes:\s+(\d+) imported, (\d+) filtered/.exec(out);
              if (Number(counts?.[1]) + Number(counts?.[2]) !== sent(m, family)) return false;
            }
          }
        }
        return true;
      },
      "every announcement to reach the route servers",
      30_000,
    );
    // Then give exports a moment to reach the receivers. This waits on what the cases expect,
    // so it only waits (never fails): a case whose route does not arrive fails by itself.
    const atC = [
      ...accepted.map((a) => a.prefix).filter((p) => p !== "2001:db8:1d00::/48"),
      "203.0.113.0/25",
      steering.prepend1.prefix,
      steering.prepend2.prefix,
      steering.prepend3.prefix,
      steering.mixed.prefix,
      blackholes.v4.prefix,
      blackholes.v6.prefix,
      viaTag.unregistered.prefix,
      viaTag.registered.prefix,
    ];
    const atBOnly = [
      steering.notToCLarge,
      steering.notToCStandard,
      steering.onlyToBLarge,
      steering.onlyToBStandard,
    ];
    await eventually(
      async () =>
        (await Promise.all(atC.map(async (p) => (await atObserver(p)).length > 0))).every(Boolean) &&
        (await Promise.all(atBOnly.map(async (a) => (await atB(a.prefix)).length > 0))).every(Boolean) &&
        (await atObserver("2001:db8:100b::/48"))[0]?.asPath === `${B.asn} 64510`,
      "routes to reach the observers",
      15_000,
    ).catch(() => undefined);
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("brings every member session to Established", async () => {
    const states = await protocolStates(lab.rs.socket);
    for (const m of [A, B, C]) {
      for (const family of ["ipv4", "ipv6"] as const) {
        expect(states.get(session(m, family))?.info, `${m.name} ${family}`).toMatch(/Established/);
      }
    }
  });

  describe("receive limits count what a member sends, filtered routes included", () => {
    it("tears down a session over its limit although every route it sent was filtered", async () => {
      // 318 IPv4 routes, all bogons, against a limit of 50.
      const out = await eventually(async () => {
        const text = await lab.rs.birdc(`show protocols all ${session(D, "ipv4")}`);
        return /Route limit exceeded/.test(text) ? text : undefined;
      }, "the route server to tear down D's IPv4 session");
      expect(out).toMatch(/Receive limit:\s+50 \[HIT\]/);
      expect(out).toMatch(/Action:\s+restart/);
      expect(out).not.toMatch(/BGP state:\s+Established/);
      // It stays down for the configured wait (default 60 s) before BIRD tries again.
      expect(out).toMatch(/Error wait:\s+[\d.]+\/60\b/);
    });

    it("keeps a session under its limit up, its filtered routes kept and counted", async () => {
      const out = await lab.rs.birdc(`show protocols all ${session(D, "ipv6")}`);
      expect(out).toMatch(/BGP state:\s+Established/);
      // The admin's override (35) wins over PeeringDB's 41 + 20 %.
      expect(out).toMatch(/Receive limit:\s+35\n/);
      expect(out).toMatch(/Routes:\s+0 imported, 30 filtered/);
    });

    /** When BIRD logged D's IPv4 session hitting its receive limit (ms, its log's local clock). */
    const hitTimes = (bird: { process: { output(): string } }) =>
      bird.process
        .output()
        .split("\n")
        .filter((l) => l.includes(`Protocol ${session(D, "ipv4")} hits route receive limit`))
        .map((l) => Date.parse(l.slice(0, 23).replace(" ", "T")))
        .filter((t) => !Number.isNaN(t)); // the kept output may start inside a line

    it("restarts a torn-down session after the configured wait, and tears it down again while it still sends too much", async () => {
      // The second route server waits 1-2 s (restart_wait_seconds) before it lets D back in.
      const rs2 = lab.routeServers.get("rs2")!.bird;
      const hit = new RegExp(
        `Protocol ${session(D, "ipv4")} hits route receive limit \\(50\\), action: restart`,
        "g",
      );
      const hits = await eventually(
        () => {
          const n = rs2.process.output().match(hit)?.length ?? 0;
          return n >= 2 ? n : undefined;
        },
        "D's IPv4 session to hit its limit, come back and hit it again",
        20_000,
      );
      expect(hits).toBeGreaterThanOrEqual(2);
      const out = await rs2.birdc(`show protocols all ${session(D, "ipv4")}`);
      expect(out).toMatch(/Receive limit:\s+50/);
      // BIRD's log: each hit comes at least the wait's minimum (1 s, less BIRD's RFC 4271 jitter
      // of up to a quarter) after the one before.
      const times = hitTimes(rs2);
      expect(times.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(750);
      // The first route server waits 60 s (the default) between two hits.
      const rsTimes = hitTimes(lab.routeServers.get("rs")!.bird);
      expect(rsTimes.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < rsTimes.length; i++)
        expect(rsTimes[i]! - rsTimes[i - 1]!).toBeGreaterThanOrEqual(45_000);
    });
  });

  describe("IRR lists built by bgpq4 from the whois stand-in", () => {
    it("expands the PeeringDB as-set, nested sets included, from the selected source only", () => {
      const a = policyData.builds.get("AS-LAB-A");
      // 203.0.113.192/26 is longer than the policy accepts (-m 25); TEST's objects are not asked for.
      expect(a?.ipv4).toEqual(["198.51.100.0/24", "203.0.113.128/25"]);
      expect(a?.ipv6).toEqual(["2001:db8:100::/48", "2001:db8:1000::/36"]);
      expect(a?.sources).toEqual(["LAB"]);
      // No as-set in PeeringDB: the member's ASN is the object.
      expect(policyData.builds.get("AS64502")?.ipv4).toEqual([]);
      expect(policyData.builds.get("AS64502")?.ipv6).toEqual([
        "2001:db8:b00::/40",
        "2001:db8:100b::/48",
        "2001:db8:100c::/48",
      ]);
      expect([...policyData.builds.keys()].sort()).toEqual([
        "AS-LAB-A",
        "AS64502",
        "AS64503",
        "AS64504",
        "AS64505",
      ]);
      expect(policyData.queries).toContain("!sLAB");
      expect(policyData.queries.some((q) => /^!a[46]AS-LAB-A$/.test(q))).toBe(true);
      const resolved = policyData.members.find((m) => m.name === "a");
      expect(resolved?.irr?.asSet).toBe("AS-LAB-A");
      expect(resolved?.receiveLimit).toEqual({ ipv4: 100, ipv6: 50 });
    });

    it("accepts a route of the as-set's nested customer set as registered", async () => {
      const [route] = await atObserver("2001:db8:1008::/48");
      expect(route?.asPath).toBe(`${A.asn} 64510 64511`);
      expect(route?.largeCommunities).toContain(info("irr_registered"));
    });
  });

  it("passes a valid route to the other members with the route server's ASN absent and the next hop kept", async () => {
    const [route] = await atObserver("198.51.100.0/24");
    expect(route?.asPath).toBe(`${A.asn}`);
    expect(route?.asPath).not.toContain(`${RS}`);
    expect(route?.nextHop).toBe(A.ipv4);
    expect(route?.largeCommunities).toContain(info("rpki_valid"));
  });

  it("passes a valid IPv6 route on the IPv6 session", async () => {
    const [route] = await atObserver("2001:db8:100::/48");
    expect(route?.asPath).toBe(`${A.asn}`);
    expect(route?.nextHop).toContain(A.ipv6);
  });

  it("accepts an RPKI-unknown route and tags it unknown", async () => {
    const [route] = await atObserver("203.0.113.128/25");
    expect(route?.largeCommunities).toContain(info("rpki_unknown"));
  });

  it("passes a longer clean path unchanged", async () => {
    expect((await atObserver("2001:db8:1008::/48"))[0]?.asPath).toBe(`${A.asn} 64510 64511`);
  });

  it("strips communities a member forges in the route server's name", async () => {
    const [route] = await atObserver("2001:db8:1009::/48");
    expect(route?.largeCommunities).not.toContain("1101");
    expect(route?.largeCommunities).toContain(info("rpki_unknown"));
  });

  it("passes NO_EXPORT through to clients instead of acting on it", async () => {
    expect((await atObserver("2001:db8:100a::/48"))[0]?.communities).toContain("(65535,65281)");
  });

  it("does not send a member's route back to it", async () => {
    expect(await routesFor(socketOf("a"), "198.51.100.0/24")).toHaveLength(1);
    expect((await routesFor(socketOf("a"), "198.51.100.0/24"))[0]?.text).toMatch(/static4/);
  });

  it.each(rejected)(
    "rejects $name, keeping it visible as filtered with its reason code",
    async ({ announce, reason }) => {
      const filtered = await eventually(
        async () =>
          (await filteredAtRs(announce.prefix)).find((r) =>
            r.asPath.startsWith(`${(announce.path ?? [A.asn])[0]}`),
          ),
        `${announce.prefix} to arrive at the route server`,
      );
      expect(filtered.largeCommunities).toContain(`(${RS}, 1101, ${rejectReasons[reason]})`);
      const seen = (await atObserver(announce.prefix)).filter((r) => r.asPath.startsWith(`${A.asn}`));
      expect(seen).toEqual([]);
    },
  );

  describe("IRR, strict mode", () => {
    it("accepts a registered route, tagged as registered", async () => {
      const [route] = await atObserver("203.0.113.128/25");
      expect(route?.largeCommunities).toContain(info("irr_registered"));
      expect(route?.largeCommunities).not.toContain(info("irr_rpki_valid_stands_in"));
    });

    it("accepts an RPKI-valid route the member has not registered, the ROA standing in", async () => {
      const [route] = await atObserver("2001:db8:200::/40");
      expect(route?.asPath).toBe(`${A.asn}`);
      expect(route?.largeCommunities).toContain(info("rpki_valid"));
      expect(route?.largeCommunities).toContain(info("irr_rpki_valid_stands_in"));
      expect(route?.largeCommunities).not.toContain(info("irr_registered"));
    });

    it("says when a member has no IRR prefixes in a family, its ROA standing in", async () => {
      const [route] = await atObserver("203.0.113.0/25");
      expect(route?.asPath).toBe(`${B.asn}`);
      expect(route?.largeCommunities).toContain(info("irr_no_prefixes"));
      expect(route?.largeCommunities).toContain(info("irr_rpki_valid_stands_in"));
    });
  });

  describe("IRR, tag mode (the second route server)", () => {
    it("accepts a route the member has not registered, tagged so", async () => {
      const [route] = await atObserver(viaTag.unregistered.prefix);
      expect(route?.asPath).toBe(`${T.asn}`);
      expect(route?.nextHop).toContain(T.ipv6);
      expect(route?.largeCommunities).toContain(info("irr_not_registered"));
      expect(route?.largeCommunities).not.toContain("1101");
    });

    it("tags a registered route as registered", async () => {
      const [route] = await atObserver(viaTag.registered.prefix);
      expect(route?.largeCommunities).toContain(info("irr_registered"));
      expect(route?.largeCommunities).not.toContain(info("irr_not_registered"));
    });
  });

  describe("action communities", () => {
    it.each([
      ["large", steering.notToCLarge],
      ["standard", steering.notToCStandard],
    ])("does not announce to the named peer (%s), and does to the others", async (_form, a) => {
      expect(await atObserver(a.prefix)).toEqual([]);
      expect((await atB(a.prefix))[0]?.asPath).toBe(`${A.asn}`);
    });

    it.each([
      ["large", steering.onlyToBLarge],
      ["standard", steering.onlyToBStandard],
    ])("announces only to the listed peers (%s)", async (_form, a) => {
      expect((await atB(a.prefix))[0]?.asPath).toBe(`${A.asn}`);
      expect(await atObserver(a.prefix)).toEqual([]);
    });

    it.each([
      [1, steering.prepend1],
      [2, steering.prepend2],
      [3, steering.prepend3],
    ])("prepends the sender's ASN %i time(s) towards the named peer only", async (times, a) => {
      expect((await atObserver(a.prefix))[0]?.asPath).toBe(
        Array(times + 1)
          .fill(A.asn)
          .join(" "),
      );
      expect((await atB(a.prefix))[0]?.asPath).toBe(`${A.asn}`);
    });

    it("removes every action community before a route leaves the route server", async () => {
      const routes = [
        ...(await Promise.all(
          [steering.onlyToBLarge, steering.onlyToBStandard, steering.notToCLarge].map((a) => atB(a.prefix)),
        )),
        ...(await Promise.all(
          [steering.prepend1, steering.prepend3, steering.mixed].map((a) => atObserver(a.prefix)),
        )),
      ].map((r) => r[0]);
      expect(routes).toHaveLength(6);
      for (const route of routes) {
        expect(route?.largeCommunities).not.toMatch(new RegExp(`\\(${RS}, (0|1|101|102|103), `));
        expect(route?.communities).not.toMatch(new RegExp(`\\((0|${RS}),`));
        // Its informational tags, which are the route server's own, stay.
        expect(route?.largeCommunities).toContain(info("irr_registered"));
      }
    });

    it("keeps action communities at the route server until export, and drops unknown ones at import", async () => {
      const [atRs] = await routesFor(lab.rs.socket, steering.mixed.prefix);
      expect(atRs?.largeCommunities).toContain(`(${RS}, 101, 64511)`);
      expect(atRs?.largeCommunities).not.toContain(`(${RS}, 5, 5)`);
      expect((await atObserver(steering.mixed.prefix))[0]?.asPath).toBe(`${A.asn}`);
    });
  });

  describe("blackholing (RFC 7999)", () => {
    // The IPv4 one is RPKI invalid as such (its ROA stops at /24): the IRR vouches for it.
    it.each([
      ["IPv4", blackholes.v4, BLACKHOLE_V4, "rpki_not_checked"],
      ["IPv6", blackholes.v6, BLACKHOLE_V6, "rpki_unknown"],
    ] as const)(
      "accepts an %s blackhole in the member's space beyond the usual length, to the blackhole next hop with NO_EXPORT",
      async (_f, a, nextHop, rpki) => {
        for (const route of [(await atObserver(a.prefix))[0], (await atB(a.prefix))[0]]) {
          expect(route?.asPath).toBe(`${A.asn}`);
          expect(route?.nextHop).toBe(nextHop);
          expect(route?.communities).toContain("(65535,666)");
          expect(route?.communities).toContain("(65535,65281)");
          expect(route?.largeCommunities).toContain(info("irr_registered"));
          expect(route?.largeCommunities).toContain(info(rpki));
        }
      },
    );

    it("treats BLACKHOLE as an ordinary community where the network has no blackhole next hop", async () => {
      const filtered = await eventually(
        async () => (await filteredAtRs(viaTag.blackhole.prefix, "rs2"))[0],
        "T's blackhole request to arrive at the second route server",
      );
      expect(filtered.largeCommunities).toContain(`(${RS}, 1101, ${rejectReasons.prefix_too_long})`);
      expect(await atObserver(viaTag.blackhole.prefix)).toEqual([]);
    });
  });

  it("lowers a gracefully shut down route below any alternative", async () => {
    const atRs = await routesFor(lab.rs.socket, "2001:db8:100b::/48");
    expect(atRs.find((r) => r.asPath === `${A.asn}`)?.localPref).toBe(0);
    expect((await atObserver("2001:db8:100b::/48"))[0]?.asPath).toBe(`${B.asn} 64510`);
    // Same shape without the community: the shorter path from A wins.
    expect((await atObserver("2001:db8:100c::/48"))[0]?.asPath).toBe(`${A.asn}`);
  });

  it("revalidates routes when the RTR cache's ROAs change, without touching BIRD's config", async () => {
    const policyMtime = statSync(lab.rsPolicyPath).mtimeMs;
    expect(await atObserver("2001:db8:1c00::/48")).toHaveLength(1);
    expect(await atObserver("2001:db8:1d00::/48")).toHaveLength(0);
    lab.setRoas(roasAfterChange);
    await eventually(
      async () => (await atObserver("2001:db8:1c00::/48")).length === 0,
      "the now-invalid route to go",
      30_000,
    );
    await eventually(
      async () => (await atObserver("2001:db8:1d00::/48")).length === 1,
      "the now-valid route to come",
      30_000,
    );
    expect((await filteredAtRs("2001:db8:1c00::/48"))[0]?.largeCommunities).toContain(
      `(${RS}, 1101, ${rejectReasons.rpki_invalid})`,
    );
    expect(statSync(lab.rsPolicyPath).mtimeMs).toBe(policyMtime);
  });

  it("tears down only the session of the family whose prefix limit a member exceeds", async () => {
    const b = lab.members.get("b")!;
    // Limit: 3 with 20 % headroom is 4, below the floor of 10. Eleven IPv6 prefixes exceed it.
    const extra = Array.from({ length: 9 }, (_, i) => ({ prefix: `2001:db8:b0${i + 1}::/48` }));
    await b.announce([...b.spec.announce, ...extra]);
    const out = await eventually(
      async () => {
        const text = await lab.rs.birdc(`show protocols all ${session(B, "ipv6")}`);
        return /Route limit exceeded/.test(text) ? text : undefined;
      },
      "the route server to tear down B's IPv6 session",
      20_000,
    );
    expect(out).toMatch(/Receive limit:\s+10 \[HIT\]/);
    expect(out).toMatch(/Action:\s+restart/);
    expect(out).not.toMatch(/BGP state:\s+Established/);
    expect((await protocolStates(lab.rs.socket)).get(session(B, "ipv4"))?.info).toMatch(/Established/);
  });
});
