import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RouteServerPolicy } from "@ztix/core";
import { type RouteServerMember, renderMainConfig, renderMember, renderPolicy } from "../../src/index.ts";
import { type BirdInstance, birdc, startBird } from "./bird.ts";
import { LAB_NETWORK, networkFixture, routeServerFixture } from "./fixtures.ts";
import { createPeeringLan, type PeeringLan } from "./netns.ts";
import { eventually, type Managed, startProcess } from "./processes.ts";

/**
 * A live IX in network namespaces: one bridge (the peering LAN) in its own namespace, a
 * route-server BIRD with a real RTR cache (stayrtr in the same namespace, on its loopback),
 * and member BIRDs that announce documentation prefixes with whatever path, next hop and
 * communities a case needs. Members speak `rs client` themselves, so they never prepend:
 * each announcement's AS path is exactly what the case says.
 */

export interface Announcement {
  prefix: string;
  /** AS path as sent, first AS first; defaults to the member's own ASN. */
  path?: number[];
  nextHop?: string;
  communities?: Array<[number, number]>;
  largeCommunities?: Array<[number, number, number]>;
}

export interface LabMemberSpec {
  name: string;
  asn: number;
  nodeId: string;
  ipv4: string;
  ipv6: string;
  maxPrefix?: { ipv4?: number; ipv6?: number };
  announce: Announcement[];
}

export interface Roa {
  prefix: string;
  maxLength: number;
  asn: number;
}

export const LAN = { rs4: "192.0.2.1", rs6: "2001:db8::1", rsAsn: 64500 };

export interface LabMember {
  spec: LabMemberSpec;
  ns: string;
  bird: BirdInstance;
  configPath: string;
  /** Rewrites the member's config with new announcements and reloads its BIRD. */
  announce(announcements: Announcement[]): Promise<void>;
}

export interface Lab {
  dir: string;
  rs: BirdInstance;
  rsPolicyPath: string;
  members: Map<string, LabMember>;
  /** Rewrites the RTR cache's VRP file; stayrtr notices within its refresh interval. */
  setRoas(roas: Roa[]): void;
  rsMember(name: string): RouteServerMember;
  destroy(): Promise<void>;
}

function vrpJson(roas: Roa[]): string {
  return JSON.stringify({
    roas: roas.map((r) => ({ prefix: r.prefix, maxLength: r.maxLength, asn: `AS${r.asn}`, ta: "test" })),
  });
}

/** A member BIRD config: static routes for its announcements and a per-prefix export filter. */
export function memberBirdConfig(spec: LabMemberSpec, announcements: Announcement[]): string {
  const out = [`router id ${spec.ipv4};`, "log stderr all;", "protocol device { scan time 10; }"];
  for (const family of [4, 6] as const) {
    const mine = announcements.filter((a) => a.prefix.includes(":") === (family === 6));
    out.push(`protocol static static${family} {`, `  ipv${family};`);
    for (const a of mine) out.push(`  route ${a.prefix} blackhole;`);
    out.push("}");
    out.push(`filter to_rs${family} {`);
    for (const a of mine) {
      const path = a.path ?? [spec.asn];
      const body = [
        ...[...path].reverse().map((asn) => `bgp_path.prepend(${asn});`),
        ...(a.nextHop ? [`bgp_next_hop = ${a.nextHop};`] : []),
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
      `  neighbor ${family === 4 ? LAN.rs4 : LAN.rs6} as ${LAN.rsAsn};`,
      "  rs client;",
      "  connect delay time 1;",
      "  error wait time 1, 5;",
      `  ipv${family} { import all; export filter to_rs${family}; };`,
      "}",
    );
  }
  return `${out.join("\n")}\n`;
}

/**
 * Builds and starts the lab. Everything created is registered for `destroy` as it is made,
 * so a failure half-way still cleans up.
 */
export async function startLab(options: {
  dir: string;
  policy: RouteServerPolicy;
  roas: Roa[];
  rtrPort: number;
  members: LabMemberSpec[];
}): Promise<Lab> {
  const processes: Managed[] = [];
  let lan: PeeringLan | undefined;
  const destroy = async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await lan?.destroy();
  };
  const members = new Map<string, LabMember>();
  const roaFile = join(options.dir, "vrps.json");
  try {
    lan = await createPeeringLan("ix");
    const host = (name: string, v4: string, v6: string) => lan!.addHost(name, [`${v4}/24`, `${v6}/64`]);

    // Route server: stayrtr on its loopback, then BIRD with our rendered policy and members.
    const rsNs = await host("rs", LAN.rs4, LAN.rs6);
    writeFileSync(roaFile, vrpJson(options.roas));
    const stayrtr = startProcess("ip", [
      "netns",
      "exec",
      rsNs,
      "stayrtr",
      "-cache",
      roaFile,
      "-bind",
      `127.0.0.1:${options.rtrPort}`,
      "-checktime=false",
      "-refresh",
      "1",
      "-metrics.addr",
      "127.0.0.1:0",
      "-log.verbose=false",
    ]);
    processes.push(stayrtr);

    const rsDir = join(options.dir, "rs");
    const rsConfig = routeServerFixture(
      {
        id: "lab-rs",
        asn: LAN.rsAsn,
        rpki: { rtr_caches: [{ host: "127.0.0.1", port: options.rtrPort, retry_seconds: 1 }] },
      },
      rsDir,
    );
    mkdirSync(rsConfig.paths.members_dir, { recursive: true });
    writeFileSync(rsConfig.paths.main_config, renderMainConfig(rsConfig));
    writeFileSync(rsConfig.paths.policy_file, renderPolicy(rsConfig, options.policy, [networkFixture()]));
    const rsMember = (name: string): RouteServerMember => {
      const spec = options.members.find((m) => m.name === name);
      if (!spec) throw new Error(`no lab member ${name}`);
      return {
        requestId: `lab-${name}`,
        asn: spec.asn,
        nodeId: spec.nodeId,
        network: LAB_NETWORK,
        ipv4: spec.ipv4,
        ipv6: spec.ipv6,
        maxPrefix: spec.maxPrefix,
      };
    };
    for (const spec of options.members) {
      const rendered = renderMember(rsMember(spec.name), options.policy);
      writeFileSync(join(rsConfig.paths.members_dir, rendered.fileName), rendered.text);
    }
    const rs = await startBird({ config: rsConfig.paths.main_config, dir: rsDir, name: "rs", netns: rsNs });
    processes.push(rs.process);
    await eventually(
      async () => /Established/.test(await birdc(rs.socket, "show protocols all ztix_rpki_1")),
      "the route server's RTR session",
      20_000,
    );

    for (const spec of options.members) {
      const ns = await host(spec.name, spec.ipv4, spec.ipv6);
      const memberDir = join(options.dir, spec.name);
      mkdirSync(memberDir, { recursive: true });
      const configPath = join(memberDir, "bird.conf");
      writeFileSync(configPath, memberBirdConfig(spec, spec.announce));
      const bird = await startBird({ config: configPath, dir: memberDir, name: spec.name, netns: ns });
      processes.push(bird.process);
      members.set(spec.name, {
        spec,
        ns,
        bird,
        configPath,
        async announce(announcements) {
          writeFileSync(configPath, memberBirdConfig(spec, announcements));
          const out = await birdc(bird.socket, "configure");
          if (!/Reconfigured|Reconfiguration in progress/.test(out))
            throw new Error(`member reconfigure: ${out}`);
        },
      });
    }
    return {
      dir: options.dir,
      rs,
      rsPolicyPath: rsConfig.paths.policy_file,
      members,
      setRoas: (roas) => writeFileSync(roaFile, vrpJson(roas)),
      rsMember,
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}

export interface RouteView {
  text: string;
  asPath: string;
  nextHop: string;
  localPref: number | undefined;
  largeCommunities: string;
  communities: string;
}

/**
 * The routes a BIRD holds for exactly `prefix` (best first), parsed from `show route … all`.
 * `filtered: true` lists the routes its import filters rejected (kept by `import keep filtered`).
 */
export async function routesFor(
  socket: string,
  prefix: string,
  options: { filtered?: boolean } = {},
): Promise<RouteView[]> {
  const out = await birdc(socket, `show route ${prefix}${options.filtered ? " filtered" : ""} all`);
  // A route starts at a line "<prefix?>  <type> [<protocol> …"; its attributes follow, indented.
  const header = /^\S*\s+(unicast|blackhole|unreachable|prohibited)\s+\[/;
  const blocks: string[] = [];
  for (const line of out.split("\n")) {
    if (header.test(line)) blocks.push(line);
    else if (blocks.length > 0) blocks[blocks.length - 1] += `\n${line}`;
  }
  return blocks.map((text) => ({
    text,
    asPath: /BGP\.as_path:\s*(.*)/.exec(text)?.[1]?.trim() ?? "",
    nextHop: /BGP\.next_hop:\s*(.*)/.exec(text)?.[1]?.trim() ?? "",
    localPref: /BGP\.local_pref:\s*(\d+)/.exec(text)
      ? Number(/BGP\.local_pref:\s*(\d+)/.exec(text)![1])
      : undefined,
    largeCommunities: /BGP\.large_community:\s*(.*)/.exec(text)?.[1]?.trim() ?? "",
    communities: /BGP\.community:\s*(.*)/.exec(text)?.[1]?.trim() ?? "",
  }));
}
