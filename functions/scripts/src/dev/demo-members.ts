import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BirdDaemon, type BirdInstallation, startBirdDaemon } from "@ztix/local-stack";
import type { ControllerProvider } from "@ztix/zerotier";
import type { DemoLan } from "./demo-lan.ts";

export interface DemoAnnouncement {
  prefix: string;
  /** ASNs behind the member's own (BIRD prepends its own ASN on export). */
  behind?: number[];
  /** What the route servers make of it, for the start summary and the README. */
  expect: string;
}

export interface DemoMember {
  name: string;
  asn: number;
  /** The ZeroTier node id to request with: the router comes up once the controller authorizes it. */
  nodeId: string;
  /** Who can request for this ASN in the demo. */
  requester: string;
  announce: DemoAnnouncement[];
}

/**
 * The demo member routers. Their prefixes are documentation space (RFC 5737, RFC 3849); each
 * filtered one shows one reason on the route servers. What is accepted follows the demo data:
 * the PeeringDB stand-in's as-sets, the whois stand-in's route objects and the dev ROAs.
 */
export const DEMO_MEMBERS: DemoMember[] = [
  {
    name: "as64511",
    asn: 64511,
    nodeId: "de64511001",
    requester: "local account operator",
    announce: [
      { prefix: "203.0.113.0/24", expect: "accepted (IRR registered)" },
      { prefix: "2001:db8:511::/48", expect: "accepted (RPKI valid)" },
      { prefix: "100.64.0.0/10", expect: "filtered: bogon" },
      { prefix: "2001:db8:ffff::/48", expect: "filtered (strict IRR) or tagged: not registered in the IRR" },
      {
        prefix: "2001:db8:503::/48",
        behind: [64503],
        expect: "filtered: AS64503 is never via route servers",
      },
    ],
  },
  {
    name: "as64500",
    asn: 64500,
    nodeId: "de64500001",
    requester: "PeeringDB demo-operator",
    announce: [
      { prefix: "192.0.2.0/24", expect: "accepted (RPKI valid)" },
      { prefix: "2001:db8:1::/48", expect: "accepted (RPKI valid)" },
      { prefix: "198.51.100.0/24", expect: "filtered: RPKI invalid (its ROA names AS64501)" },
      { prefix: "192.168.0.0/16", expect: "filtered: bogon" },
      { prefix: "192.0.2.128/25", expect: "filtered: longer than /24" },
    ],
  },
];

interface Peer {
  id: string;
  asn: number;
  ipv4?: string;
  ipv6?: string;
}

/** A member BIRD config: static routes, a per-prefix export filter, a session per route server and family. */
export function demoMemberConfig(
  member: DemoMember,
  address: { ipv4?: string; ipv6?: string },
  peers: Peer[],
) {
  const out = [
    `# Demo member AS${member.asn} (node ${member.nodeId}), written by npm run dev.`,
    `router id ${address.ipv4 ?? "10.255.255.1"};`,
    "log stderr all;",
    "protocol device { scan time 10; }",
  ];
  for (const family of [4, 6] as const) {
    const local = family === 4 ? address.ipv4 : address.ipv6;
    const mine = member.announce.filter((a) => a.prefix.includes(":") === (family === 6));
    out.push(`protocol static static${family} {`, `  ipv${family};`);
    for (const a of mine) out.push(`  route ${a.prefix} blackhole;`);
    out.push("}", `filter to_rs${family} {`);
    for (const a of mine) {
      const prepend = [...(a.behind ?? [])].reverse().map((asn) => `bgp_path.prepend(${asn}); `);
      out.push(`  if net = ${a.prefix} then { ${prepend.join("")}accept; }`);
    }
    out.push("  reject;", "}");
    if (!local) continue;
    for (const peer of peers) {
      const neighbor = family === 4 ? peer.ipv4 : peer.ipv6;
      if (!neighbor) continue;
      out.push(
        `protocol bgp ${peer.id.replace(/[^A-Za-z0-9]/g, "_")}_v${family} {`,
        `  local ${local} as ${member.asn};`,
        `  neighbor ${neighbor} as ${peer.asn};`,
        // Both members share a namespace: each listens on its own address only.
        "  strict bind;",
        "  connect delay time 1;",
        "  connect retry time 5;",
        "  error wait time 1, 10;",
        `  ipv${family} { import all; export filter to_rs${family}; };`,
        "}",
      );
    }
  }
  return `${out.join("\n")}\n`;
}

export interface DemoMembers {
  /** The members whose router runs now, with their addresses. */
  up(): { member: DemoMember; ipv4?: string; ipv6?: string }[];
  pids(): number[];
  /** Checks the controller once now (the loop does it every few seconds). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Plays each demo member's ZeroTier node: every few seconds it reads the member on the
 * controller, and once authorized with addresses it puts them on the members' LAN interface
 * and runs the member's BIRD; deauthorized or deleted, the router stops and the addresses go.
 */
export function startDemoMembers(options: {
  lan: DemoLan;
  provider: ControllerProvider;
  networkId: string;
  bird: BirdInstallation;
  dir: string;
  peers: Peer[];
  members?: DemoMember[];
  intervalMs?: number;
  say: (msg: string) => void;
}): DemoMembers {
  const members = options.members ?? DEMO_MEMBERS;
  const running = new Map<string, { daemon: BirdDaemon; ipv4?: string; ipv6?: string }>();
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();
  let lastError = "";

  const addresses = (list: string[]) => ({
    ipv4: list.find((a) => !a.includes(":")),
    ipv6: list.find((a) => a.includes(":")),
  });

  async function converge(member: DemoMember) {
    const zt = await options.provider.getMember(options.networkId, member.nodeId);
    const want = zt?.authorized && zt.ipAssignments.length > 0 ? addresses(zt.ipAssignments) : undefined;
    const have = running.get(member.name);
    const ended =
      have !== undefined &&
      (have.daemon.process.child.exitCode !== null || have.daemon.process.child.signalCode !== null);
    if (have && (ended || !want || want.ipv4 !== have.ipv4 || want.ipv6 !== have.ipv6)) {
      if (ended)
        options.say(
          `demo member AS${member.asn}: its BIRD ended (${have.daemon.process.output().trim().split("\n").pop() ?? ""}); starting it again`,
        );
      running.delete(member.name);
      await have.daemon.stop();
      await options.lan.setMemberAddresses(
        [],
        [have.ipv4, have.ipv6].filter((a): a is string => !!a),
      );
      if (!want) options.say(`demo member AS${member.asn} (node ${member.nodeId}) left: its router stopped`);
    }
    if (!want || running.has(member.name) || stopped) return;
    await options.lan.setMemberAddresses(
      [want.ipv4, want.ipv6].filter((a): a is string => !!a),
      [],
    );
    const dir = join(options.dir, member.name);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, "bird.conf");
    writeFileSync(config, demoMemberConfig(member, want, options.peers));
    const daemon = await startBirdDaemon({
      install: options.bird,
      name: `demo member AS${member.asn}`,
      config,
      socket: join(dir, "bird.ctl"),
      pidFile: join(dir, "bird.pid"),
      netns: options.lan.membersNs,
    });
    running.set(member.name, { daemon, ...want });
    options.say(
      `demo member AS${member.asn} (node ${member.nodeId}) is up at ${[want.ipv4, want.ipv6].filter(Boolean).join(", ")}: its BIRD peers with ${options.peers.map((p) => p.id).join(", ")}`,
    );
  }

  const poll = () => {
    busy = busy.then(async () => {
      if (stopped) return;
      for (const member of members) {
        try {
          await converge(member);
          lastError = "";
        } catch (e) {
          // Said once, not every few seconds (a controller restart, say).
          const msg = `demo member AS${member.asn}: ${(e as Error).message}`;
          if (msg !== lastError) options.say(msg);
          lastError = msg;
        }
      }
    });
    return busy;
  };
  const timer = setInterval(() => void poll(), options.intervalMs ?? 2_000);
  void poll();

  return {
    up: () =>
      members
        .filter((m) => running.has(m.name))
        .map((m) => ({ member: m, ipv4: running.get(m.name)?.ipv4, ipv6: running.get(m.name)?.ipv6 })),
    pids: () => [...running.values()].map((r) => r.daemon.pid),
    poll,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy.catch(() => undefined);
      await Promise.allSettled([...running.values()].map((r) => r.daemon.stop()));
      running.clear();
    },
  };
}
