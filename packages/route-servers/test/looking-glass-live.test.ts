import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNetns, hasCommand, requireSystem } from "../../../test/support/system.ts";
import { type BirdRoute, LookingGlass, rejectReasonSentences } from "../src/looking-glass/index.ts";
import { birdc } from "./support/bird.ts";
import { routeServerFixture } from "./support/fixtures.ts";
import { type LocalShell, localShell } from "./support/local-shell.ts";
import { type LgLab, type LgMemberSpec, startLookingGlassLab } from "./support/looking-glass-lab.ts";
import { eventually } from "./support/processes.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("ip netns", canUseNetns());

const RS_ASN = 64500;
// Twelve more IPv6 routes from A: enough to cut a listing by count or by size.
const many = Array.from({ length: 12 }, (_, i) => `2001:db8:a${(i + 1).toString(16).padStart(2, "0")}::/48`);

const members: LgMemberSpec[] = [
  {
    name: "a",
    asn: 64501,
    nodeId: "a000000001",
    ipv4: "192.0.2.11",
    ipv6: "2001:db8::11",
    announce: [
      // Also a forged reason tag of ours, which the policy strips.
      {
        prefix: "198.51.100.0/24",
        communities: [[64501, 100]],
        largeCommunities: [
          [64501, 1, 2],
          [RS_ASN, 1101, 13],
        ],
      },
      { prefix: "203.0.113.0/25" }, // longer than /24: reason 1
      { prefix: "10.10.0.0/16" }, // private space: reason 3
      { prefix: "2001:db8:100::/48" }, // RPKI valid
      { prefix: "2001:db8:400::/48", behind: [64510] }, // loses to B's shorter path
      ...many.map((prefix) => ({ prefix })),
    ],
  },
  {
    name: "b",
    asn: 64502,
    nodeId: "b000000002",
    ipv4: "192.0.2.12",
    ipv6: "2001:db8::12",
    announce: [
      { prefix: "203.0.113.0/24" }, // RPKI unknown
      { prefix: "198.51.100.0/24" }, // A's ROA: RPKI invalid, reason 13
      { prefix: "2001:db8:300::/48" }, // A's ROA: RPKI invalid
      { prefix: "2001:db8:400::/48" },
    ],
  },
  // Configured on the route server, with no router behind the address.
  {
    name: "c",
    asn: 64503,
    nodeId: "c000000003",
    ipv4: "192.0.2.13",
    ipv6: "2001:db8::13",
    absent: true,
    announce: [],
  },
];

const roas = [
  { prefix: "198.51.100.0/24", maxLength: 24, asn: 64501 },
  { prefix: "2001:db8:100::/48", maxLength: 48, asn: 64501 },
  { prefix: "2001:db8:300::/48", maxLength: 48, asn: 64501 },
];

const summary = (r: BirdRoute) => `${r.filtered ? "filtered" : "accepted"} ${r.prefix} ${r.protocol}`;

describe.skipIf(!present)("the looking glass on a live route server", () => {
  let lab: LgLab;
  let dir: string;
  let shell: LocalShell;
  let lg: LookingGlass;
  let startedAt: number;
  const p = (name: string, family: "ipv4" | "ipv6" = "ipv4") => lab.protocol(name, family);

  beforeAll(async () => {
    startedAt = Date.now();
    dir = mkdtempSync(join(tmpdir(), "ztix-lg-lab-"));
    lab = await startLookingGlassLab({ dir, roas, members });
    shell = localShell();
    lg = new LookingGlass(shell, lab.rsConfig);
    // Settled when every session carries all it will: BIRD sends routes in several updates.
    const expected: Array<[string, RegExp]> = [
      [p("a"), /Routes:\s+1 imported, 2 filtered, 1 exported/],
      [p("a", "ipv6"), /Routes:\s+14 imported, 0 filtered, 1 exported/],
      [p("b"), /Routes:\s+1 imported, 1 filtered, 1 exported/],
      [p("b", "ipv6"), /Routes:\s+1 imported, 1 filtered, 13 exported/],
    ];
    await eventually(
      async () => {
        for (const [protocol, counters] of expected) {
          if (!counters.test(await birdc(lab.rs.socket, `show protocols all ${protocol}`))) return false;
        }
        return true;
      },
      "every member's routes at the route server",
      30_000,
    );
  }, 90_000);

  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads the state of a member's sessions in one remote command", async () => {
    const before = shell.commands.length;
    const report = await lg.sessions([p("a"), p("a", "ipv6")]);
    expect(shell.commands.length - before).toBe(1);
    expect(report.status).toMatchObject({ version: "2.0.12", routerId: "192.0.2.1" });
    expect(report.status.clock).toBeDefined();
    const [v4, v6] = report.sessions;
    expect(v4).toMatchObject({
      protocol: p("a"),
      status: {
        state: "up",
        bgpState: "Established",
        neighborAddress: "192.0.2.11",
        neighborAs: 64501,
        localAs: RS_ASN,
        description: "AS64501 000001 a000000001",
        channels: [
          {
            name: "ipv4",
            state: "UP",
            routes: { imported: 1, filtered: 2, exported: 1 },
            importLimit: { limit: 100, hit: false, action: "restart" },
          },
        ],
      },
    });
    expect(v6?.status).toMatchObject({
      bgpState: "Established",
      neighborAddress: "2001:db8::11",
      channels: [
        { name: "ipv6", routes: { imported: 14, filtered: 0, exported: 1 }, importLimit: { limit: 50 } },
      ],
    });
    // The box's clock is ours here: the session came up after the lab started, and before now.
    const since = Date.parse(v4!.status!.since!.at!);
    expect(since).toBeGreaterThanOrEqual(startedAt - 1_000);
    expect(since).toBeLessThanOrEqual(Date.now());
  });

  it("reports a session that cannot come up, and a protocol the route server does not have", async () => {
    const unknown = "m_as64599_000001_0000000000_v4";
    const report = await lg.sessions([p("c"), unknown, p("c")]);
    expect(report.sessions.map((s) => s.protocol)).toEqual([p("c"), unknown]);
    const c = report.sessions[0]!.status!;
    expect(c.state).toBe("start");
    expect(["Idle", "Connect", "Active"]).toContain(c.bgpState);
    expect(c.channels[0]).toMatchObject({ name: "ipv4", state: "DOWN" });
    expect(c.channels[0]!.routes).toBeUndefined();
    expect(report.sessions[1]).toEqual({
      protocol: unknown,
      problem: { kind: "unknown_protocol", message: expect.stringContaining("CF_SYM_UNDEFINED") },
    });
  });

  it("lists what a member sent: refused routes first, with their reasons, then accepted ones", async () => {
    const before = shell.commands.length;
    const report = await lg.receivedRoutes([p("a"), p("a", "ipv6")]);
    expect(shell.commands.length - before).toBe(1);
    expect(report).toMatchObject({ truncated: false, problems: [] });
    expect(report.routes.slice(0, 3).map(summary)).toEqual([
      `filtered 10.10.0.0/16 ${p("a")}`,
      `filtered 203.0.113.0/25 ${p("a")}`,
      `accepted 198.51.100.0/24 ${p("a")}`,
    ]);
    expect(report.routes).toHaveLength(2 + 1 + 14);
    const [bogon, tooLong, valid] = report.routes;
    expect(bogon!.tags!.reasons).toEqual([
      { code: 3, reason: "bogon_prefix", text: rejectReasonSentences.bogon_prefix },
    ]);
    expect(tooLong!.tags!.reasons.map((r) => r.reason)).toEqual(["prefix_too_long"]);
    expect(valid).toMatchObject({
      primary: true,
      asPath: [64501],
      origin: "IGP",
      bgpNextHop: ["192.0.2.11"],
      communities: [[64501, 100]],
      largeCommunities: [
        [64501, 1, 2],
        [RS_ASN, 1000, 1],
      ],
      tags: { reasons: [], rpki: "valid" },
    });
    const v6 = report.routes.filter((r) => r.protocol === p("a", "ipv6"));
    expect(v6.map((r) => r.prefix).sort()).toEqual(
      ["2001:db8:100::/48", "2001:db8:400::/48", ...many].sort(),
    );
    expect(v6.find((r) => r.prefix === "2001:db8:400::/48")).toMatchObject({
      primary: false,
      asPath: [64501, 64510],
      originAs: 64510,
      tags: { rpki: "unknown" },
    });
    expect(v6.every((r) => r.table === "master6" && !r.filtered)).toBe(true);
  });

  it("lists what the route server sends a member: others' best routes, none of its own, none refused", async () => {
    const report = await lg.exportedRoutes([p("b"), p("b", "ipv6")]);
    expect(report.problems).toEqual([]);
    expect(report.routes.map((r) => r.prefix).sort()).toEqual(
      ["198.51.100.0/24", "2001:db8:100::/48", ...many].sort(),
    );
    expect(report.routes.every((r) => r.protocol.startsWith("m_as64501_"))).toBe(true);
    expect(report.routes.find((r) => r.prefix === "198.51.100.0/24")!.tags!.rpki).toBe("valid");
  });

  it("says that nothing is sent over a session that is down", async () => {
    const report = await lg.exportedRoutes([p("c")]);
    expect(report.routes).toEqual([]);
    expect(report.problems).toEqual([
      {
        command: `show route export ${p("c")} all`,
        problem: { kind: "no_tables", message: "No valid tables" },
      },
    ]);
  });

  it("looks a prefix up: the accepted route and the refused one, with why", async () => {
    const report = await lg.lookup("198.51.100.0/24");
    expect(report.target).toEqual({ kind: "prefix", family: 4, prefix: "198.51.100.0/24" });
    expect(report.routes.map(summary)).toEqual([
      `accepted 198.51.100.0/24 ${p("a")}`,
      `filtered 198.51.100.0/24 ${p("b")}`,
    ]);
    expect(report.routes[1]!.tags).toMatchObject({
      rpki: "invalid",
      reasons: [{ code: 13, reason: "rpki_invalid" }],
    });
  });

  it("shows a member only its own refused routes when asked to", async () => {
    const report = await lg.lookup("198.51.100.0/24", { filteredFrom: [p("a"), p("a", "ipv6")] });
    expect(report.routes.map(summary)).toEqual([`accepted 198.51.100.0/24 ${p("a")}`]);
    const own = await lg.lookup("198.51.100.0/24", { filteredFrom: [p("b"), p("b", "ipv6")] });
    expect(own.routes.map(summary)).toContain(`filtered 198.51.100.0/24 ${p("b")}`);
  });

  it("looks an address up by longest match, best route first", async () => {
    const report = await lg.lookup("2001:db8:400::1");
    expect(report.target).toEqual({ kind: "address", family: 6, address: "2001:db8:400::1" });
    expect(report.routes.map((r) => [r.prefix, r.protocol, r.primary])).toEqual([
      ["2001:db8:400::/48", p("b", "ipv6"), true],
      ["2001:db8:400::/48", p("a", "ipv6"), false],
    ]);
  });

  it("finds nothing where nothing is announced, without calling it a failure", async () => {
    const report = await lg.lookup("192.0.2.0/25");
    expect(report).toMatchObject({ routes: [], problems: [], truncated: false });
  });

  it("refuses a lookup BIRD would misread, before running anything", async () => {
    const before = shell.commands.length;
    await expect(lg.lookup("198.51.100.1/24")).rejects.toMatchObject({ code: "looking_glass_invalid_input" });
    await expect(lg.lookup("198.51.100.0/24 all; reboot")).rejects.toMatchObject({
      code: "looking_glass_invalid_input",
    });
    expect(shell.commands.length).toBe(before);
  });

  it("stops at the route cap and says so", async () => {
    const capped = new LookingGlass(shell, lab.rsConfig, { maxRoutes: 5 });
    const report = await capped.receivedRoutes([p("a"), p("a", "ipv6")]);
    expect(report.routes).toHaveLength(5);
    expect(report).toMatchObject({ truncated: true, truncatedBy: "routes" });
    // Refused routes come first: a cap never hides why a member's routes are missing.
    expect(report.routes.filter((r) => r.filtered)).toHaveLength(2);
  });

  it("stops at the byte cap, shows only whole routes, and says so", async () => {
    const full = await lg.receivedRoutes([p("a"), p("a", "ipv6")]);
    const capped = new LookingGlass(shell, lab.rsConfig, { maxOutputBytes: 3_000 });
    const report = await capped.receivedRoutes([p("a"), p("a", "ipv6")]);
    expect(report).toMatchObject({ truncated: true, truncatedBy: "bytes" });
    expect(report.routes.length).toBeGreaterThan(0);
    expect(report.routes.length).toBeLessThan(full.routes.length);
    // Every route shown is whole: as in the uncapped listing, but for its age. BIRD prints
    // "since" from a monotonic clock as wall-clock time, so two reads can differ by a ms.
    const timeless = ({ since: _since, ...rest }: BirdRoute) => rest;
    expect(report.routes.map(timeless)).toEqual(full.routes.slice(0, report.routes.length).map(timeless));
  });

  it("reports a route server that does not answer in time, and reads it again once it does", async () => {
    const pid = lab.rs.process.child.pid!;
    const quick = new LookingGlass(shell, lab.rsConfig, { timeLimitMs: 1_500 });
    process.kill(pid, "SIGSTOP");
    try {
      const started = Date.now();
      await expect(quick.sessions([p("a")])).rejects.toMatchObject({
        code: "looking_glass_timeout",
        status: 504,
      });
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(1_400);
      expect(took).toBeLessThan(4_000);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const report = await quick.sessions([p("a")]);
    expect(report.sessions[0]!.status!.bgpState).toBe("Established");
  });

  it("reports a route server whose BIRD cannot be reached", async () => {
    const elsewhere = routeServerFixture({ asn: RS_ASN }, join(dir, "nowhere"));
    const report = new LookingGlass(shell, elsewhere).sessions([p("a")]);
    await expect(report).rejects.toMatchObject({
      code: "looking_glass_unavailable",
      message: expect.stringContaining("Unable to connect to server control socket"),
    });
  });
});
