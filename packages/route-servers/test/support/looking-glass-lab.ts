import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RouteServerConfig } from "@ztix/core";
import { memberProtocolName } from "../../src/index.ts";
import { type BirdInstance, startBird } from "./bird.ts";
import { LAB_NETWORK, routeServerFixture } from "./fixtures.ts";
import { createPeeringLan, type PeeringLan } from "./netns.ts";
import type { Managed } from "./processes.ts";

/**
 * A small exchange in network namespaces for the looking glass: one route-server BIRD and
 * member BIRDs that announce documentation prefixes as ordinary eBGP speakers. The route
 * server runs a small filter of its own that mimics the ZT-IX policy where the looking glass
 * reads it (our protocol names, `rs client`, `import keep filtered`, an import limit, reasons
 * `(rs, 1101, code)` for too long (1), bogon (3) and RPKI invalid (13), `(rs, 1000, 1|2)` on
 * accepted routes, our own tags stripped from members), not the rendered policy itself: the
 * looking glass is tested against BIRD's output, not against the policy of the day. Members
 * the route server knows but that have no BIRD give a session that never comes up. Kept apart
 * from lab.ts so the two labs change independently.
 */

export interface LgAnnouncement {
  prefix: string;
  /** ASNs put behind the member's own (which eBGP prepends by itself). */
  behind?: number[];
  communities?: Array<[number, number]>;
  largeCommunities?: Array<[number, number, number]>;
}

export interface LgMemberSpec {
  name: string;
  asn: number;
  nodeId: string;
  ipv4: string;
  ipv6: string;
  maxPrefix?: { ipv4?: number; ipv6?: number };
  /** No BIRD for this member: the route server's sessions to it stay down. */
  absent?: boolean;
  announce: LgAnnouncement[];
}

export interface LgLab {
  dir: string;
  rsConfig: RouteServerConfig;
  rs: BirdInstance;
  members: Map<string, { spec: LgMemberSpec; bird?: BirdInstance }>;
  /** The route server's protocol name of a member's session of one family. */
  protocol(name: string, family: "ipv4" | "ipv6"): string;
  destroy(): Promise<void>;
}

export const LG_LAN = { rs4: "192.0.2.1", rs6: "2001:db8::1", rsAsn: 64500 };

function memberConfig(spec: LgMemberSpec): string {
  const out = [`router id ${spec.ipv4};`, "log stderr all;", "protocol device { scan time 10; }"];
  for (const family of [4, 6] as const) {
    const mine = spec.announce.filter((a) => a.prefix.includes(":") === (family === 6));
    out.push(`protocol static static${family} {`, `  ipv${family};`);
    for (const a of mine) out.push(`  route ${a.prefix} blackhole;`);
    out.push("}", `filter to_rs${family} {`);
    for (const a of mine) {
      const body = [
        ...[...(a.behind ?? [])].reverse().map((asn) => `bgp_path.prepend(${asn});`),
        ...(a.communities ?? []).map(([x, y]) => `bgp_community.add((${x}, ${y}));`),
        ...(a.largeCommunities ?? []).map(([x, y, z]) => `bgp_large_community.add((${x}, ${y}, ${z}));`),
        "accept;",
      ];
      out.push(`  if net = ${a.prefix} then { ${body.join(" ")} }`);
    }
    out.push("  reject;", "}");
    out.push(
      `protocol bgp rs${family} {`,
      `  local ${family === 4 ? spec.ipv4 : spec.ipv6} as ${spec.asn};`,
      `  neighbor ${family === 4 ? LG_LAN.rs4 : LG_LAN.rs6} as ${LG_LAN.rsAsn};`,
      "  connect delay time 1;",
      "  error wait time 1, 5;",
      // A receive limit on the member side: real output of that line for the parser's fixtures.
      `  ipv${family} { import all; receive limit 1000 action warn; export filter to_rs${family}; };`,
      "}",
    );
  }
  return `${out.join("\n")}\n`;
}

export interface LgRoa {
  prefix: string;
  maxLength: number;
  asn: number;
}

/** The route server's config: ROAs, the import function, one session per member and family. */
function routeServerConfig(members: readonly LgMemberSpec[], roas: readonly LgRoa[]): string {
  const reject = (code: number) => `{ bgp_large_community.add((LG_RS_ASN, 1101, ${code})); return false; }`;
  const info = (code: number) => `bgp_large_community.add((LG_RS_ASN, 1000, ${code}));`;
  const rpki = (family: 4 | 6) => [
    `    if roa_check(lg_roa${family}, net, bgp_path.last) = ROA_INVALID then ${reject(13)}`,
    `    if roa_check(lg_roa${family}, net, bgp_path.last) = ROA_VALID then ${info(1)} else ${info(2)}`,
  ];
  const out = [
    `router id ${LG_LAN.rs4};`,
    "log stderr all;",
    "protocol device { scan time 10; }",
    `define LG_RS_ASN = ${LG_LAN.rsAsn};`,
    "roa4 table lg_roa4;",
    "roa6 table lg_roa6;",
  ];
  for (const family of [4, 6] as const) {
    out.push(`protocol static lg_roas${family} {`, `  roa${family} { table lg_roa${family}; };`);
    for (const r of roas.filter((r) => r.prefix.includes(":") === (family === 6)))
      out.push(`  route ${r.prefix} max ${r.maxLength} as ${r.asn};`);
    out.push("}");
  }
  out.push(
    "function lg_import()",
    "{",
    "  bgp_large_community.delete([(LG_RS_ASN, *, *)]);",
    "  if net.type = NET_IP4 then {",
    `    if net.len > 24 then ${reject(1)}`,
    `    if net ~ [ 10.0.0.0/8+, 172.16.0.0/12+, 192.168.0.0/16+ ] then ${reject(3)}`,
    ...rpki(4),
    "  } else {",
    `    if net.len > 48 then ${reject(1)}`,
    `    if !(net ~ [ 2000::/3+ ]) then ${reject(3)}`,
    ...rpki(6),
    "  }",
    "  return true;",
    "}",
  );
  for (const m of members) {
    for (const family of ["ipv4", "ipv6"] as const) {
      const v = family === "ipv4" ? 4 : 6;
      const limit = m.maxPrefix?.[family] ?? (v === 4 ? 100 : 50);
      out.push(
        `protocol bgp ${memberProtocolName({ asn: m.asn, network: LAB_NETWORK, nodeId: m.nodeId }, family)} {`,
        `  description "AS${m.asn} ${LAB_NETWORK} ${m.nodeId}";`,
        `  local ${v === 4 ? LG_LAN.rs4 : LG_LAN.rs6} as LG_RS_ASN;`,
        `  neighbor ${v === 4 ? m.ipv4 : m.ipv6} as ${m.asn};`,
        "  rs client;",
        "  interpret communities off;",
        `  ${family} {`,
        "    import table on;",
        "    import keep filtered on;",
        "    import filter { if lg_import() then accept; reject; };",
        `    import limit ${limit} action restart;`,
        "    export where source = RTS_BGP;",
        "  };",
        "}",
      );
    }
  }
  return `${out.join("\n")}\n`;
}

/** Starts the lab; whatever was made is torn down again when a step fails. */
export async function startLookingGlassLab(options: {
  dir: string;
  roas: LgRoa[];
  members: LgMemberSpec[];
}): Promise<LgLab> {
  const processes: Managed[] = [];
  let lan: PeeringLan | undefined;
  const destroy = async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await lan?.destroy();
  };
  try {
    lan = await createPeeringLan("lg");
    const host = (name: string, v4: string, v6: string) => lan!.addHost(name, [`${v4}/24`, `${v6}/64`]);
    const rsNs = await host("rs", LG_LAN.rs4, LG_LAN.rs6);
    const rsDir = join(options.dir, "rs");
    mkdirSync(rsDir, { recursive: true });
    const rsConfigPath = join(rsDir, "bird.conf");
    writeFileSync(rsConfigPath, routeServerConfig(options.members, options.roas));
    const rs = await startBird({ config: rsConfigPath, dir: rsDir, name: "rs", netns: rsNs });
    processes.push(rs.process);
    // What the looking glass reads the route server by: its ASN, birdc and the control socket.
    const fixture = routeServerFixture({ id: "lg-rs", asn: LG_LAN.rsAsn }, rsDir);
    const rsConfig: RouteServerConfig = {
      ...fixture,
      paths: { ...fixture.paths, control_socket: rs.socket },
    };

    const members = new Map<string, { spec: LgMemberSpec; bird?: BirdInstance }>();
    for (const spec of options.members) {
      if (spec.absent) {
        members.set(spec.name, { spec });
        continue;
      }
      const ns = await host(spec.name, spec.ipv4, spec.ipv6);
      const memberDir = join(options.dir, spec.name);
      mkdirSync(memberDir, { recursive: true });
      const configPath = join(memberDir, "bird.conf");
      writeFileSync(configPath, memberConfig(spec));
      const bird = await startBird({ config: configPath, dir: memberDir, name: spec.name, netns: ns });
      processes.push(bird.process);
      members.set(spec.name, { spec, bird });
    }
    return {
      dir: options.dir,
      rsConfig,
      rs,
      members,
      protocol(name, family) {
        const spec = options.members.find((m) => m.name === name);
        if (!spec) throw new Error(`no lab member ${name}`);
        return memberProtocolName({ asn: spec.asn, network: LAB_NETWORK, nodeId: spec.nodeId }, family);
      },
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}
