import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  authenticateLocal,
  createLocalUser,
  createPeeringDbUser,
  createSession,
  loadSession,
  setUserDisabled,
  showUser,
  updateUser,
} from "@ztix/auth";
import { auditTrail } from "@ztix/data";
import { beforeAll, describe, expect, it } from "vitest";
import { runUsersCommand } from "../../../functions/scripts/src/users.ts";
import { TEST_NETWORK_ID, testConfig } from "../../../test/support/config.ts";
import { type TestStack, testStack } from "../../../test/support/stack.ts";

const OTHER_NETWORK_ID = "8056c2e21c000002";

describe("users administration (the users script)", () => {
  let stack: TestStack;
  const config = testConfig({ asn_policy: { allow_documentation: true, allow_private: false } });
  const ctx = () => ({ data: stack.data, config, actor: "ops:test" });

  beforeAll(async () => {
    stack = await testStack();
    const at = new Date().toISOString();
    for (const [networkId, suffix] of [
      [TEST_NETWORK_ID, "000001"],
      [OTHER_NETWORK_ID, "000002"],
    ] as const) {
      await stack.data.entities.ixNetwork
        .create({ networkId, suffix, name: `net ${suffix}`, active: true, createdAt: at, updatedAt: at })
        .go();
    }
  });

  async function tableCounts() {
    const [users, creds, audits] = await Promise.all([
      stack.data.entities.user.scan.go({ pages: "all" }),
      stack.data.entities.localCredential.scan.go({ pages: "all" }),
      stack.data.entities.auditEvent.scan.go({ pages: "all" }),
    ]);
    return { users: users.data.length, creds: creds.data.length, audits: audits.data.length };
  }

  it("creates a local user with ASNs and networks, a scrypt hash and an audit event", async () => {
    const out = await createLocalUser(ctx(), {
      username: "Alice",
      password: "correct horse battery",
      displayName: "Alice Ops",
      isAdmin: true,
      asns: ["AS64500", 64501],
      networks: [TEST_NETWORK_ID],
    });
    expect(out.user).toMatchObject({
      username: "alice",
      displayName: "Alice Ops",
      isAdmin: true,
      source: "local",
    });
    expect(out.asns.map((a) => a.asn)).toEqual([64500, 64501]);
    expect(out.networks).toEqual([TEST_NETWORK_ID]);
    const cred = (await stack.data.entities.localCredential.get({ username: "alice" }).go()).data!;
    expect(cred.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    const trail = await auditTrail(stack.data, `user#${out.user.userId}`);
    expect(trail).toMatchObject([{ action: "user.created", actorType: "system", actorId: "ops:test" }]);
    const user = await authenticateLocal(
      stack.data,
      config,
      { username: "ALICE", password: "correct horse battery", address: "192.0.2.1" },
      new Date(),
    );
    expect(user.userId).toBe(out.user.userId);
  });

  it("refuses an invalid ASN and writes nothing", async () => {
    const before = await tableCounts();
    await expect(
      createLocalUser(ctx(), { username: "bob", password: "correct horse battery", asns: [64500, 64512] }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      details: { fields: { asn: [expect.stringMatching(/private-use/)] } },
    });
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses an unknown network and writes nothing", async () => {
    const before = await tableCounts();
    await expect(
      createLocalUser(ctx(), {
        username: "bob",
        password: "correct horse battery",
        networks: ["8056c2e21c00ffff"],
      }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      details: { fields: { zt_network_id: [expect.stringMatching(/no such IX network/)] } },
    });
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses a taken username with conflict and rolls the whole transaction back", async () => {
    const before = await tableCounts();
    await expect(
      createLocalUser(ctx(), { username: "alice", password: "another long password", asns: [64502] }),
    ).rejects.toMatchObject({ code: "conflict" });
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses a short password", async () => {
    await expect(createLocalUser(ctx(), { username: "carol", password: "short" })).rejects.toMatchObject({
      code: "validation_failed",
    });
  });

  it("updates admin flag, ASNs, networks and password together, audited", async () => {
    const out = await updateUser(
      ctx(),
      { username: "alice" },
      {
        isAdmin: false,
        asns: [64501, 64502],
        networks: ["000002"],
        password: "a brand new passphrase",
      },
    );
    expect(out.user.isAdmin).toBe(false);
    expect(out.asns.map((a) => a.asn)).toEqual([64501, 64502]);
    expect(out.networks).toEqual([OTHER_NETWORK_ID]);
    const trail = await auditTrail(stack.data, `user#${out.user.userId}`);
    expect(trail.at(-1)).toMatchObject({
      action: "user.updated",
      metadata: {
        is_admin: false,
        password_changed: true,
        asns_added: [64502],
        asns_removed: [64500],
        networks_added: [OTHER_NETWORK_ID],
        networks_removed: [TEST_NETWORK_ID],
      },
    });
    await expect(
      authenticateLocal(
        stack.data,
        config,
        { username: "alice", password: "a brand new passphrase", address: "192.0.2.1" },
        new Date(),
      ),
    ).resolves.toMatchObject({ userId: out.user.userId });
  });

  it("changes nothing when one part of an update is invalid", async () => {
    const before = await showUser(ctx(), { username: "alice" });
    await expect(
      updateUser(
        ctx(),
        { username: "alice" },
        { isAdmin: true, asns: [64503], networks: ["ffffffffffffffff"] },
      ),
    ).rejects.toMatchObject({ code: "validation_failed" });
    const after = await showUser(ctx(), { username: "alice" });
    expect(after).toEqual(before);
  });

  it("disables and re-enables a user; a disabled user is refused at sign-in", async () => {
    await setUserDisabled(ctx(), { username: "alice" }, true);
    await expect(
      authenticateLocal(
        stack.data,
        config,
        { username: "alice", password: "a brand new passphrase", address: "192.0.2.9" },
        new Date(),
      ),
    ).rejects.toMatchObject({ code: "account_disabled" });
    const enabled = await setUserDisabled(ctx(), { username: "alice" }, false);
    expect(enabled.user.disabled).toBe(false);
    const actions = (await auditTrail(stack.data, `user#${enabled.user.userId}`)).map((e) => e.action);
    expect(actions.slice(-2)).toEqual(["user.disabled", "user.enabled"]);
  });

  it("prepares a PeeringDB user as admin before their first sign-in", async () => {
    const out = await createPeeringDbUser(ctx(), { peeringdbId: 4242, isAdmin: true });
    expect(out.user).toMatchObject({ userId: "pdb-4242", source: "peeringdb", isAdmin: true });
    await expect(
      updateUser(ctx(), { userId: "pdb-4242" }, { password: "long enough password" }),
    ).rejects.toMatchObject({
      code: "validation_failed",
    });
  });

  it("ends every session of a user whose password changes or who is disabled", async () => {
    const { user } = await createLocalUser(ctx(), { username: "sid", password: "a long enough password" });
    const signIn = () => createSession(stack.data, { userId: user.userId, authMethod: "local" }, config);
    const [a, b] = [await signIn(), await signIn()];
    await updateUser(ctx(), { username: "sid" }, { password: "another long password" });
    expect(await loadSession(stack.data, a.token, config)).toBeNull();
    expect(await loadSession(stack.data, b.token, config)).toBeNull();
    const c = await signIn();
    await updateUser(ctx(), { username: "sid" }, { displayName: "Sid" });
    expect(await loadSession(stack.data, c.token, config)).not.toBeNull();
    await setUserDisabled(ctx(), { username: "sid" }, true);
    expect(await loadSession(stack.data, c.token, config)).toBeNull();
  });

  it("answers not_found for an unknown user", async () => {
    await expect(setUserDisabled(ctx(), { username: "nobody" }, true)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  describe("the CLI", () => {
    function io(stdin = "") {
      const out: string[] = [];
      const err: string[] = [];
      return {
        out,
        err,
        io: {
          readStdin: async () => stdin,
          out: (t: string) => out.push(t),
          err: (t: string) => err.push(t),
        },
      };
    }

    it("creates a user with the password from stdin and repeatable --asn / --zt-network-id", async () => {
      const t = io("piped password 123\n");
      const code = await runUsersCommand(
        [
          "create",
          "--username",
          "dave",
          "--password-stdin",
          "--asn",
          "64500",
          "--asn",
          "AS64501",
          "--zt-network-id",
          TEST_NETWORK_ID,
          "--no-admin",
        ],
        ctx(),
        t.io,
      );
      expect(t.err).toEqual([]);
      expect(code).toBe(0);
      expect(JSON.parse(t.out[0]!)).toMatchObject({
        user: { username: "dave", isAdmin: false },
        networks: [TEST_NETWORK_ID],
      });
      await expect(
        authenticateLocal(
          stack.data,
          config,
          { username: "dave", password: "piped password 123", address: "192.0.2.2" },
          new Date(),
        ),
      ).resolves.toBeTruthy();
    });

    it("exits 1 with the error code for invalid input, and 2 for a usage error", async () => {
      const bad = io();
      expect(await runUsersCommand(["update", "--username", "dave", "--asn", "23456"], ctx(), bad.io)).toBe(
        1,
      );
      expect(bad.err[0]).toMatch(/validation_failed.*AS_TRANS/);
      const usage = io();
      expect(await runUsersCommand(["create", "--username", "erin"], ctx(), usage.io)).toBe(2);
      expect(usage.err[0]).toMatch(/--password-stdin/);
      expect(await runUsersCommand(["frobnicate"], ctx(), io().io)).toBe(2);
    });

    it("runs as a real process against the linked table, reading the password from stdin", async () => {
      const configPath = join(stack.dir, "runtime-config.yaml");
      writeFileSync(
        configPath,
        [
          "asn_policy: { allow_documentation: true }",
          "networks:",
          '  - { suffix: "000001", name: LAN, ipv4: { prefix: 192.0.2.0/24, pool_start: 192.0.2.10, pool_end: 192.0.2.250 } }',
        ].join("\n"),
      );
      const run = (args: string[], input = "") =>
        spawnSync(process.execPath, ["--import", "tsx", "functions/scripts/src/users.ts", ...args], {
          input,
          encoding: "utf8",
          env: { ...process.env, ...stack.env, ZTIX_RUNTIME_CONFIG: configPath, ZTIX_ACTOR: "cli-test" },
        });
      const created = run(
        ["create", "--username", "frank", "--password-stdin", "--asn", "64499"],
        "frank's long password\n",
      );
      expect(created.stderr).not.toMatch(/error/i);
      expect(created.status).toBe(0);
      expect(JSON.parse(created.stdout)).toMatchObject({
        user: { username: "frank" },
        asns: [{ asn: 64499 }],
      });
      const refused = run(["update", "--username", "frank", "--zt-network-id", "0000000000000000"]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/validation_failed/);
      const user = await showUser(ctx(), { username: "frank" });
      expect(user.networks).toEqual([]);
      const trail = await auditTrail(stack.data, `user#${user.user.userId}`);
      expect(trail.map((e) => [e.action, e.actorId])).toEqual([["user.created", "ops:cli-test"]]);
    });

    it("lists users", async () => {
      const t = io();
      expect(await runUsersCommand(["list"], ctx(), t.io)).toBe(0);
      const names = JSON.parse(t.out[0]!).map((u: { username: string | null }) => u.username);
      expect(names).toEqual(expect.arrayContaining(["alice", "dave"]));
    });
  });
});
