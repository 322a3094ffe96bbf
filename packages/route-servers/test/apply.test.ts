import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileSecretStore } from "@ztix/aws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { hasCommand, requireSystem } from "../../../test/support/system.ts";
import {
  ApplyError,
  applyToRouteServer,
  connectSsh,
  desiredState,
  renderPolicy,
  routeServerLeaseName,
  routeServerStates,
  syncMemberToRouteServers,
  tryAcquireLease,
} from "../src/index.ts";
import { protocolStates } from "./support/bird.ts";
import { memberFixture, runtimeConfigFixture } from "./support/fixtures.ts";
import { eventually, freePort } from "./support/processes.ts";
import { type RouteServerHost, startRouteServerHost } from "./support/route-server-host.ts";
import { type SshdInstance, startSshd } from "./support/sshd.ts";

const present =
  requireSystem("bird", hasCommand("bird") && hasCommand("birdc")) &&
  requireSystem("sshd", existsSync("/usr/sbin/sshd") && hasCommand("ssh-keygen"));

describe.skipIf(!present)("safe apply over SSH to a real BIRD", () => {
  let dir: string;
  let sshd: SshdInstance;
  let stack: TestStack;
  let rsA: RouteServerHost;
  let rsB: RouteServerHost;
  const hosts: RouteServerHost[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ztix-rs-apply-"));
    sshd = await startSshd(dir);
    stack = await testStack({ secrets: { "rs-key": sshd.userPrivateKey } });
    rsA = await startRouteServerHost({ baseDir: dir, id: "rs-a", ssh: sshd });
    hosts.push(rsA);
    rsB = await startRouteServerHost({ baseDir: dir, id: "rs-b", ssh: sshd });
    hosts.push(rsB);
  });

  afterAll(async () => {
    await Promise.allSettled(hosts.map((h) => h.bird.stop()));
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const deps = (routeServers: RouteServerHost["config"][], policy: Record<string, unknown> = {}) => ({
    config: runtimeConfigFixture(routeServers, policy),
    data: stack.data,
    secrets: fileSecretStore(stack.secretsPath),
  });
  const syncItem = (requestId: string, routeServerId: string) =>
    stack.data.entities.routeServerSync
      .get({ requestId, routeServerId })
      .go()
      .then((r) => r.data);
  const leftovers = (h: RouteServerHost) => [
    ...readdirSync(join(h.dir, "staging")),
    ...readdirSync(h.dir).filter((f) => f.startsWith(".ztix-")),
    ...readdirSync(h.config.paths.members_dir).filter((f) => !f.endsWith(".conf")),
  ];

  it("applies a member: BIRD runs its sessions, the state is in sync, and a rerun changes nothing", async () => {
    const member = memberFixture({ requestId: "req-apply" });
    const first = await syncMemberToRouteServers(deps([rsA.config]), member);
    expect(first).toEqual({ ok: true, results: [{ routeServerId: "rs-a", state: "in_sync" }] });
    const protocols = await protocolStates(rsA.bird.socket);
    expect(protocols.has("m_as64501_0123456789_v4")).toBe(true);
    expect(protocols.has("m_as64501_0123456789_v6")).toBe(true);
    const item = await syncItem("req-apply", "rs-a");
    expect(item?.state).toBe("in_sync");
    expect(item?.appliedHash).toBe(item?.desiredHash);
    expect(readFileSync(rsA.config.paths.policy_file, "utf8")).toBe(
      renderPolicy(rsA.config, runtimeConfigFixture([]).route_server_policy),
    );
    expect(leftovers(rsA)).toEqual([]);

    const again = await syncMemberToRouteServers(deps([rsA.config]), member);
    expect(again.results).toEqual([{ routeServerId: "rs-a", state: "in_sync", skipped: true }]);
  });

  it("re-applies a member in sync when the policy changes, replacing the policy file", async () => {
    const member = memberFixture({ requestId: "req-apply" });
    const changed = deps([rsA.config], { as_path_max_length: 40 });
    const result = await syncMemberToRouteServers(changed, member);
    expect(result.results).toEqual([{ routeServerId: "rs-a", state: "in_sync" }]);
    expect(readFileSync(rsA.config.paths.policy_file, "utf8")).toContain("define ZTIX_AS_PATH_MAX = 40;");
    expect(await rsA.bird.birdc("eval ZTIX_AS_PATH_MAX")).toMatch(/\b40\b/);
    // Back to the default policy for the tests below.
    expect((await syncMemberToRouteServers(deps([rsA.config]), member)).ok).toBe(true);
    expect(await rsA.bird.birdc("eval ZTIX_AS_PATH_MAX")).toMatch(/\b64\b/);
  });

  it("keeps the previous config live when BIRD rejects the candidate at the parse check", async () => {
    const before = await protocolStates(rsA.bird.socket);
    const shell = await connectSsh(rsA.config.ssh, sshd.userPrivateKey);
    const cfg = runtimeConfigFixture([rsA.config]);
    const desired = desiredState(cfg, rsA.config, memberFixture({ asn: 64502, nodeId: "aaaaaaaaaa" }), false);
    const broken = {
      ...desired.member,
      text: `${desired.member.text}protocol bgp broken {\n  neighbor;\n}\n`,
    };
    const err = await applyToRouteServer(shell, {
      routeServer: rsA.config,
      policyText: desired.policyText,
      member: broken,
      configureTimeoutSeconds: 10,
    })
      .catch((e: unknown) => e)
      .finally(() => shell.close());
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as ApplyError).stage).toBe("parse_check");
    expect((err as ApplyError).message).toContain("Local AS number must be set");
    const after = await protocolStates(rsA.bird.socket);
    expect([...after.keys()]).toEqual([...before.keys()]);
    expect(existsSync(join(rsA.config.paths.members_dir, broken.fileName))).toBe(false);
    expect(leftovers(rsA)).toEqual([]);
  });

  it("rolls back with configure undo when the member's sessions do not appear after configure", async () => {
    const policyBefore = readFileSync(rsA.config.paths.policy_file, "utf8");
    const shell = await connectSsh(rsA.config.ssh, sshd.userPrivateKey);
    const cfg = runtimeConfigFixture([rsA.config]);
    const desired = desiredState(cfg, rsA.config, memberFixture({ asn: 64503, nodeId: "bbbbbbbbbb" }), false);
    const err = await applyToRouteServer(shell, {
      routeServer: rsA.config,
      policyText: desired.policyText,
      // Claims a protocol the file does not define: verification must fail after configure.
      member: { ...desired.member, protocols: [...desired.member.protocols, "m_not_there"] },
      configureTimeoutSeconds: 30,
    })
      .catch((e: unknown) => e)
      .finally(() => shell.close());
    expect((err as ApplyError).stage).toBe("verify");
    expect((err as ApplyError).message).toContain("m_not_there");
    expect((err as ApplyError).details.rollbackError).toBeUndefined();
    const after = await protocolStates(rsA.bird.socket);
    expect(after.has("m_as64503_bbbbbbbbbb_v4")).toBe(false);
    expect(after.has("m_as64501_0123456789_v4")).toBe(true);
    expect(existsSync(join(rsA.config.paths.members_dir, desired.member.fileName))).toBe(false);
    expect(readFileSync(rsA.config.paths.policy_file, "utf8")).toBe(policyBefore);
    expect(leftovers(rsA)).toEqual([]);
  });

  it("lets BIRD revert by itself when the SSH connection drops after configure timeout", async () => {
    const shell = await connectSsh(rsB.config.ssh, sshd.userPrivateKey);
    const cfg = runtimeConfigFixture([rsB.config]);
    const desired = desiredState(cfg, rsB.config, memberFixture({ asn: 64504, nodeId: "cccccccccc" }), false);
    const err = await applyToRouteServer(
      shell,
      {
        routeServer: rsB.config,
        policyText: desired.policyText,
        member: desired.member,
        configureTimeoutSeconds: 2,
      },
      {
        afterStage(stage) {
          if (stage === "configure") shell.close();
        },
      },
    ).catch((e: unknown) => e);
    expect((err as ApplyError).stage).toBe("verify");
    // The new config ran under the timer, then BIRD went back to the one before it.
    await eventually(
      async () => !(await protocolStates(rsB.bird.socket)).has("m_as64504_cccccccccc_v4"),
      "BIRD to revert the unconfirmed config",
      15_000,
    );
    expect(await rsB.bird.birdc("show status")).toMatch(/Daemon is up/);
    // The unconfirmed file is still on disk, marked; the next apply (for another member) puts
    // it back first, so its own configure cannot make the unverified member live.
    const interrupted = join(rsB.config.paths.members_dir, desired.member.fileName);
    expect(existsSync(`${interrupted}.ztix-absent`)).toBe(true);
    const other = await syncMemberToRouteServers(
      deps([rsB.config]),
      memberFixture({ asn: 64508, nodeId: "cdcdcdcdcd" }),
    );
    expect(other.ok).toBe(true);
    const after = await protocolStates(rsB.bird.socket);
    expect(after.has("m_as64508_cdcdcdcdcd_v4")).toBe(true);
    expect(after.has("m_as64504_cccccccccc_v4")).toBe(false);
    expect(existsSync(interrupted)).toBe(false);
    // A retry of the interrupted member converges.
    const retry = await syncMemberToRouteServers(
      deps([rsB.config]),
      memberFixture({ asn: 64504, nodeId: "cccccccccc" }),
    );
    expect(retry.ok).toBe(true);
    expect((await protocolStates(rsB.bird.socket)).has("m_as64504_cccccccccc_v4")).toBe(true);
    expect(leftovers(rsB)).toEqual([]);
  });

  it("fails only the route server that is down, and a retry re-applies only that one", async () => {
    const member = memberFixture({ requestId: "req-two", asn: 64505, nodeId: "dddddddddd" });
    const downPort = await freePort();
    const down = { ...rsB.config, ssh: { ...rsB.config.ssh, port: downPort, connect_timeout_ms: 2_000 } };
    const first = await syncMemberToRouteServers(deps([rsA.config, down]), member);
    expect(first.ok).toBe(false);
    expect(first.results[0]).toEqual({ routeServerId: "rs-a", state: "in_sync" });
    expect(first.results[1]).toMatchObject({ routeServerId: "rs-b", state: "failed", stage: "connect" });
    expect((await syncItem("req-two", "rs-b"))?.state).toBe("failed");
    expect((await syncItem("req-two", "rs-b"))?.lastErrorStage).toBe("connect");

    const retry = await syncMemberToRouteServers(deps([rsA.config, rsB.config]), member);
    expect(retry).toEqual({
      ok: true,
      results: [
        { routeServerId: "rs-a", state: "in_sync", skipped: true },
        { routeServerId: "rs-b", state: "in_sync" },
      ],
    });
    expect((await protocolStates(rsB.bird.socket)).has("m_as64505_dddddddddd_v4")).toBe(true);
    const states = await routeServerStates(stack.data, "req-two");
    expect(states.map((s) => [s.routeServerId, s.state, s.appliedHash === s.desiredHash])).toEqual([
      ["rs-a", "in_sync", true],
      ["rs-b", "in_sync", true],
    ]);
  });

  it("refuses a route server whose host key is not the pinned one", async () => {
    const impostor = {
      ...rsA.config,
      ssh: { ...rsA.config.ssh, host_key_fingerprint: sshd.otherFingerprint },
    };
    await expect(connectSsh(impostor.ssh, sshd.userPrivateKey)).rejects.toMatchObject({
      code: "ssh_host_key_mismatch",
    });
    const member = memberFixture({ requestId: "req-mitm", asn: 64506, nodeId: "eeeeeeeeee" });
    const result = await syncMemberToRouteServers(deps([impostor]), member);
    expect(result.ok).toBe(false);
    expect(result.results[0]).toMatchObject({ state: "failed", stage: "connect" });
    expect(result.results[0]?.error).toMatch(/not the pinned key/);
    expect((await protocolStates(rsA.bird.socket)).has("m_as64506_eeeeeeeeee_v4")).toBe(false);
  });

  it("waits for another apply's lock and reports the lock stage when it stays busy", async () => {
    const held = await tryAcquireLease(stack.data, routeServerLeaseName("rs-a"), 60_000);
    expect(held).not.toBeNull();
    expect(await tryAcquireLease(stack.data, routeServerLeaseName("rs-a"), 60_000)).toBeNull();
    const member = memberFixture({ requestId: "req-lock", asn: 64507, nodeId: "abababab01" });
    const busy = await syncMemberToRouteServers(deps([rsA.config], { lock_wait_seconds: 0 }), member);
    expect(busy.results[0]).toMatchObject({ state: "failed", stage: "lock" });
    await held?.release();
    const free = await syncMemberToRouteServers(deps([rsA.config], { lock_wait_seconds: 0 }), member);
    expect(free.ok).toBe(true);
    // An expired lease is taken over rather than blocking forever.
    const stale = await tryAcquireLease(stack.data, routeServerLeaseName("rs-x"), -1);
    expect(await tryAcquireLease(stack.data, routeServerLeaseName("rs-x"), 60_000)).not.toBeNull();
    await stale?.release();
  });

  it("removes a member through the same safe path", async () => {
    const member = memberFixture({ requestId: "req-apply" });
    const removed = await syncMemberToRouteServers(deps([rsA.config]), member, { remove: true });
    expect(removed).toEqual({ ok: true, results: [{ routeServerId: "rs-a", state: "in_sync" }] });
    const protocols = await protocolStates(rsA.bird.socket);
    expect(protocols.has("m_as64501_0123456789_v4")).toBe(false);
    expect(protocols.has("m_as64505_dddddddddd_v4")).toBe(true);
    expect(existsSync(join(rsA.config.paths.members_dir, "AS64501_0123456789.conf"))).toBe(false);
    expect((await syncItem("req-apply", "rs-a"))?.state).toBe("removed");
    const again = await syncMemberToRouteServers(deps([rsA.config]), member, { remove: true });
    expect(again.results[0]?.skipped).toBe(true);
  });
});
