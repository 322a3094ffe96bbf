import { auditTrail, createRequest, transitionRequest } from "@ztix/data";
import { readGate, setGate } from "@ztix/zerotier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerEmulator } from "../../../packages/zerotier/src/emulator/index.ts";
import { controllerTestConfig } from "../../../packages/zerotier/test/support/config.ts";
import { freshEmulator } from "../../../packages/zerotier/test/support/emulator.ts";
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
    expect(await runControllerCommand(["restore-validate"], ctx, io)).toBe(0);
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
    expect(await runControllerCommand(["preflight"], ctx, io)).toBe(0);
  });

  it("exits 1 with the remediation when reload-token finds the token still wrong", async () => {
    emu.rotateToken("other");
    expect(await runControllerCommand(["reload-token"], ctx, io)).toBe(1);
    expect(err.at(-1)).toContain("controller_unauthorized");
    expect(err.at(-1)).toContain("reload-token");
    emu.rotateToken("cli-token");
  });

  it("explains its usage for an unknown command or a restore without a key", async () => {
    expect(await runControllerCommand(["frobnicate"], ctx, io)).toBe(2);
    expect(await runControllerCommand(["restore"], ctx, io)).toBe(2);
    expect(await runControllerCommand(["preflight", "--dry-run"], ctx, io)).toBe(2);
    expect(await runControllerCommand(["restore-validate", "--dry-run"], ctx, io)).toBe(2);
  });
});
