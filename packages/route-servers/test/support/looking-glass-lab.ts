import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RouteServerConfig, RouteServerPolicy, StaticRoa } from "@ztix/core";
import {
  memberProtocolName,
  type RouteServerMember,
  renderMainConfig,
  renderMember,
  renderPolicy,
} from "../../src/index.ts";
import { type BirdInstance, startBird } from "./bird.ts";
import { LAB_NETWORK, networkFixture, routeServerFixture } from "./fixtures.ts";
import { createPeeringLan, type PeeringLan } from "./netns.ts";
import type { Managed } from "./processes.ts";

/**
 * A small exchange in network namespaces for the looking glass: one route-server BIRD running
 * the real rendered policy (static ROAs instead of an RTR cache, so nothing else has to run)
 * and member BIRDs that announce documentation prefixes as ordinary eBGP speakers. Members
 * that the route server knows but that have no BIRD of their own give a session that never
 * comes up. Kept apart from lab.ts so the two labs can change independently.
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

/** Starts the lab; whatever was made is torn down again when a step fails. */
export async function startLookingGlassLab(options: {
  dir: string;
  policy: RouteServerPolicy;
  roas: StaticRoa[];
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
    const rsConfig = routeServerFixture(
      { id: "lg-rs", asn: LG_LAN.rsAsn, rpki: { static_roas: options.roas } },
      rsDir,
    );
    mkdirSync(rsConfig.paths.members_dir, { recursive: true });
    writeFileSync(rsConfig.paths.main_config, renderMainConfig(rsConfig));
    writeFileSync(rsConfig.paths.policy_file, renderPolicy(rsConfig, options.policy, [networkFixture()]));
    const rsMember = (spec: LgMemberSpec): RouteServerMember => ({
      requestId: `lg-${spec.name}`,
      asn: spec.asn,
      nodeId: spec.nodeId,
      network: LAB_NETWORK,
      ipv4: spec.ipv4,
      ipv6: spec.ipv6,
      maxPrefix: spec.maxPrefix,
    });
    for (const spec of options.members) {
      const rendered = renderMember(rsMember(spec), options.policy);
      writeFileSync(join(rsConfig.paths.members_dir, rendered.fileName), rendered.text);
    }
    const rs = await startBird({ config: rsConfig.paths.main_config, dir: rsDir, name: "rs", netns: rsNs });
    processes.push(rs.process);

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
