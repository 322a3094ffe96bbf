import { spawnSync } from "node:child_process";
import { auditTrail, createRequest, transitionRequest } from "@ztix/data";
import { createControllerHost, readGate, setGate } from "@ztix/zerotier";
import { type ControllerEmulator, freshEmulator } from "@ztix/zerotier-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controllerTestConfig } from "../../../packages/zerotier/test/support/config.ts";
import { emulatorHost } from "../../../packages/zerotier/test/support/host.ts";
import { testStack } from "../../../test/support/stack.ts";
import {
  type ControllerContext,
  controllerContextFromEnvironment,
  runControllerCommand,
} from "../src/controller.ts";

let emu: ControllerEmulator;
let ctx: ControllerContext;
const out: string[] = [];
const err: string[] = [];
const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
const progress: string[] = [];
/** The active request whose member the controller lacks (set by the restore-validate test). */
let lostRequestId = "";

beforeAll(async () => {
  emu = await freshEmulator({ token: "cli-token" });
  await testStack({ secrets: { controller_token: emu.token } });
  ctx = controllerContextFromEnvironment(controllerTestConfig(emu), (m) => progress.push(m));
  // The configured restart command restarts the emulator, as systemctl restarts zerotier-one.
  ctx.host = emulatorHost(emu, ctx.config.controller.restart_command);
});
afterAll(async () => {
  await ctx.provider.close();
  await emu.stop();
});

describe("npm run controller", () => {
  it("preflight reconciles through the linked resources and reports progress", async () => {
    expect(await runControllerCommand(["preflight"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ ok: true, controllerAddress: emu.address });
    expect(progress).toContain(`network ${emu.address}000001 (ZT-IX LAN): created`);
  });

  it("backs up, lists and restores, then validates", async () => {
    expect(await runControllerCommand(["backup"], ctx, io)).toBe(0);
    const { key } = JSON.parse(out.at(-1)!) as { key: string };
    expect(key).toMatch(/^controller-backups\/test\//);
    expect(await runControllerCommand(["list-backups"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toEqual([expect.objectContaining({ key })]);
    expect(await runControllerCommand(["restore", key], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ ok: true, reopened: true, restart: { proven: true } });
    expect(await runControllerCommand(["restore-validate"], ctx, io)).toBe(0);
  });

  it("restore exits 1 with controller_not_restarted when the controller kept its memory, and only restore-validate or an override reopens", async () => {
    expect(await runControllerCommand(["backup"], ctx, io)).toBe(0);
    const { key } = JSON.parse(out.at(-1)!) as { key: string };
    // A restart command that exits 0 but restarts nothing.
    const stuck = { ...ctx, host: createControllerHost(ctx.config.controller, ctx.secrets) };
    expect(await runControllerCommand(["restore", key], stuck, io)).toBe(1);
    expect(err.at(-1)).toMatch(/^gate closed: controller_not_restarted: .*\n {2}→ .*restart zerotier-one/s);

    expect(await runControllerCommand(["preflight"], ctx, io)).toBe(1);
    expect(err.at(-1)).toContain("gate closed: controller_not_restarted");
    expect((await readGate(ctx.data))?.gateOpen).toBe(false);

    await emu.restart();
    expect(await runControllerCommand(["restore-validate"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ ok: true, reopened: true, restart: { proven: true } });
  });

  it("restore-validate warns about an active member the controller lacks, keeping the gate open", async () => {
    const networkId = `${emu.address}000001`;
    const audit = { actorType: "system" as const };
    let request = await createRequest(
      ctx.data,
      { userId: "u-cli", asn: 64599, networkId, nodeId: "0c11c11c11", correlationId: "corr-cli" },
      audit,
    );
    request = await transitionRequest(ctx.data, request, "approve", { set: { attempt: 1 }, audit });
    request = await transitionRequest(ctx.data, request, "start", { audit });
    await transitionRequest(ctx.data, request, "complete", { audit });
    lostRequestId = request.requestId;
    const at = new Date().toISOString();
    await ctx.data.entities.membership
      .put({
        requestId: request.requestId,
        networkId,
        nodeId: "0c11c11c11",
        asn: 64599,
        memberName: "AS64599",
        ipv4: "192.0.2.99",
        authorized: true,
        createdAt: at,
        updatedAt: at,
      })
      .go();
    expect(await runControllerCommand(["restore-validate"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({
      ok: true,
      members: { checked: 1, drift: [{ code: "restore_member_missing", requestId: request.requestId }] },
    });
    expect(err.at(-1)).toContain("warning: restore_member_missing: member 0c11c11c11");
    expect((await readGate(ctx.data))?.gateOpen).toBe(true);
  });

  it("repair-members --dry-run lists the missing member, repair-members re-creates it, and a rerun finds nothing", async () => {
    const networkId = `${emu.address}000001`;
    expect(await runControllerCommand(["repair-members", "--dry-run"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({
      ok: true,
      dryRun: true,
      outcomes: [{ action: "would_repair", requestId: lostRequestId, code: "restore_member_missing" }],
    });
    expect(err.at(-1)).toBe("would repair 1 of 1 differing member(s); 1 active checked");
    expect(await ctx.provider.getMember(networkId, "0c11c11c11")).toBeNull();

    expect(await runControllerCommand(["repair-members"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({
      ok: true,
      repaired: 1,
      outcomes: [{ action: "repaired" }],
    });
    expect(await ctx.provider.getMember(networkId, "0c11c11c11")).toMatchObject({
      authorized: true,
      ipAssignments: ["192.0.2.99"],
      name: "AS64599",
    });
    expect(progress).toContain(
      `[1/1] member 0c11c11c11 (request ${lostRequestId}, AS64599): restore_member_missing → repaired`,
    );
    expect(
      (await auditTrail(ctx.data, `request#${lostRequestId}`)).filter(
        (e) => e.action === "controller.member_repaired",
      ),
    ).toEqual([expect.objectContaining({ actorType: "admin", actorId: expect.stringMatching(/^cli:/) })]);

    expect(await runControllerCommand(["restore-validate", "--repair-members"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ ok: true, members: { checked: 1, drift: [] } });
    expect(await runControllerCommand(["repair-members"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ ok: true, repaired: 0, outcomes: [] });
  });

  it("restore-validate --repair-members repairs a member deauthorized since the backup", async () => {
    const networkId = `${emu.address}000001`;
    const member = (await ctx.provider.getMember(networkId, "0c11c11c11"))!;
    await ctx.provider.upsertMember(networkId, "0c11c11c11", { ...member, authorized: false });
    expect(await runControllerCommand(["restore-validate", "--repair-members"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({
      repaired: 1,
      outcomes: [{ code: "restore_member_unauthorized", action: "repaired" }],
    });
    expect(await ctx.provider.getMember(networkId, "0c11c11c11")).toMatchObject({ authorized: true });
  });

  it("refuses repair-members with member_repair_gate_closed while the gate is closed", async () => {
    await setGate(ctx.data, { open: false, reasonCode: "restore_in_progress", reasonMessage: "cli test" });
    expect(await runControllerCommand(["repair-members"], ctx, io)).toBe(1);
    expect(err.at(-1)).toMatch(
      /^member_repair_gate_closed: the controller gate is closed \(restore_in_progress/,
    );
    // A restore holds the gate: a plain preflight leaves it; the operator's override reopens it.
    expect(await runControllerCommand(["preflight"], ctx, io)).toBe(1);
    expect(err.at(-1)).toContain("--override-restore");
    expect(await runControllerCommand(["preflight", "--override-restore"], ctx, io)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ ok: true, reopened: true });
  });

  it("exits 1 with the remediation when reload-token finds the token still wrong", async () => {
    await emu.rotateToken("other");
    expect(await runControllerCommand(["reload-token"], ctx, io)).toBe(1);
    expect(err.at(-1)).toContain("controller_unauthorized");
    expect(err.at(-1)).toContain("reload-token");
    await emu.rotateToken("cli-token");
  });

  it("explains its usage for an unknown command or a restore without a key", async () => {
    expect(await runControllerCommand(["frobnicate"], ctx, io)).toBe(2);
    expect(await runControllerCommand(["restore"], ctx, io)).toBe(2);
    expect(await runControllerCommand(["preflight", "--dry-run"], ctx, io)).toBe(2);
    expect(await runControllerCommand(["restore-validate", "--dry-run"], ctx, io)).toBe(2);
  });
});

describe("npm run controller: usage", () => {
  /** A context that fails the test if anything reaches for it: usage errors must run nothing. */
  const untouchable = new Proxy({} as ControllerContext, {
    get(_target, name) {
      throw new Error(`a usage error reached ctx.${String(name)}`);
    },
  });
  const run = async (argv: string[]) => {
    const seen = { out: [] as string[], err: [] as string[] };
    const code = await runControllerCommand(argv, untouchable, {
      out: (t) => seen.out.push(t),
      err: (t) => seen.err.push(t),
    });
    return { code, ...seen };
  };

  it.each([
    [["frobnicate"], "unknown command: frobnicate"],
    [["constructor"], "unknown command: constructor"],
    [["--dry-run"], "options need a command"],
    [["preflight", "--bogus"], "Unknown option '--bogus'"],
    [["preflight", "-x"], "Unknown option '-x'"],
    [["preflight", "--dry-run"], "unknown option for preflight: --dry-run"],
    [["backup", "--accept-new-identity"], "unknown option for backup: --accept-new-identity"],
    [["restore-validate", "--override-restore"], "unknown option for restore-validate: --override-restore"],
    [["repair-members", "--dry-run=yes"], "--dry-run"],
    [["restore-validate", "--dry-run"], "--dry-run applies to --repair-members"],
    [["restore"], "restore needs the backup key (see list-backups)"],
    [["restore", "a", "b"], "unexpected argument: b"],
    [["preflight", "now"], "unexpected argument: now"],
  ])("refuses %j with exit 2, the reason and the usage, running nothing", async (argv, reason) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(reason);
    expect(err[0]).toContain("usage: npm run controller -- <command>");
  });

  it.each([[["--help"]], [["-h"]], [["help"]], [["preflight", "--help"]]])(
    "prints the usage for %j and exits 0, running nothing",
    async (argv) => {
      const { code, out, err } = await run(argv);
      expect(code).toBe(0);
      expect(out).toEqual([expect.stringMatching(/^usage: npm run controller -- <command>/)]);
      expect(err).toEqual([]);
    },
  );

  it("prints the usage and exits 2 when no command is given", async () => {
    const { code, out } = await run([]);
    expect(code).toBe(2);
    expect(out[0]).toMatch(/^usage: npm run controller/);
  });

  it("answers usage errors and help from the command line before reading any environment", () => {
    // No linked resources, no runtime config: were they read, the script would fail otherwise.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("SST_") && !k.startsWith("ZTIX_")),
    );
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "functions/scripts/src/controller.ts", ...args], {
        encoding: "utf8",
        env,
      });
    const refused = cli("preflight", "--bogus");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("Unknown option '--bogus'");
    expect(refused.stderr).toContain("usage: npm run controller");
    const help = cli("restore", "--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run controller/);
  });
});
