/**
 * `npm run bench -- rs-scale`: the route-server reconciler at exchange scale. Two route servers
 * (real BIRD 2 in their own network namespaces, reached over a real sshd with a pinned host key)
 * carry 2,000 members each; 20 of them are real BGP speakers (a BIRD each, in its own
 * namespace on the same LAN) with established sessions carrying routes. Then: 15 approvals one at a time (approve → active
 * latency), and a burst of 200 approvals at once (time to all active, BIRD reconfigurations per
 * route server, and whether any established session was reset).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@ztix/core";
import { type RouteServerMemberItem, routeServerState } from "@ztix/data";
import { startSshd } from "@ztix/local-stack";
import { sameBirdTime } from "@ztix/route-servers";
import { approveAndDispatch, requestReconcile } from "@ztix/workflow";
// Dev tooling reuses the route-server package's loopback fixtures (sshd, BIRD, netns launchers).
import {
  type BirdInstance,
  protocolStates,
  startBird,
} from "../../../../packages/route-servers/test/support/bird.ts";
import { createPeeringLan } from "../../../../packages/route-servers/test/support/netns.ts";
import {
  type RouteServerHost,
  startRouteServerHost,
} from "../../../../packages/route-servers/test/support/route-server-host.ts";
import { canUseNetns } from "../../../../test/support/system.ts";
import { startPoller } from "../../../worker/src/poller.ts";
import { startProvisioningStack } from "./_provisioning-stack.ts";
import { percentile } from "./_stats.ts";

const MEMBERS = 2_000;
const SPEAKERS = 20;
const SINGLE = 15;
const BURST = 200;
const RS = [
  { id: "rs-a", v4: "10.64.0.1" },
  { id: "rs-b", v4: "10.64.0.2" },
];
const RS_ASN = 64500;

/** Existing member i: ASN 200000+i at 10.64.(1+⌊i/250⌋).(2+i mod 250), outside the address pool. */
const existing = (i: number) => ({
  asn: 200_000 + i,
  nodeId: (0x1000000000 + i).toString(16),
  ipv4: `10.64.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`,
});

function missingTools(): string[] {
  const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
  return [
    ...["bird", "birdc", "ssh-keygen", "ip"].filter((c) => !has(c)),
    ...(existsSync("/usr/sbin/sshd") ? [] : ["/usr/sbin/sshd"]),
  ];
}

/**
 * The BIRD of member i (a real router): one session to each route server, one route. One
 * daemon per member, since BIRD keeps one session per neighbour address.
 */
function speakerConfig(i: number): string {
  const m = existing(i);
  const out = [`router id ${m.ipv4};`, "log stderr all;", "protocol device { scan time 10; }"];
  out.push(`protocol static announced { ipv4; route 20.${i}.0.0/16 blackhole; }`);
  for (const rs of RS) {
    out.push(
      `protocol bgp to_${rs.id.replace("-", "_")} {`,
      `  local ${m.ipv4} as ${m.asn};`,
      `  neighbor ${rs.v4} as ${RS_ASN};`,
      "  connect delay time 1;",
      "  error wait time 1, 5;",
      `  ipv4 { import none; export where proto = "announced"; };`,
      "}",
    );
  }
  return `${out.join("\n")}\n`;
}

/** Name → "since" of every speaker session on a route server, and whether all are Established. */
async function speakerSessions(host: RouteServerHost) {
  const states = await protocolStates(host.bird.socket);
  const sessions = new Map<string, string>();
  let established = 0;
  for (let i = 0; i < SPEAKERS; i++) {
    const m = existing(i);
    const name = `m_as${m.asn}_000001_${m.nodeId}_v4`;
    const s = states.get(name);
    if (/Established/.test(s?.info ?? "")) established += 1;
    sessions.set(name, `${s?.state} ${s?.info}`);
  }
  const since = new Map<string, string>();
  const out = await host.bird.birdc("show protocols");
  for (const line of out.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] && sessions.has(cols[0])) since.set(cols[0], cols[4] ?? "");
  }
  return { established, since };
}

export async function run(): Promise<Record<string, unknown>> {
  const missing = missingTools();
  if (missing.length > 0) return { skipped: `needs ${missing.join(", ")} (not installed)` };
  const netns = canUseNetns();

  const hosts: RouteServerHost[] = [];
  const speakers: BirdInstance[] = [];
  const stack = await startProvisioningStack({
    name: "rs-scale",
    extend: async ({ dir, defer }) => {
      mkdirSync(join(dir, "ssh"));
      const sshd = await startSshd(join(dir, "ssh"));
      defer(() => sshd.stop());
      const lan = netns ? await createPeeringLan("ix") : undefined;
      defer(() => lan?.destroy());
      defer(() => Promise.allSettled([...hosts.map((h) => h.bird.stop()), ...speakers.map((s) => s.stop())]));
      for (const rs of RS) {
        const ns = await lan?.addHost(rs.id, [`${rs.v4}/16`]);
        const host = await startRouteServerHost({
          baseDir: dir,
          id: rs.id,
          ssh: sshd,
          asn: RS_ASN,
          ...(ns ? { netns: ns } : {}),
        });
        host.config = {
          ...host.config,
          peering_ipv4: [rs.v4],
          peering_ipv6: ["2001:db8:64::1"],
          router_id: rs.v4,
        };
        hosts.push(host);
      }
      for (let i = 0; lan && i < SPEAKERS; i++) {
        const ns = await lan.addHost(`m${i}`, [`${existing(i).ipv4}/16`]);
        const speakerDir = join(dir, `m${i}`);
        mkdirSync(speakerDir);
        writeFileSync(join(speakerDir, "bird.conf"), speakerConfig(i));
        speakers.push(
          await startBird({
            config: join(speakerDir, "bird.conf"),
            dir: speakerDir,
            name: `m${i}`,
            netns: ns,
          }),
        );
      }
      return {
        secrets: { "rs-key": sshd.userPrivateKey },
        config: {
          networks: [
            {
              suffix: "000001",
              name: "bench",
              ipv4: { prefix: "10.64.0.0/16", pool_start: "10.64.100.10", pool_end: "10.64.255.250" },
              ipv6: { prefix: "2001:db8:64::/64" },
            },
          ],
          route_servers: hosts.map((h) => h.config),
          route_server_policy: { allow_documentation_resources: true, configure_timeout_seconds: 60 },
        },
      };
    },
  });
  try {
    const { data, config, sqs, queueUrl, networkId } = stack;
    const workflow = {
      config,
      data,
      sqs,
      queueUrl,
      log: createLogger({ level: "error", sink: () => undefined }),
      now: () => new Date(),
    };

    // 2,000 existing, active members: desired state as the worker leaves it.
    const at = new Date().toISOString();
    const items: RouteServerMemberItem[] = Array.from({ length: MEMBERS }, (_, i) => ({
      network: "000001",
      networkId,
      requestId: `existing-${i}`,
      ...existing(i),
      activation: "active" as const,
      updatedAt: at,
    }));
    await data.entities.routeServerMember.put(items).go();

    const poller = startPoller({
      deps: stack.deps,
      sqs,
      queueUrl,
      waitTimeSeconds: 1,
      loops: 8,
      onOutcome: stack.onOutcome,
    });
    stack.defer(() => poller.stop());

    // Backfill: each new route server converges to all 2,000 by itself.
    const t = performance.now();
    await requestReconcile(
      workflow,
      RS.map((r) => r.id),
      "startup",
    );
    for (const rs of RS) {
      for (;;) {
        const s = await routeServerState(data, rs.id);
        if (s?.memberCount === MEMBERS && s.condition === "in_sync") break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const backfillS = (performance.now() - t) / 1000;

    // Real sessions, carrying routes, before anything else happens.
    let sessionsBefore: { established: number; since: Map<string, string> }[] = [];
    if (speakers.length > 0) {
      const deadline = Date.now() + 120_000;
      for (;;) {
        sessionsBefore = await Promise.all(hosts.map(speakerSessions));
        if (sessionsBefore.every((s) => s.established === SPEAKERS)) break;
        if (Date.now() > deadline)
          throw new Error(`speaker sessions not established: ${sessionsBefore.map((s) => s.established)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      // Wait until the speakers' routes are in each route server, so sessions carry traffic.
      for (const h of hosts) {
        for (;;) {
          const count = Number(/(\d+) of \d+ routes/.exec(await h.bird.birdc("show route count"))?.[1] ?? 0);
          if (count >= SPEAKERS) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }

    const approve = async (ids: string[]) => {
      const pending = await Promise.all(ids.map(() => stack.newPendingRequest()));
      const started = performance.now();
      const approved = await Promise.all(
        pending.map((p) => approveAndDispatch(workflow, p, { type: "admin", id: "bench" })),
      );
      for (const a of approved) if (!a.dispatch.enqueued) throw new Error(`not queued: ${a.dispatch.error}`);
      const finished = await stack.waitActive(
        approved.map((a) => a.request.requestId),
        300_000,
      );
      return { started, approved: approved.map((a) => a.request.requestId), finished };
    };

    // One at a time, after a warm-up that opens every connection.
    await approve(["warmup"]);
    const single: number[] = [];
    for (let i = 0; i < SINGLE; i++) {
      const r = await approve(["one"]);
      single.push(r.finished.get(r.approved[0]!)! - r.started);
    }
    single.sort((a, b) => a - b);

    const sessionsMid = speakers.length > 0 ? await Promise.all(hosts.map(speakerSessions)) : [];
    const configuresBefore = hosts.map((h) => h.reconfigurations());
    const burst = await approve(Array.from({ length: BURST }, (_, i) => `b${i}`));
    const lastActive = Math.max(...burst.approved.map((id) => burst.finished.get(id)!));
    const burstS = (lastActive - burst.started) / 1000;
    const configures = hosts.map((h, i) => h.reconfigurations() - configuresBefore[i]!);

    /** Sessions reset between two readings: a new "since", or not Established any more. */
    const resetsBetween = (
      before: { since: Map<string, string> }[],
      after: { established: number; since: Map<string, string> }[],
    ) => {
      const detail: string[] = [];
      hosts.forEach((h, i) => {
        for (const [name, since] of before[i]!.since) {
          if (!sameBirdTime(since, after[i]!.since.get(name)))
            detail.push(`${h.config.id} ${name}: ${since} → ${after[i]!.since.get(name)}`);
        }
      });
      const down = hosts.length * SPEAKERS - after.reduce((n, a) => n + a.established, 0);
      return { count: Math.max(detail.length, down), detail };
    };
    let burstResets = { count: 0, detail: [] as string[] };
    let singleResets = { count: 0, detail: [] as string[] };
    const counted = speakers.length * hosts.length;
    if (speakers.length > 0) {
      const after = await Promise.all(hosts.map(speakerSessions));
      burstResets = resetsBetween(sessionsMid, after);
      singleResets = resetsBetween(sessionsBefore, sessionsMid);
    }
    const resets = burstResets.count;
    const resetDetail = [...burstResets.detail, ...singleResets.detail];
    const figures = {
      members: MEMBERS,
      route_servers: RS.length,
      bird_in_network_namespaces: netns,
      backfill_2000_members_s: Number(backfillS.toFixed(1)),
      one_member_approve_to_active_p50_ms: Math.round(percentile(single, 50)),
      one_member_approve_to_active_p95_ms: Math.round(percentile(single, 95)),
      burst_requests: BURST,
      burst_all_active_s: Number(burstS.toFixed(1)),
      burst_configures_per_route_server: Object.fromEntries(RS.map((r, i) => [r.id, configures[i]])),
      established_sessions_watched: counted,
      existing_session_resets: speakers.length > 0 ? resets : "not measured (no network namespaces)",
      session_resets_during_single_approvals: speakers.length > 0 ? singleResets.count : "not measured",
      ...(resetDetail.length > 0 ? { reset_sessions: resetDetail } : {}),
    };
    console.log(JSON.stringify(figures));
    return figures;
  } finally {
    await stack.stop();
  }
}
