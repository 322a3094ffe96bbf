import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type NetworkConfig, type RouteServerPolicy, runtimeConfigSchema } from "@ztix/core";
import {
  encodeIrrLists,
  type IrrPrefixListItem,
  type PeeringDbRecordItem,
  type RouteServerMemberItem,
} from "@ztix/data";
import { expandPrefixes, type IrrPrefixes } from "@ztix/irr";
import { startWhoisStandIn } from "@ztix/irr/stand-in";
import {
  type MemberIrr,
  type PolicyContext,
  type PolicyOverrides,
  peeringDbFacts,
  type RouteServerMember,
  renderMainConfig,
  renderMember,
  renderPolicy,
  resolveIrrTargets,
  withPolicyData,
} from "../../src/index.ts";
import { type BirdInstance, birdc, startBird } from "./bird.ts";
import { LAB_NETWORK, networkFixture, routeServerFixture } from "./fixtures.ts";
import { createPeeringLan, type PeeringLan } from "./netns.ts";
import { eventually, type Managed, startProcess } from "./processes.ts";

/**
 * A live IX in network namespaces: one bridge (the peering LAN) in its own namespace, route
 * servers (BIRD with our rendered policy; the first with a real RTR cache, stayrtr in its
 * namespace on its loopback, others with static ROAs), and member BIRDs that announce
 * documentation prefixes with whatever path, next hop and communities a case needs. Members
 * speak `rs client` themselves, so they never prepend: each announcement's AS path is exactly
 * what the case says.
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
  /** The receive limits as a reconcile resolves them (`withLabPolicyData` fills them in). */
  receiveLimit?: { ipv4?: number; ipv6?: number };
  irr?: MemberIrr;
  /** What its PeeringDB record says (`withLabPolicyData`); absent: PeeringDB has no record. */
  peeringDb?: LabPeeringDb;
  /** An admin's override on the membership (`withLabPolicyData`). */
  overrides?: PolicyOverrides;
  /** The route servers (by name) this member peers with; default the first one. */
  routeServers?: string[];
  announce: Announcement[];
}

/** The fields of a PeeringDB `net` record the route servers use, as @ztix/peeringdb returns them. */
export interface LabPeeringDb {
  prefixes4?: number | null;
  prefixes6?: number | null;
  irrAsSets?: string[];
}

export interface LabRouteServerSpec {
  name: string;
  ipv4: string;
  ipv6: string;
  policy: RouteServerPolicy;
  /** The network as this route server is configured for it; default `networkFixture()`. */
  network?: NetworkConfig;
  context?: PolicyContext;
  /** `rtr`: the lab's RTR cache (changed by `setRoas`); `static`: the initial ROAs, in its config. */
  roaSource: "rtr" | "static";
}

export interface Roa {
  prefix: string;
  maxLength: number;
  asn: number;
}

/** The first route server's addresses and the exchange's route-server ASN (all share it). */
export const LAN = { rs4: "192.0.2.1", rs6: "2001:db8::1", rsAsn: 64500 };

export interface LabMember {
  spec: LabMemberSpec;
  ns: string;
  bird: BirdInstance;
  configPath: string;
  /** Rewrites the member's config with new announcements and reloads its BIRD. */
  announce(announcements: Announcement[]): Promise<void>;
}

export interface LabRouteServer {
  spec: LabRouteServerSpec;
  bird: BirdInstance;
  policyPath: string;
}

export interface Lab {
  dir: string;
  /** The first route server. */
  rs: BirdInstance;
  rsPolicyPath: string;
  routeServers: Map<string, LabRouteServer>;
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

/** The BGP protocol name of a member's session to one route server. */
export function memberSessionName(rsName: string, family: 4 | 6): string {
  return `to_${rsName.replace(/[^a-z0-9]/g, "_")}_v${family}`;
}

/**
 * A member BIRD config: static routes for its announcements, a per-prefix export filter and a
 * session per family to each route server it peers with.
 */
export function memberBirdConfig(
  spec: LabMemberSpec,
  announcements: Announcement[],
  routeServers: readonly LabRouteServerSpec[],
): string {
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
    for (const rs of routeServers) {
      out.push(
        `protocol bgp ${memberSessionName(rs.name, family)} {`,
        `  local ${family === 4 ? spec.ipv4 : spec.ipv6} as ${spec.asn};`,
        `  neighbor ${family === 4 ? rs.ipv4 : rs.ipv6} as ${LAN.rsAsn};`,
        "  rs client;",
        "  connect delay time 1;",
        "  error wait time 1, 5;",
        `  ipv${family} { import all; export filter to_rs${family}; };`,
        "}",
      );
    }
  }
  return `${out.join("\n")}\n`;
}

/**
 * Builds and starts the lab. Everything created is registered for `destroy` as it is made,
 * so a failure half-way still cleans up.
 */
export async function startLab(options: {
  dir: string;
  routeServers: LabRouteServerSpec[];
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
  const [firstRs] = options.routeServers;
  if (!firstRs) throw new Error("a lab needs a route server");
  const peersOf = (spec: LabMemberSpec) => spec.routeServers ?? [firstRs.name];
  const members = new Map<string, LabMember>();
  const routeServers = new Map<string, LabRouteServer>();
  const roaFile = join(options.dir, "vrps.json");
  writeFileSync(roaFile, vrpJson(options.roas));
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
      receiveLimit: spec.receiveLimit,
      irr: spec.irr,
    };
  };
  try {
    lan = await createPeeringLan("ix");
    const host = (name: string, v4: string, v6: string) => lan!.addHost(name, [`${v4}/24`, `${v6}/64`]);

    for (const spec of options.routeServers) {
      const ns = await host(spec.name, spec.ipv4, spec.ipv6);
      const rtr = spec.roaSource === "rtr";
      if (rtr) {
        processes.push(
          startProcess("ip", [
            "netns",
            "exec",
            ns,
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
          ]),
        );
      }
      const rsDir = join(options.dir, spec.name);
      const rsConfig = routeServerFixture(
        {
          id: `lab-${spec.name}`,
          asn: LAN.rsAsn,
          router_id: spec.ipv4,
          peering_ipv4: spec.ipv4,
          peering_ipv6: spec.ipv6,
          rpki: rtr
            ? { rtr_caches: [{ host: "127.0.0.1", port: options.rtrPort, retry_seconds: 1 }] }
            : {
                static_roas: options.roas.map((r) => ({
                  prefix: r.prefix,
                  max_length: r.maxLength,
                  asn: r.asn,
                })),
              },
        },
        rsDir,
      );
      mkdirSync(rsConfig.paths.members_dir, { recursive: true });
      writeFileSync(rsConfig.paths.main_config, renderMainConfig(rsConfig));
      writeFileSync(
        rsConfig.paths.policy_file,
        renderPolicy(rsConfig, spec.policy, [spec.network ?? networkFixture()], spec.context),
      );
      for (const member of options.members.filter((m) => peersOf(m).includes(spec.name))) {
        const rendered = renderMember(rsMember(member.name), spec.policy);
        writeFileSync(join(rsConfig.paths.members_dir, rendered.fileName), rendered.text);
      }
      const bird = await startBird({ config: rsConfig.paths.main_config, dir: rsDir, name: "rs", netns: ns });
      processes.push(bird.process);
      if (rtr) {
        await eventually(
          async () => /Established/.test(await birdc(bird.socket, "show protocols all ztix_rpki_1")),
          `the RTR session of route server ${spec.name}`,
          20_000,
        );
      }
      routeServers.set(spec.name, { spec, bird, policyPath: rsConfig.paths.policy_file });
    }

    for (const spec of options.members) {
      const ns = await host(spec.name, spec.ipv4, spec.ipv6);
      const memberDir = join(options.dir, `member-${spec.name}`);
      mkdirSync(memberDir, { recursive: true });
      const configPath = join(memberDir, "bird.conf");
      const peers = options.routeServers.filter((r) => peersOf(spec).includes(r.name));
      writeFileSync(configPath, memberBirdConfig(spec, spec.announce, peers));
      const bird = await startBird({ config: configPath, dir: memberDir, name: spec.name, netns: ns });
      processes.push(bird.process);
      members.set(spec.name, {
        spec,
        ns,
        bird,
        configPath,
        async announce(announcements) {
          writeFileSync(configPath, memberBirdConfig(spec, announcements, peers));
          const out = await birdc(bird.socket, "configure");
          if (!/Reconfigured|Reconfiguration in progress/.test(out))
            throw new Error(`member reconfigure: ${out}`);
        },
      });
    }
    const first = routeServers.get(firstRs.name)!;
    return {
      dir: options.dir,
      rs: first.bird,
      rsPolicyPath: first.policyPath,
      routeServers,
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

export interface LabPolicyData {
  /** The members with `receiveLimit` and `irr` as a reconcile renders them. */
  members: LabMemberSpec[];
  /** bgpq4's result per IRR object. */
  builds: Map<string, IrrPrefixes>;
  /** Every query the whois stand-in received from bgpq4. */
  queries: string[];
}

/**
 * Fills in each member's receive limits and IRR lists the way a reconcile does: its PeeringDB
 * facts and overrides pick its IRR objects (`resolveIrrTargets`), the real bgpq4 expands each
 * object against a whois stand-in serving `rpsl` (with the options the worker derives from its
 * config: `-S sources`, `-m` the policy's longest prefix, documentation ASNs kept), the lists
 * are stored as the worker stores them (gzip + base64) and `withPolicyData` turns record, lists
 * and overrides into the member the route server renders.
 */
export async function withLabPolicyData(
  members: readonly LabMemberSpec[],
  options: { policy: RouteServerPolicy; network: NetworkConfig; rpsl: string; sources: string[] },
): Promise<LabPolicyData> {
  const at = new Date().toISOString();
  const config = {
    ...runtimeConfigSchema.parse({ networks: [options.network] }),
    route_server_policy: options.policy,
  };
  const records = new Map<number, PeeringDbRecordItem>();
  for (const m of members) {
    if (!m.peeringDb) continue;
    const network = {
      prefixes4: null,
      prefixes6: null,
      irrAsSets: [],
      neverViaRouteServers: false,
      ...m.peeringDb,
    };
    records.set(m.asn, { asn: m.asn, found: true, network, nextRefreshAt: at, updatedAt: at });
  }
  const targetsOf = (m: LabMemberSpec) =>
    resolveIrrTargets(m.asn, m.overrides ?? {}, peeringDbFacts(records.get(m.asn))).targets;
  const targets = [...new Set(members.flatMap(targetsOf))];
  const irr = await startWhoisStandIn({ rpsl: options.rpsl });
  const builds = new Map<string, IrrPrefixes>();
  try {
    const [, v4max] = options.policy.ipv4_prefix_length;
    const [, v6max] = options.policy.ipv6_prefix_length;
    for (const target of targets) {
      const built = await expandPrefixes(target, {
        host: irr.host,
        port: irr.port,
        sources: options.sources,
        timeoutMs: 20_000,
        maxLength: { ipv4: v4max, ipv6: v6max },
        allowPrivateAsns: true,
      });
      builds.set(target, built);
    }
  } finally {
    await irr.stop();
  }
  const lists = new Map<string, IrrPrefixListItem>();
  for (const [target, built] of builds) {
    const { listsGz, hash } = encodeIrrLists(built);
    lists.set(target, { target, listsGz, hash, sources: built.sources, nextRefreshAt: at, updatedAt: at });
  }
  const resolved = members.map((m): LabMemberSpec => {
    const item: RouteServerMemberItem = {
      network: LAB_NETWORK,
      asn: m.asn,
      nodeId: m.nodeId,
      networkId: `abcdef0123${LAB_NETWORK}`,
      requestId: `lab-${m.name}`,
      ipv4: m.ipv4,
      ipv6: m.ipv6,
      ...(m.overrides?.maxPrefixV4 !== undefined ? { maxPrefixV4: m.overrides.maxPrefixV4 } : {}),
      ...(m.overrides?.maxPrefixV6 !== undefined ? { maxPrefixV6: m.overrides.maxPrefixV6 } : {}),
      ...(m.overrides?.irrAsSetOverride ? { irrAsSetOverride: [...m.overrides.irrAsSetOverride] } : {}),
      activation: "active",
      updatedAt: at,
    };
    const base: RouteServerMember = {
      asn: m.asn,
      network: LAB_NETWORK,
      nodeId: m.nodeId,
      ipv4: m.ipv4,
      ipv6: m.ipv6,
    };
    const member = withPolicyData(base, item, config, { records, lists, context: {} });
    return { ...m, receiveLimit: member.receiveLimit, irr: member.irr };
  });
  return { members: resolved, builds, queries: [...irr.queries] };
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
