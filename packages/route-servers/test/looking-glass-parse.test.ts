import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type BirdClock,
  checkProtocolName,
  decodeRouteServerTags,
  describeInfo,
  describeRejectReason,
  infoSentences,
  LookingGlass,
  type LookingGlassShell,
  parseBirdClock,
  parseBirdTime,
  parseLookupTarget,
  parseMemberProtocolName,
  parseProtocolsAll,
  parseRoutes,
  parseShowStatus,
  rejectReasonSentences,
  replyProblem,
  sameBirdTime,
  splitReply,
  splitSections,
} from "../src/looking-glass/index.ts";
import { infoCodes, rejectReasons } from "../src/render/reasons.ts";

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "fixtures", "looking-glass", name), "utf8");
const reply = (name: string) => splitReply(fixture(name));
/** Our clock when the fixture's `show status` was read: any instant will do, as long as it is fixed. */
const OBSERVED = Date.parse("2030-06-01T12:00:00.000Z");
const clockOf = (name: string): BirdClock => parseShowStatus(reply(name), OBSERVED).clock!;
const RS_ASN = 64500;
const A4 = "m_as64501_000001_a000000001_v4";

describe("birdc -v replies", () => {
  it("cuts the five columns of code or continuation and keeps BIRD's own indentation", () => {
    const lines = reply("protocols-active-no-route.txt").lines;
    expect(lines[0]).toEqual({
      code: 2002,
      text: "Name       Proto      Table      State  Since         Info",
    });
    expect(lines.find((l) => l.text.includes("Description"))).toEqual({
      code: 1006,
      text: "  Description:    AS64503 000001 c000000003",
    });
    expect(lines.find((l) => l.text.includes("Neighbor address"))?.text).toBe(
      "    Neighbor address: 192.0.2.13",
    );
  });

  it("takes the greeting alone for an empty answer, not for silence", () => {
    const empty = reply("routes-empty.txt");
    expect(empty.lines).toEqual([]);
    expect(empty.greeting).toBe("BIRD 2.0.12 ready.");
    expect(replyProblem(empty)).toBeUndefined();
  });

  it("tells a socket birdc cannot reach from an answer", () => {
    const unreachable = reply("unreachable.txt");
    expect(replyProblem(unreachable)).toEqual({
      kind: "unreachable",
      message:
        "Unable to connect to server control socket (/nonexistent/bird.ctl): No such file or directory",
    });
  });

  it("names BIRD's refusals: an unknown protocol, a channel that is down, nothing found", () => {
    expect(replyProblem(reply("protocols-unknown.txt"))?.kind).toBe("unknown_protocol");
    expect(replyProblem(reply("routes-export-channel-down.txt"))).toEqual({
      kind: "no_tables",
      message: "No valid tables",
    });
    expect(replyProblem(reply("routes-not-found.txt"))).toEqual({
      kind: "not_found",
      message: "Network not found",
    });
  });

  it("cuts a line longer than any BGP message could print and says so", () => {
    const r = splitReply(`0001 BIRD 2.0.12 ready.\n1007-${"x".repeat(300_000)}\n`);
    expect(r.cut).toBe(true);
    expect(r.lines[0]!.text.length).toBeLessThanOrEqual(256 * 1024);
  });
});

describe("show status", () => {
  it("reads the version, router id and the box's clock", () => {
    const status = parseShowStatus(reply("status-after-midnight.txt"), OBSERVED);
    expect(status).toMatchObject({
      version: "2.0.12",
      routerId: "192.0.2.1",
      hostname: "vm",
      serverTime: "2026-12-02 00:00:24.295",
      lastReboot: "2026-12-01 23:49:25.369",
      daemon: "Daemon is up and running",
    });
    expect(status.clock).toEqual({
      text: "2026-12-02 00:00:24.295",
      wallMs: Date.UTC(2026, 11, 2, 0, 0, 24, 295),
      observedAtMs: OBSERVED,
    });
  });
});

describe("show protocols all", () => {
  it("reads an established session, its counters and import limit", () => {
    const [p] = parseProtocolsAll(
      reply("protocols-established-v4-after-midnight.txt"),
      clockOf("status-after-midnight.txt"),
    );
    expect(p).toMatchObject({
      name: A4,
      proto: "BGP",
      state: "up",
      info: "Established",
      description: "AS64501 000001 a000000001",
      bgpState: "Established",
      neighborAddress: "192.0.2.11",
      neighborAs: 64501,
      localAs: 64500,
      neighborId: "192.0.2.11",
      sourceAddress: "192.0.2.1",
    });
    expect(p!.lastError).toBeUndefined();
    expect(p!.channels).toEqual([
      {
        name: "ipv4",
        state: "UP",
        table: "master4",
        routes: { imported: 1, filtered: 2, exported: 1, preferred: 1 },
        importLimit: { limit: 100, hit: false, action: "restart" },
      },
    ]);
  });

  it("dates a time of day read just after midnight to the day before", () => {
    const [p] = parseProtocolsAll(
      reply("protocols-established-v4-after-midnight.txt"),
      clockOf("status-after-midnight.txt"),
    );
    // 23:49:26.546 on a clock reading 00:00:24.295: 10 min 57.749 s ago, yesterday.
    expect(p!.since).toEqual({
      text: "23:49:26.546",
      local: "2026-12-01T23:49:26.546",
      precision: "ms",
      ageMs: 657_749,
      at: new Date(OBSERVED - 657_749).toISOString(),
    });
  });

  it("keeps only the time as printed when there is no clock to date it by", () => {
    const [p] = parseProtocolsAll(reply("protocols-established-v4-after-midnight.txt"));
    expect(p!.since).toEqual({ text: "23:49:26.546", precision: "ms" });
  });

  it("reads an IPv6 session's channel", () => {
    const [p] = parseProtocolsAll(reply("protocols-established-v6.txt"));
    expect(p!.neighborAddress).toBe("2001:db8::11");
    expect(p!.channels[0]).toMatchObject({
      name: "ipv6",
      table: "master6",
      routes: { imported: 2, filtered: 0, exported: 1, preferred: 1 },
      importLimit: { limit: 50, hit: false, action: "restart" },
    });
  });

  it("reads a session that cannot connect, with BIRD's last error", () => {
    const [p] = parseProtocolsAll(reply("protocols-active-no-route.txt"));
    expect(p).toMatchObject({
      state: "start",
      bgpState: "Active",
      lastError: "Socket: No route to host",
      info: "Active        Socket: No route to host",
    });
    expect(p!.channels).toEqual([
      {
        name: "ipv4",
        state: "DOWN",
        table: "master4",
        importLimit: { limit: 100, hit: false, action: "restart" },
      },
    ]);
  });

  it("reads an import limit that was hit and the shutdown it caused", () => {
    const [p] = parseProtocolsAll(reply("protocols-import-limit-hit.txt"), clockOf("status-limit-hit.txt"));
    expect(p).toMatchObject({
      bgpState: "Idle",
      lastError: "Automatic shutdown: Route limit exceeded",
      since: { local: "2026-12-02T00:00:53.851", ageMs: 16_229 },
    });
    expect(p!.channels[0]!.importLimit).toEqual({ limit: 2, hit: true, action: "restart" });
  });

  it("reads a receive limit, and counters without a filtered count where BIRD keeps none", () => {
    const [p] = parseProtocolsAll(reply("member-protocols-receive-limit.txt"));
    expect(p!.description).toBeUndefined();
    expect(p!.channels[0]).toEqual({
      name: "ipv4",
      state: "UP",
      table: "master4",
      receiveLimit: { limit: 1000, hit: false, action: "warn" },
      routes: { imported: 1, exported: 3, preferred: 1 },
    });
  });

  it("reads the date BIRD prints alone for an older change, as the start of that day", () => {
    const [p] = parseProtocolsAll(
      reply("member-date-format-protocols.txt"),
      clockOf("member-date-format-status.txt"),
    );
    expect(p!.info).toBe("Established");
    expect(p!.since).toEqual({
      text: "2026-12-02",
      local: "2026-12-02",
      precision: "day",
      ageMs: 70_087,
      at: new Date(OBSERVED - 70_087).toISOString(),
    });
  });

  it("reads a full date and time in the row although it holds a space", () => {
    const [p] = parseProtocolsAll(reply("member-iso-long-protocols.txt"));
    expect(p).toMatchObject({
      name: "rs4",
      state: "up",
      info: "Established",
      since: { text: "2026-12-02 00:00:50", local: "2026-12-02T00:00:50", precision: "s" },
    });
  });

  it("finds no protocol in BIRD's refusal", () => {
    expect(parseProtocolsAll(reply("protocols-unknown.txt"))).toEqual([]);
  });
});

describe("show route … all", () => {
  const routesOf = (
    name: string,
    filtered = false,
    extra: Parameters<typeof parseRoutes>[1] = { filtered },
  ) => parseRoutes(reply(name), { rsAsn: RS_ASN, ...extra, filtered });

  it("reads an accepted route with its attributes and the route server's RPKI tag", () => {
    const { routes, truncated } = routesOf("routes-received-v4.txt");
    expect(truncated).toBe(false);
    expect(routes).toEqual([
      {
        table: "master4",
        prefix: "198.51.100.0/24",
        type: "unicast",
        protocol: A4,
        since: { text: "23:49:26.824", precision: "ms" },
        primary: true,
        filtered: false,
        preference: 100,
        gateways: [{ address: "192.0.2.11", interface: "eth0" }],
        sourceType: "BGP univ",
        origin: "IGP",
        asPathText: "64501",
        asPath: [64501],
        originAs: 64501,
        bgpNextHop: ["192.0.2.11"],
        localPref: 100,
        communities: [[64501, 100]],
        // The member also sent (64500, 1101, 13): the policy strips our own tags first.
        largeCommunities: [
          [64501, 1, 2],
          [64500, 1000, 1],
        ],
        extendedCommunities: [],
        otherAttributes: {},
        tags: {
          reasons: [],
          info: [{ code: 1, info: "rpki_valid", text: infoSentences.rpki_valid }],
          rpki: "valid",
        },
      },
    ]);
  });

  it("reads filtered routes with their reasons in words", () => {
    const { routes } = routesOf("routes-filtered-v4.txt", true);
    expect(routes.map((r) => [r.prefix, r.filtered, r.tags])).toEqual([
      [
        "10.10.0.0/16",
        true,
        {
          reasons: [{ code: 3, reason: "bogon_prefix", text: rejectReasonSentences.bogon_prefix }],
          info: [],
        },
      ],
      [
        "203.0.113.0/25",
        true,
        {
          reasons: [{ code: 1, reason: "prefix_too_long", text: rejectReasonSentences.prefix_too_long }],
          info: [],
        },
      ],
    ]);
    // BIRD 2.0.12 marks filtered routes `*` too: the flag means nothing there.
    expect(routes.every((r) => r.primary)).toBe(true);
  });

  it("reads an RPKI-invalid route's path and origin", () => {
    const [route] = routesOf("routes-filtered-long-path.txt", true).routes;
    expect(route).toMatchObject({
      asPath: [64501, 64510, 64511],
      originAs: 64511,
      tags: { rpki: "invalid" },
    });
    expect(route!.tags!.reasons.map((r) => r.reason)).toEqual(["rpki_invalid"]);
  });

  it("gives a prefix's further routes, printed without it, their prefix", () => {
    const { routes } = routesOf("routes-lookup-two-routes.txt");
    expect(routes.map((r) => [r.prefix, r.protocol, r.primary, r.asPathText, r.originAs])).toEqual([
      ["2001:db8:400::/48", "m_as64502_000001_b000000002_v6", true, "64502", 64502],
      ["2001:db8:400::/48", "m_as64501_000001_a000000001_v6", false, "64501 64510", 64510],
    ]);
    expect(routes.map((r) => r.table)).toEqual(["master6", "master6"]);
  });

  it("reads several tables, routes with no next hop, and the neighbour a route came from", () => {
    const { routes } = parseRoutes(reply("member-routes-all.txt"), { filtered: false });
    expect(routes.map((r) => `${r.table} ${r.prefix} ${r.type} ${r.protocol}`)).toEqual([
      "master4 198.51.100.0/24 blackhole static4",
      "master4 10.10.0.0/16 blackhole static4",
      "master4 203.0.113.0/25 blackhole static4",
      "master4 203.0.113.0/24 unicast rs4",
      "master6 2001:db8:400::/48 blackhole static6",
      "master6 2001:db8:400::/48 unicast rs6",
      "master6 2001:db8:100::/48 blackhole static6",
    ]);
    expect(routes[0]).toMatchObject({ gateways: [], sourceType: "static univ", preference: 200 });
    expect(routes[0]!.originAs).toBeUndefined();
    expect(routes[3]).toMatchObject({ from: "192.0.2.1", gateways: [{ address: "192.0.2.12" }] });
    expect(routes[5]).toMatchObject({ from: "2001:db8::1", primary: false });
  });

  it("reads route times in the date-only and the full format", () => {
    const clock = clockOf("member-date-format-status.txt");
    const dated = parseRoutes(reply("member-date-format-routes.txt"), { filtered: false, clock }).routes;
    expect(dated[1]).toMatchObject({
      from: "192.0.2.1",
      since: { text: "2026-12-02", precision: "day", ageMs: 70_087 },
    });
    const [long] = parseRoutes(reply("member-iso-long-routes.txt"), { filtered: false }).routes;
    expect(long!.since).toEqual({
      text: "2026-12-02 00:00:49",
      local: "2026-12-02T00:00:49",
      precision: "s",
    });
  });

  it("stops at the route cap and says so", () => {
    const { routes, truncated } = routesOf("routes-lookup-two-routes.txt", false, {
      filtered: false,
      maxRoutes: 1,
    });
    expect(routes.map((r) => r.protocol)).toEqual(["m_as64502_000001_b000000002_v6"]);
    expect(truncated).toBe(true);
  });

  it("drops the last route of a reply cut short, which may have lost attributes", () => {
    const text = fixture("routes-lookup-two-routes.txt");
    const cut = text.slice(0, text.indexOf("BGP.as_path: 64501 64510"));
    const { routes, truncated } = parseRoutes(splitReply(cut), { filtered: false, incomplete: true });
    expect(routes.map((r) => r.protocol)).toEqual(["m_as64502_000001_b000000002_v6"]);
    expect(truncated).toBe(true);
  });

  it("finds no routes in an empty answer or in BIRD's refusals", () => {
    for (const name of ["routes-empty.txt", "routes-not-found.txt", "routes-export-channel-down.txt"])
      expect(parseRoutes(reply(name), { filtered: false }).routes).toEqual([]);
  });

  it("skips lines of shapes it does not know instead of guessing", () => {
    const text = [
      "0001 BIRD 2.0.12 ready.",
      "1007-Table master4:",
      "     \tdev eth0",
      "     198.51.100.0/24      strange [p 12:00:00.000] * (100)",
      "     203.0.113.0/24       unicast [m_as1_000001_0000000001_v4 12:00:00.000] * (100) [AS1i]",
      "1012-\tBGP.community: (1,2) (70000,1) (3,4",
      "     \tBGP.large_community: (1, 2, 99999999999) (1, 2, 3)",
      "     \tBGP.weird attribute line",
      "1008-\tType: BGP univ",
    ].join("\n");
    const { routes } = parseRoutes(splitReply(text), { filtered: false });
    expect(routes).toHaveLength(1);
    expect(routes[0]).toMatchObject({
      prefix: "203.0.113.0/24",
      communities: [[1, 2]],
      largeCommunities: [[1, 2, 3]],
      sourceType: "BGP univ",
      otherAttributes: {},
    });
  });
});

describe("BIRD's timestamps", () => {
  it("reads two readings a millisecond apart as one moment, and a restart as another", () => {
    expect(sameBirdTime("04:40:12.774", "04:40:12.775")).toBe(true);
    expect(sameBirdTime("04:40:12.999", "04:40:13.000")).toBe(true);
    expect(sameBirdTime("04:40:12.774", "04:40:14.100")).toBe(false);
    expect(sameBirdTime("04:40:12.774", undefined)).toBe(false);
    expect(sameBirdTime("2026-11-30", "2026-11-30")).toBe(true);
    expect(sameBirdTime("2026-11-30", "04:40:12.774")).toBe(false);
  });

  const clock = parseBirdClock("2026-12-02 08:00:00.000", OBSERVED)!;

  it("takes a time of day a moment ahead of the clock as now, not as yesterday", () => {
    // The session changed between `show status` and `show protocols` of the same command.
    expect(parseBirdTime("08:00:00.500", clock)).toMatchObject({
      local: "2026-12-02T08:00:00.500",
      ageMs: 0,
    });
  });

  it("takes a time of day hours ahead of the clock as yesterday's", () => {
    expect(parseBirdTime("22:00:00", clock)).toMatchObject({
      local: "2026-12-01T22:00:00",
      precision: "s",
      ageMs: 10 * 3_600_000,
    });
  });

  it("refuses dates and times no calendar has", () => {
    expect(parseBirdTime("2026-02-30", clock)).toEqual({ text: "2026-02-30", precision: "day" });
    expect(parseBirdTime("25:00:00", clock)).toEqual({ text: "25:00:00", precision: "s" });
    expect(parseBirdTime("yesterday", clock)).toEqual({ text: "yesterday", precision: "s" });
    expect(parseBirdClock("Tue Dec  1 23:51:11 2026", OBSERVED)).toBeUndefined();
  });
});

describe("the route server's tags", () => {
  it("has a sentence for every reject reason of the policy", () => {
    for (const [reason, code] of Object.entries(rejectReasons)) {
      expect(describeRejectReason(code)).toEqual({
        code,
        reason,
        text: rejectReasonSentences[reason as never],
      });
    }
  });

  it("still reads a code a newer policy added", () => {
    expect(describeRejectReason(99).text).toBe("Rejected by the route server's policy (reason code 99).");
  });

  it("ignores other networks' large communities and our own of other functions", () => {
    expect(
      decodeRouteServerTags(
        [
          [64501, 1101, 3],
          [64500, 1102, 3],
          [64500, 1000, 2],
        ],
        RS_ASN,
      ),
    ).toEqual({
      reasons: [],
      info: [{ code: 2, info: "rpki_unknown", text: infoSentences.rpki_unknown }],
      rpki: "unknown",
    });
  });

  it("has a sentence for every info code of the policy, and reads IRR notes beside RPKI", () => {
    for (const [info, code] of Object.entries(infoCodes)) {
      expect(describeInfo(code)).toEqual({ code, info, text: infoSentences[info as never] });
    }
    const tags = decodeRouteServerTags(
      [
        [RS_ASN, 1000, infoCodes.irr_rpki_valid_stands_in],
        [RS_ASN, 1000, infoCodes.rpki_valid],
        [RS_ASN, 1000, 99],
      ],
      RS_ASN,
    );
    expect(tags.rpki).toBe("valid");
    expect(tags.info.map((i) => i.info ?? i.text)).toEqual([
      "irr_rpki_valid_stands_in",
      "rpki_valid",
      "Noted by the route server's policy (code 99).",
    ]);
  });

  it("lets an RPKI-invalid reason outrank an info tag", () => {
    expect(
      decodeRouteServerTags(
        [
          [RS_ASN, 1000, 1],
          [RS_ASN, 1101, 13],
        ],
        RS_ASN,
      ).rpki,
    ).toBe("invalid");
  });
});

describe("looking-glass inputs", () => {
  it("takes only member protocol names", () => {
    expect(checkProtocolName(A4)).toBe(A4);
    for (const bad of [
      "m_as64501_000001_a000000001_v4; reboot",
      "m_as64501_000001_A000000001_v4",
      "m_as64501_000001_a000000001",
      "m_as12345678901_000001_a000000001_v4",
      "ztix_rpki_1",
      "all",
      "",
    ]) {
      expect(() => checkProtocolName(bad), bad).toThrow(/not a member protocol name/);
    }
    expect(() => checkProtocolName(42)).toThrow(/not a member protocol name/);
  });

  it("reads whose session a name is", () => {
    expect(parseMemberProtocolName(A4)).toEqual({
      asn: 64501,
      network: "000001",
      nodeId: "a000000001",
      family: "ipv4",
    });
    expect(parseMemberProtocolName("m_as4294967296_000001_a000000001_v6")).toBeUndefined();
  });

  it("puts prefixes and addresses in canonical form", () => {
    expect(parseLookupTarget("198.51.100.0/24")).toEqual({
      kind: "prefix",
      family: 4,
      prefix: "198.51.100.0/24",
    });
    expect(parseLookupTarget(" 2001:DB8:0:0::/48 ")).toEqual({
      kind: "prefix",
      family: 6,
      prefix: "2001:db8::/48",
    });
    expect(parseLookupTarget("2001:db8:0::1")).toEqual({
      kind: "address",
      family: 6,
      address: "2001:db8::1",
    });
    expect(parseLookupTarget("198.51.100.7")).toEqual({
      kind: "address",
      family: 4,
      address: "198.51.100.7",
    });
  });

  it("refuses a prefix with host bits set, naming the one meant", () => {
    expect(() => parseLookupTarget("198.51.100.1/24")).toThrow(
      "host bits are set; the prefix is 198.51.100.0/24",
    );
  });

  it("refuses anything else", () => {
    for (const bad of [
      "198.51.100.0/24; reboot",
      "198.51.100.0/024",
      "198.051.100.0/24",
      "198.51.100.0/33",
      "198.51.100",
      "fe80::1%eth0",
      "2001:db8::/129",
      "'198.51.100.0/24'",
      "all",
      "",
      "1".repeat(65),
    ]) {
      expect(() => parseLookupTarget(bad), bad).toThrow();
    }
  });
});

describe("the remote command", () => {
  const rs = {
    asn: RS_ASN,
    commands: { bird: "bird", birdc: "/usr/sbin/birdc" },
    paths: {
      main_config: "/etc/bird/bird.conf",
      policy_file: "/etc/bird/ztix/policy.conf",
      members_dir: "/etc/bird/ztix/members",
      staging_dir: "/var/lib/ztix/staging",
      control_socket: "/run/bird/bird.ctl",
    },
  };

  it("runs show status and a member's listings in one capped script", async () => {
    const seen: Array<{ command: string; options: unknown }> = [];
    const shell: LookingGlassShell = {
      async exec(command, options) {
        seen.push({ command, options });
        return { code: 0, stdout: "", stderr: "sh: birdc: not found" };
      },
    };
    const lg = new LookingGlass(shell, rs, { maxOutputBytes: 1000, timeLimitMs: 5000 });
    await expect(lg.receivedRoutes([A4])).rejects.toMatchObject({ code: "looking_glass_unavailable" });
    expect(seen).toHaveLength(1);
    const script = seen[0]!.command;
    const marker = /ztix-lg-[0-9a-f]{24}/.exec(script)![0];
    const birdc = (c: string) =>
      `'\\''/usr/sbin/birdc'\\'' -v -s '\\''/run/bird/bird.ctl'\\'' '\\''${c}'\\'' </dev/null`;
    expect(script).toBe(
      `sh -c '{ echo; echo ${marker} 0; ${birdc("show status")}; ` +
        `echo; echo ${marker} 1; ${birdc(`show route protocol ${A4} filtered all`)}; ` +
        `echo; echo ${marker} 2; ${birdc(`show route protocol ${A4} all`)}; } 2>&1 | head -c 1001'`,
    );
    expect(seen[0]!.options).toEqual({ timeoutMs: 5000, maxOutputBytes: 1001 + 64 * 1024 });
  });

  it("keeps its own time limit when the shell never answers", async () => {
    const shell: LookingGlassShell = { exec: () => new Promise(() => undefined) };
    const lg = new LookingGlass(shell, rs, { timeLimitMs: 50 });
    const started = Date.now();
    await expect(lg.sessions([A4])).rejects.toMatchObject({ code: "looking_glass_timeout", status: 504 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refuses bad input before running anything", async () => {
    let calls = 0;
    const shell: LookingGlassShell = {
      async exec() {
        calls++;
        return { code: 0, stdout: "", stderr: "" };
      },
    };
    const lg = new LookingGlass(shell, rs);
    await expect(lg.lookup("198.51.100.0/24 all; reboot")).rejects.toMatchObject({
      code: "looking_glass_invalid_input",
      status: 400,
    });
    await expect(lg.receivedRoutes(["m_as1_000001_0000000001_v4", "x"])).rejects.toMatchObject({
      code: "looking_glass_invalid_input",
    });
    await expect(lg.exportedRoutes([])).rejects.toMatchObject({ code: "looking_glass_invalid_input" });
    expect(calls).toBe(0);
  });
});

describe("the script's output", () => {
  const marker = "ztix-lg-0123456789abcdef01234567";

  it("is cut at its own markers only", () => {
    const out = [
      "",
      `${marker} 0`,
      "0001 BIRD 2.0.12 ready.",
      "",
      `${marker} 1`,
      "0001 BIRD 2.0.12 ready.",
      // What a member might try to smuggle into BIRD's output: another nonce, a later index.
      "ztix-lg-ffffffffffffffffffffffff 2",
      `${marker} 5`,
      "",
    ].join("\n");
    const { sections, truncated } = splitSections(out, marker, 3, 10_000);
    expect(truncated).toBe(false);
    expect(sections[0]!.reply.greeting).toBeDefined();
    expect(sections[1]!.reply.other).toEqual(["ztix-lg-ffffffffffffffffffffffff 2", `${marker} 5`]);
    expect(sections[2]).toBeUndefined();
  });

  it("marks the section the byte cap cut into, and only it", () => {
    const out = `\n${marker} 0\n0001 BIRD 2.0.12 ready.\n\n${marker} 1\n0001 BIRD 2.0.12 ready.\n1007-Table master4:\n`;
    const cap = out.length - 5;
    const { sections, truncated } = splitSections(out, marker, 2, cap);
    expect(truncated).toBe(true);
    expect(sections.map((s) => s?.complete)).toEqual([true, false]);
  });
});
