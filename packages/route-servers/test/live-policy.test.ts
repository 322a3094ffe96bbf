import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNetns, hasCommand, requireSystem } from "../../../test/support/system.ts";
import { memberProtocolName, rejectReasons } from "../src/index.ts";
import { protocolStates } from "./support/bird.ts";
import { LAB_NETWORK, policyFixture } from "./support/fixtures.ts";
import {
  type Announcement,
  LAN,
  type Lab,
  type LabMemberSpec,
  type Roa,
  routesFor,
  startLab,
} from "./support/lab.ts";
import { eventually, freePort } from "./support/processes.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("stayrtr", hasCommand("stayrtr")) &&
  requireSystem("ip netns", canUseNetns());

// Documentation resources only. The peering LAN is 192.0.2.0/24 and 2001:db8::/64.
const A = { name: "a", asn: 64501, nodeId: "a000000001", ipv4: "192.0.2.11", ipv6: "2001:db8::11" };
const B = { name: "b", asn: 64502, nodeId: "b000000002", ipv4: "192.0.2.12", ipv6: "2001:db8::12" };
const C = { name: "c", asn: 64503, nodeId: "c000000003", ipv4: "192.0.2.13", ipv6: "2001:db8::13" };

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
];

const accepted: Announcement[] = [
  { prefix: "198.51.100.0/24" }, // RPKI valid
  { prefix: "2001:db8:100::/48" }, // RPKI valid
  { prefix: "203.0.113.128/25" }, // RPKI unknown
  { prefix: "2001:db8:1008::/48", path: [A.asn, 64510, 64511] }, // longer clean path
  { prefix: "2001:db8:1009::/48", largeCommunities: [[LAN.rsAsn, 1101, 13]] }, // tries to forge our tags
  { prefix: "2001:db8:100a::/48", communities: [[65535, 65281]] }, // NO_EXPORT passes through
  { prefix: "2001:db8:100b::/48", communities: [[65535, 0]] }, // graceful shutdown vs B's longer path
  { prefix: "2001:db8:100c::/48" }, // control: no graceful shutdown, shorter path wins
  { prefix: "2001:db8:1c00::/48" }, // unknown now, invalid after the ROA change
  { prefix: "2001:db8:1d00::/48" }, // invalid now, valid after the ROA change
];

const members: LabMemberSpec[] = [
  { ...A, announce: [...accepted, ...rejected.map((c) => c.announce)] },
  {
    ...B,
    maxPrefix: { ipv6: 3 },
    announce: [
      { prefix: "203.0.113.0/25" },
      { prefix: "2001:db8:100b::/48", path: [B.asn, 64510] },
      { prefix: "2001:db8:100c::/48", path: [B.asn, 64510] },
    ],
  },
  { ...C, announce: [] },
];

describe.skipIf(!present)("route-server policy on live BIRD sessions in network namespaces", () => {
  let lab: Lab;
  let dir: string;
  const policy = policyFixture({ ipv4_prefix_length: [8, 25] });
  const observer = () => lab.members.get("c")!.bird.socket;
  const atObserver = (prefix: string) => routesFor(observer(), prefix);
  const filteredAtRs = (prefix: string) => routesFor(lab.rs.socket, prefix, { filtered: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ztix-rs-lab-"));
    lab = await startLab({ dir, policy, roas, rtrPort: await freePort(), members });
    // Everything A sends travels together; once its last accepted route reached C, all did.
    // All sessions up, then one route of each sender at the observer: each member's routes
    // travel in one burst, so once one arrived the rest did too.
    const sessions = [A, B, C].flatMap((m) =>
      (["ipv4", "ipv6"] as const).map((f) =>
        memberProtocolName({ asn: m.asn, network: LAB_NETWORK, nodeId: m.nodeId }, f),
      ),
    );
    await eventually(
      async () => {
        const states = await protocolStates(lab.rs.socket);
        return sessions.every((p) => /Established/.test(states.get(p)?.info ?? ""));
      },
      "every member session to reach Established",
      30_000,
    );
    // BIRD sends a member's routes in several updates, and RPKI states settle as the RTR
    // session fills the ROA tables: wait until every route expected now is at the observer.
    const expectedNow = [
      ...accepted.map((a) => a.prefix).filter((p) => p !== "2001:db8:1d00::/48"),
      "203.0.113.0/25",
    ];
    await eventually(
      async () =>
        (await Promise.all(expectedNow.map(async (p) => (await atObserver(p)).length > 0))).every(Boolean) &&
        (await atObserver("2001:db8:100b::/48"))[0]?.asPath === `${B.asn} 64510`,
      "routes to reach the observer",
      30_000,
    );
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("brings every member session to Established", async () => {
    const states = await protocolStates(lab.rs.socket);
    for (const m of [A, B, C]) {
      for (const family of ["ipv4", "ipv6"] as const) {
        expect(
          states.get(memberProtocolName({ asn: m.asn, network: LAB_NETWORK, nodeId: m.nodeId }, family))
            ?.info,
          `${m.name} ${family}`,
        ).toMatch(/Established/);
      }
    }
  });

  it("passes a valid route to the other members with the route server's ASN absent and the next hop kept", async () => {
    const [route] = await atObserver("198.51.100.0/24");
    expect(route?.asPath).toBe(`${A.asn}`);
    expect(route?.asPath).not.toContain(`${LAN.rsAsn}`);
    expect(route?.nextHop).toBe(A.ipv4);
    expect(route?.largeCommunities).toContain(`(${LAN.rsAsn}, 1000, 1)`);
  });

  it("passes a valid IPv6 route on the IPv6 session", async () => {
    const [route] = await atObserver("2001:db8:100::/48");
    expect(route?.asPath).toBe(`${A.asn}`);
    expect(route?.nextHop).toContain(A.ipv6);
  });

  it("accepts an RPKI-unknown route and tags it unknown", async () => {
    const [route] = await atObserver("203.0.113.128/25");
    expect(route?.largeCommunities).toContain(`(${LAN.rsAsn}, 1000, 2)`);
  });

  it("passes a longer clean path unchanged", async () => {
    expect((await atObserver("2001:db8:1008::/48"))[0]?.asPath).toBe(`${A.asn} 64510 64511`);
  });

  it("strips communities a member forges in the route server's name", async () => {
    const [route] = await atObserver("2001:db8:1009::/48");
    expect(route?.largeCommunities).not.toContain("1101");
    expect(route?.largeCommunities).toContain(`(${LAN.rsAsn}, 1000, 2)`);
  });

  it("passes NO_EXPORT through to clients instead of acting on it", async () => {
    expect((await atObserver("2001:db8:100a::/48"))[0]?.communities).toContain("(65535,65281)");
  });

  it("does not send a member's route back to it", async () => {
    expect(await routesFor(lab.members.get("a")!.bird.socket, "198.51.100.0/24")).toHaveLength(1);
    expect((await routesFor(lab.members.get("a")!.bird.socket, "198.51.100.0/24"))[0]?.text).toMatch(
      /static4/,
    );
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
      expect(filtered.largeCommunities).toContain(`(${LAN.rsAsn}, 1101, ${rejectReasons[reason]})`);
      const seen = (await atObserver(announce.prefix)).filter((r) => r.asPath.startsWith(`${A.asn}`));
      expect(seen).toEqual([]);
    },
  );

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
      `(${LAN.rsAsn}, 1101, 13)`,
    );
    expect(statSync(lab.rsPolicyPath).mtimeMs).toBe(policyMtime);
  });

  it("tears down only the session of the family whose prefix limit a member exceeds", async () => {
    const b = lab.members.get("b")!;
    const v6 = memberProtocolName({ asn: B.asn, network: LAB_NETWORK, nodeId: B.nodeId }, "ipv6");
    const v4 = memberProtocolName({ asn: B.asn, network: LAB_NETWORK, nodeId: B.nodeId }, "ipv4");
    // Limit: 3 with 20 % headroom → 4. Six IPv6 prefixes exceed it.
    const extra = ["2001:db8:b01::/48", "2001:db8:b02::/48", "2001:db8:b03::/48", "2001:db8:b04::/48"];
    await b.announce([...b.spec.announce, ...extra.map((prefix) => ({ prefix }))]);
    const info = await eventually(
      async () => {
        const out = await lab.rs.birdc(`show protocols all ${v6}`);
        return /Route limit exceeded/.test(out) ? out : undefined;
      },
      "the route server to tear down B's IPv6 session",
      20_000,
    );
    expect(info).toMatch(/Import limit:\s+4 \[HIT\]/);
    expect(info).toMatch(/Action:\s+restart/);
    expect(info).not.toMatch(/BGP state:\s+Established/);
    expect((await protocolStates(lab.rs.socket)).get(v4)?.info).toMatch(/Established/);
  });
});
