/**
 * The reconciler against real route servers: BIRD 2 daemons reached through a real sshd with a
 * pinned host key, desired state in DynamoDB Local. Each test states the desired members,
 * reconciles, and reads back what BIRD itself runs (`show protocols`, the digest it evaluates).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { routeServerState, syncsOfRouteServer } from "@ztix/data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import {
  DIGEST_FILE_NAME,
  isReconcileWait,
  memberFileName,
  memberProtocolName,
  PolicyDataCache,
  RouteServerConnections,
  reconcileRouteServer,
} from "../src/index.ts";
import { birdc } from "./support/bird.ts";
import {
  NET_A,
  NET_B,
  PartitionableConnections,
  type ReconcileLab,
  startReconcileLab,
} from "./support/reconcile-lab.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("sshd", existsSync("/usr/sbin/sshd") && hasCommand("ssh-keygen"));

const protocolsOf = (asn: number, network: string, nodeId: string) =>
  (["ipv4", "ipv6"] as const).map((f) => memberProtocolName({ asn, network, nodeId }, f));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the route server's recorded apply window has passed. */
async function outwaitWindow(lab: ReconcileLab, id: string) {
  const state = await routeServerState(lab.stack.data, id);
  const until = state?.applyUntil ?? 0;
  if (until > Date.now()) await sleep(until - Date.now() + 200);
}

describe.skipIf(!present)("reconciling route servers to the desired state", () => {
  let lab: ReconcileLab;
  const membersDir = (id: string) => lab.hosts.get(id)!.config.paths.members_dir;
  const digestRunning = async (id: string) =>
    (await birdc(lab.hosts.get(id)!.bird.socket, "eval ZTIX_CONFIG_DIGEST")).trim();

  beforeAll(async () => {
    lab = await startReconcileLab(["rs-a"]);
  }, 60_000);
  afterAll(() => lab?.stop());

  it("brings an empty route server to every desired member in one configure, then finds nothing to do", async () => {
    for (let i = 0; i < 5; i++)
      await lab.putMember({ asn: 64501 + i, nodeId: `a0000000${10 + i}`, host: 10 + i });
    const first = await lab.reconcile("rs-a");
    expect(first).toMatchObject({ status: "applied", configures: 1, rejected: [] });
    expect(first.diff?.added).toHaveLength(5);
    expect(first.carried).toHaveLength(5);
    const protocols = await lab.protocols("rs-a");
    for (let i = 0; i < 5; i++) {
      for (const p of protocolsOf(64501 + i, NET_A.suffix, `a0000000${10 + i}`))
        expect(protocols.has(p)).toBe(true);
    }
    const state = await routeServerState(lab.stack.data, "rs-a");
    expect(state).toMatchObject({ condition: "in_sync", revision: 1, memberCount: 5 });
    // BIRD itself says which tree it parsed last: the one just written.
    expect(await digestRunning("rs-a")).toContain(state!.runningDigest!);

    const second = await lab.reconcile("rs-a");
    expect(second).toMatchObject({ status: "in_sync", configures: 0 });
    expect((await routeServerState(lab.stack.data, "rs-a"))?.revision).toBe(1);
    const syncs = await syncsOfRouteServer(lab.stack.data, "rs-a");
    expect(syncs.filter((s) => s.state === "in_sync")).toHaveLength(5);
  });

  it("keeps one node and ASN on two networks as two independent members", async () => {
    const a = await lab.putMember({ asn: 64520, nodeId: "b000000001", host: 20 });
    const b = await lab.putMember({ asn: 64520, nodeId: "b000000001", host: 20, network: NET_B.suffix });
    const out = await lab.reconcile("rs-a");
    expect(out.diff?.added.sort()).toEqual([memberFileName(a), memberFileName(b)].sort());
    const protocols = await lab.protocols("rs-a");
    for (const p of [
      ...protocolsOf(64520, NET_A.suffix, "b000000001"),
      ...protocolsOf(64520, NET_B.suffix, "b000000001"),
    ]) {
      expect(protocols.has(p)).toBe(true);
    }
    // Each session uses its own network's template, so each peers from the right LAN address.
    const text = readFileSync(join(membersDir("rs-a"), memberFileName(b)), "utf8");
    expect(text).toContain("from ztix_member_000002_v4");
    expect(text).toContain(`neighbor ${NET_B.v4}.20 as 64520`);
    const policy = readFileSync(lab.hosts.get("rs-a")!.config.paths.policy_file, "utf8");
    expect(policy).toMatch(
      new RegExp(`template bgp ztix_member_000002_v4 \\{\\n\\s+local ${NET_B.v4}\\.1 as`),
    );

    await lab.deleteMember(b);
    const removed = await lab.reconcile("rs-a");
    expect(removed.diff?.removed).toEqual([memberFileName(b)]);
    const after = await lab.protocols("rs-a");
    expect(after.has(protocolsOf(64520, NET_B.suffix, "b000000001")[0]!)).toBe(false);
    expect(after.has(protocolsOf(64520, NET_A.suffix, "b000000001")[0]!)).toBe(true);
    const syncs = await syncsOfRouteServer(lab.stack.data, "rs-a");
    expect(syncs.find((s) => s.requestId === b.requestId)?.state).toBe("removed");
  });

  it("repairs a member file edited by hand (and made live by hand) and one deleted by hand", async () => {
    const edited = await lab.putMember({ asn: 64530, nodeId: "c000000001", host: 30 });
    const deleted = await lab.putMember({ asn: 64531, nodeId: "c000000002", host: 31 });
    await lab.reconcile("rs-a");
    const editedPath = join(membersDir("rs-a"), memberFileName(edited));
    const original = readFileSync(editedPath, "utf8");
    expect(original).toMatch(/receive limit \d+/);
    writeFileSync(editedPath, original.replace(/receive limit \d+/g, "receive limit 99999"));
    rmSync(join(membersDir("rs-a"), memberFileName(deleted)));
    // Someone also reloads BIRD by hand: it now runs the edit and has dropped the other member.
    expect(await birdc(lab.hosts.get("rs-a")!.bird.socket, "configure")).toMatch(
      /Reconfigured|Reconfiguration in progress/,
    );
    expect((await lab.protocols("rs-a")).has(protocolsOf(64531, NET_A.suffix, "c000000002")[0]!)).toBe(false);

    const out = await lab.reconcile("rs-a");
    expect(out.diff).toMatchObject({
      changed: [memberFileName(edited)],
      added: [memberFileName(deleted)],
      removed: [],
    });
    expect(readFileSync(editedPath, "utf8")).toBe(original);
    expect((await lab.protocols("rs-a")).has(protocolsOf(64531, NET_A.suffix, "c000000002")[0]!)).toBe(true);
    const limit = await birdc(
      lab.hosts.get("rs-a")!.bird.socket,
      `show protocols all ${protocolsOf(64530, NET_A.suffix, "c000000001")[0]}`,
    );
    expect(limit).not.toContain("99999");
  });

  it("notices BIRD running something else than its files and reconfigures it", async () => {
    const dir = membersDir("rs-a");
    const model = await lab.putMember({ asn: 64535, nodeId: "c000000005", host: 35 });
    await lab.reconcile("rs-a");
    const stray = join(dir, "AS64599_000001_dddddddddd.conf");
    // A member nobody wants, written and loaded by hand, then its file deleted again.
    writeFileSync(
      stray,
      readFileSync(join(dir, memberFileName(model)), "utf8")
        .replaceAll("64535", "64599")
        .replaceAll("c000000005", "dddddddddd")
        .replace(/neighbor \S+/, `neighbor ${NET_A.v4}.99`),
    );
    expect(await birdc(lab.hosts.get("rs-a")!.bird.socket, "configure")).toMatch(
      /Reconfigured|Reconfiguration in progress/,
    );
    rmSync(stray);
    expect((await lab.protocols("rs-a")).has("m_as64599_000001_dddddddddd_v4")).toBe(true);

    const out = await lab.reconcile("rs-a");
    expect(out).toMatchObject({ status: "applied", configures: 1 });
    expect(out.diff).toMatchObject({ added: [], changed: [], removed: [] });
    expect((await lab.protocols("rs-a")).has("m_as64599_000001_dddddddddd_v4")).toBe(false);
  });

  it("migrates files of the earlier naming scheme in the same apply that writes the new ones", async () => {
    const dir = membersDir("rs-a");
    const legacy = "AS64540_e000000001.conf";
    writeFileSync(
      join(dir, legacy),
      `protocol bgp m_as64540_e000000001_v4 from ztix_member_000001_v4 {\n  neighbor ${NET_A.v4}.40 as 64540;\n  ipv4 { import all; };\n}\n`,
    );
    expect(await birdc(lab.hosts.get("rs-a")!.bird.socket, "configure")).toMatch(
      /Reconfigured|Reconfiguration in progress/,
    );
    const member = await lab.putMember({ asn: 64540, nodeId: "e000000001", host: 40 });
    const out = await lab.reconcile("rs-a");
    expect(out).toMatchObject({ configures: 1 });
    expect(out.diff).toMatchObject({ added: [memberFileName(member)], removed: [legacy] });
    const protocols = await lab.protocols("rs-a");
    expect(protocols.has("m_as64540_e000000001_v4")).toBe(false);
    expect(protocols.has(protocolsOf(64540, NET_A.suffix, "e000000001")[0]!)).toBe(true);
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith(".conf"))
        .includes(legacy),
    ).toBe(false);
  });

  it("leaves out a member file BIRD refuses and applies the rest, quoting BIRD", async () => {
    // A link-local neighbour without an interface passes our schema but not BIRD's parser.
    const bad = await lab.putMember({ asn: 64550, nodeId: "f000000001", host: 50, ipv6: "fe80::50" });
    const good = await lab.putMember({ asn: 64551, nodeId: "f000000002", host: 51 });
    const out = await lab.reconcile("rs-a");
    expect(out.rejected).toEqual([
      expect.objectContaining({
        fileName: memberFileName(bad),
        message: expect.stringMatching(/Link-local/),
      }),
    ]);
    expect(out.configures).toBe(2);
    const protocols = await lab.protocols("rs-a");
    expect(protocols.has(protocolsOf(64551, NET_A.suffix, "f000000002")[0]!)).toBe(true);
    expect(protocols.has(protocolsOf(64550, NET_A.suffix, "f000000001")[0]!)).toBe(false);
    expect(existsSync(join(membersDir("rs-a"), memberFileName(bad)))).toBe(false);
    expect(out.carried.map((c) => c.item.requestId)).toContain(good.requestId);
    const syncs = await syncsOfRouteServer(lab.stack.data, "rs-a");
    expect(syncs.find((s) => s.requestId === bad.requestId)).toMatchObject({ state: "failed" });
    expect((await routeServerState(lab.stack.data, "rs-a"))?.condition).toBe("drifted");
    await lab.deleteMember(bad);
    expect((await lab.reconcile("rs-a")).rejected).toEqual([]);
  });

  it("coalesces a reconcile asked for before the last one read the desired state", async () => {
    const state = await routeServerState(lab.stack.data, "rs-a");
    const older = new Date(Date.parse(state!.observedAt!) - 5_000).toISOString();
    expect((await lab.reconcile("rs-a", { requestedAt: older })).status).toBe("coalesced");
    expect((await lab.reconcile("rs-a", { requestedAt: new Date().toISOString() })).status).not.toBe(
      "coalesced",
    );
  });

  it("shows the difference in a dry run without changing the box", async () => {
    const member = await lab.putMember({ asn: 64560, nodeId: "a100000001", host: 60 });
    const before = readdirSync(membersDir("rs-a")).sort();
    const out = await lab.reconcile("rs-a", { dryRun: true });
    expect(out).toMatchObject({ status: "dry_run", configures: 0 });
    expect(out.diff?.added).toEqual([memberFileName(member)]);
    expect(readdirSync(membersDir("rs-a")).sort()).toEqual(before);
    expect((await lab.reconcile("rs-a")).diff?.added).toEqual([memberFileName(member)]);
  });

  it("backfills a route server added to the config, and serves only the networks it is given", async () => {
    await lab.putMember({ asn: 64525, nodeId: "b000000005", host: 25, network: NET_B.suffix });
    await lab.addHost("rs-b", { networks: [NET_B.suffix] });
    const wanted = (
      await lab.stack.data.entities.routeServerMember.query.byNetwork({ network: NET_B.suffix }).go()
    ).data;
    const out = await lab.reconcile("rs-b");
    expect(out.configures).toBe(1);
    expect(out.carried).toHaveLength(wanted.length);
    const protocols = [...(await lab.protocols("rs-b")).keys()].filter((p) => p.startsWith("m_as"));
    expect(protocols.every((p) => p.includes(`_${NET_B.suffix}_`))).toBe(true);
    // A policy file names only the templates of the networks it serves.
    const policy = readFileSync(lab.hosts.get("rs-b")!.config.paths.policy_file, "utf8");
    expect(policy).toContain("ztix_member_000002_v4");
    expect(policy).not.toContain("ztix_member_000001_v4");
  });

  it("rolls a policy change out to one route server at a time, and to every one", async () => {
    // Two route servers of the same network, both carrying its members.
    for (const id of ["rs-c", "rs-d"]) {
      await lab.addHost(id, { networks: [NET_A.suffix] });
      expect((await lab.reconcile(id)).carried.length).toBeGreaterThan(0);
    }
    lab.setConfig({ policy: { as_path_max_length: 40 } });
    const c = lab.hosts.get("rs-c")!.config.paths.policy_file;
    const d = lab.hosts.get("rs-d")!.config.paths.policy_file;
    // While rs-c holds the roll-out (its apply is past BIRD's parse), rs-d must wait.
    let rsDWhileC: unknown;
    const first = reconcileRouteServer(lab.deps(), "rs-c", {
      hooks: {
        afterStage: async (s) => {
          if (s === "configure") rsDWhileC = await lab.reconcile("rs-d").catch((e: unknown) => e);
        },
      },
    });
    expect((await first).diff?.policy).toBe(true);
    expect(isReconcileWait(rsDWhileC)).toBe(true);
    expect((rsDWhileC as { code: string }).code).toBe("route_server_rollout_busy");
    expect(readFileSync(c, "utf8")).toContain("define ZTIX_AS_PATH_MAX = 40;");
    expect(readFileSync(d, "utf8")).not.toContain("define ZTIX_AS_PATH_MAX = 40;");
    expect((await lab.reconcile("rs-d")).diff?.policy).toBe(true);
    expect(readFileSync(d, "utf8")).toContain("define ZTIX_AS_PATH_MAX = 40;");
  });

  it("treats a confirm that arrives after BIRD's timeout as a failure and the server as in doubt", async () => {
    const member = await lab.putMember({ asn: 64570, nodeId: "a200000001", host: 70 });
    const late = reconcileRouteServer(lab.deps(), "rs-a", {
      hooks: {
        afterStage: async (s) => {
          if (s === "verify") await sleep(4_500);
        },
      },
    });
    const e = await late.catch((x: unknown) => x);
    expect(isReconcileWait(e)).toBe(true);
    expect((e as Error).message).toMatch(/0019/);
    const state = await routeServerState(lab.stack.data, "rs-a");
    expect(state).toMatchObject({ condition: "in_doubt", lastErrorStage: "confirm" });
    // BIRD went back by itself, and the files went back too: the member is not live.
    expect((await lab.protocols("rs-a")).has(protocolsOf(64570, NET_A.suffix, "a200000001")[0]!)).toBe(false);
    expect(existsSync(join(membersDir("rs-a"), memberFileName(member)))).toBe(false);
    const syncs = await syncsOfRouteServer(lab.stack.data, "rs-a");
    expect(syncs.find((s) => s.requestId === member.requestId)).toBeUndefined();

    await outwaitWindow(lab, "rs-a");
    const retry = await lab.reconcile("rs-a");
    expect(retry.diff?.added).toContain(memberFileName(member));
    expect((await routeServerState(lab.stack.data, "rs-a"))?.condition).toBe("in_sync");
  });

  it("records a rollback that failed, keeps the server in doubt until BIRD's window passed, then converges", async () => {
    const member = await lab.putMember({ asn: 64580, nodeId: "a300000001", host: 80 });
    const connections = new PartitionableConnections(lab.deps().secrets);
    const dropped = reconcileRouteServer(lab.deps({ connections }), "rs-a", {
      // The link dies right after BIRD took the new config: no verify, confirm or rollback gets through.
      hooks: {
        afterStage: async (s) => {
          if (s === "configure") await connections.partition();
        },
      },
    });
    const e = await dropped.catch((x: unknown) => x);
    expect(isReconcileWait(e), JSON.stringify(e, Object.getOwnPropertyNames(e))).toBe(true);
    const state = await routeServerState(lab.stack.data, "rs-a");
    expect(state).toMatchObject({
      condition: "in_doubt",
      rollbackError: expect.stringMatching(/restoring|undo/),
    });
    expect(state?.applyUntil).toBeGreaterThan(Date.now());

    // No apply starts while BIRD's undo window may still be open.
    const early = await lab.reconcile("rs-a").catch((x: unknown) => x);
    expect(early).toMatchObject({ code: "route_server_in_doubt" });

    await outwaitWindow(lab, "rs-a");
    const after = await lab.reconcile("rs-a");
    expect(after.status).toBe("applied");
    expect((await lab.protocols("rs-a")).has(protocolsOf(64580, NET_A.suffix, "a300000001")[0]!)).toBe(true);
    expect(after.carried.map((c) => c.item.requestId)).toContain(member.requestId);
    const settled = await routeServerState(lab.stack.data, "rs-a");
    expect(settled).toMatchObject({ condition: "in_sync" });
    expect(settled?.rollbackError).toBeUndefined();
    expect(settled?.applyTxn).toBeUndefined();
  });

  it("converges after a worker died mid-apply, once BIRD's window has passed", async () => {
    const member = await lab.putMember({ asn: 64590, nodeId: "a400000001", host: 90 });
    const connections = new RouteServerConnections(lab.deps().secrets);
    let died!: () => void;
    const dead = new Promise<void>((r) => {
      died = r;
    });
    // The worker stops for good right after BIRD answered its configure: nothing after runs.
    void reconcileRouteServer(lab.deps({ connections }), "rs-a", {
      hooks: {
        afterStage: (s) => {
          if (s !== "configure") return;
          died();
          return new Promise<void>(() => undefined);
        },
      },
    });
    await dead;
    await connections.closeAll();
    const early = await lab.reconcile("rs-a").catch((x: unknown) => x);
    expect(early).toMatchObject({ code: "route_server_in_doubt" });
    await outwaitWindow(lab, "rs-a");
    const redelivered = await lab.reconcile("rs-a");
    expect(redelivered.status).toBe("applied");
    expect(redelivered.carried.map((c) => c.item.requestId)).toContain(member.requestId);
    expect((await lab.protocols("rs-a")).has(protocolsOf(64590, NET_A.suffix, "a400000001")[0]!)).toBe(true);
    expect((await lab.reconcile("rs-a")).configures).toBe(0);
    expect(
      readdirSync(lab.hosts.get("rs-a")!.config.paths.staging_dir).filter((f) => f.startsWith("ztix-")),
    ).toEqual([]);
  });

  it("waits, with the reason recorded, while a route server's BIRD cannot be reached", async () => {
    await lab.addHost("rs-e");
    await lab.reconcile("rs-e");
    await lab.hosts.get("rs-e")!.bird.stop();
    const e = await lab.reconcile("rs-e", { requestedAt: new Date().toISOString() }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "route_server_bird_unreachable" });
    expect(await routeServerState(lab.stack.data, "rs-e")).toMatchObject({
      condition: "error",
      lastErrorCode: "route_server_bird_unreachable",
    });
    // Nothing on the box was touched while BIRD was away.
    expect(readdirSync(membersDir("rs-e")).includes(DIGEST_FILE_NAME)).toBe(true);
  });

  it("waits while sshd refuses the connection, then converges by itself", async () => {
    const host = await lab.addHost("rs-f");
    const closed = { ...host.config, ssh: { ...host.config.ssh, port: 1 } };
    lab.setConfig({ routeServers: [...lab.config.route_servers.filter((r) => r.id !== "rs-f"), closed] });
    const e = await lab.reconcile("rs-f").catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "ssh_connect_failed" });
    expect((await routeServerState(lab.stack.data, "rs-f"))?.lastError).toMatch(/ECONNREFUSED/);
    lab.setConfig({
      routeServers: [...lab.config.route_servers.filter((r) => r.id !== "rs-f"), host.config],
    });
    expect((await lab.reconcile("rs-f")).status).toBe("applied");
    expect((await routeServerState(lab.stack.data, "rs-f"))?.lastError).toBeUndefined();
  });

  it("refuses a host key that is not the pinned one, and says so", async () => {
    const host = await lab.addHost("rs-g");
    const spoofed = {
      ...host.config,
      ssh: { ...host.config.ssh, host_key_fingerprint: lab.sshd.otherFingerprint },
    };
    lab.setConfig({ routeServers: [...lab.config.route_servers.filter((r) => r.id !== "rs-g"), spoofed] });
    const e = await lab.reconcile("rs-g").catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "ssh_host_key_mismatch" });
    expect(readdirSync(membersDir("rs-g"))).toEqual([]);
  });
  it("renders again only the members whose record changed, when a warm cache is kept", async () => {
    const host = await lab.addHost("rs-h");
    const deps = lab.deps({ policyCache: new PolicyDataCache() });
    const cold = await reconcileRouteServer(deps, host.config.id);
    expect(cold.status).toBe("applied");
    const all = cold.carried.length + cold.rejected.length;
    expect(cold.rendered).toBe(all);
    // Nothing changed: nothing rendered, nothing applied.
    expect(await reconcileRouteServer(deps, host.config.id)).toMatchObject({
      status: "in_sync",
      rendered: 0,
    });
    // One new member: one file rendered, and it reaches BIRD.
    await lab.putMember({ asn: 64590, nodeId: "c000000090", host: 90 });
    const one = await reconcileRouteServer(deps, host.config.id);
    expect(one).toMatchObject({ status: "applied", rendered: 1, configures: 1 });
    expect(one.diff?.added).toEqual([
      memberFileName({ asn: 64590, network: NET_A.suffix, nodeId: "c000000090" }),
    ]);
    // Without the cache every member is rendered, and the same tree results.
    const uncached = await reconcileRouteServer(lab.deps(), host.config.id);
    expect(uncached).toMatchObject({ status: "in_sync", rendered: all + 1 });
  });
});
