import { rmSync } from "node:fs";
import { join } from "node:path";
import { auditTrail, getRequest, type JoinRequestItem } from "@ztix/data";
import {
  type BackupDeps,
  createBackup,
  localControllerHost,
  readGate,
  repairMembers,
  restoreBackup,
  restoreValidate,
  setGate,
} from "@ztix/zerotier";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emulatorHost } from "../../../packages/zerotier/test/support/host.ts";
import { processJob } from "../src/process-job.ts";
import { approvedRequest, type Harness, jobFor, workerHarness } from "./support/harness.ts";

// Every test gets its own controller and table, so none relies on what another left behind.
let h: Harness;
beforeEach(async () => {
  h = await workerHarness();
});
afterEach(() => h.stop());

async function activeRequest(asn: number): Promise<JoinRequestItem> {
  const request = await approvedRequest(h, { asn });
  expect(await processJob(h.deps, jobFor(request), { receiveCount: 1 })).toMatchObject({ result: "active" });
  return request;
}

/**
 * Backup and restore against the emulator's home. Its restart command restarts the emulator,
 * which, like zerotier-one, only reads controller.d/ at start.
 */
const backupDeps = (stage: string): BackupDeps => ({
  config: h.config,
  data: h.stack.data,
  s3: h.stack.s3,
  bucket: h.stack.names.bucketName,
  stage,
  host: emulatorHost(h.emu, h.config.controller.restart_command),
});

const lifecycle = () => ({ config: h.config, data: h.stack.data, provider: h.deps.provider() });

/**
 * One drift of each kind: two members backed up, a third approved after the backup (so the
 * restore loses it), then on the controller one member deauthorized and one readdressed.
 */
async function driftOfEachKind() {
  const deauthorized = await activeRequest(64543);
  const readdressed = await activeRequest(64544);
  const deps = backupDeps("drift");
  const backup = await createBackup(deps);
  const lost = await activeRequest(64545);
  const restored = await restoreBackup({ ...deps, provider: h.deps.provider() }, backup.key);
  const provider = h.deps.provider();
  const member = (await provider.getMember(h.networkId, deauthorized.nodeId))!;
  await provider.upsertMember(h.networkId, deauthorized.nodeId, { ...member, authorized: false });
  const moved = (await provider.getMember(h.networkId, readdressed.nodeId))!;
  await provider.upsertMember(h.networkId, readdressed.nodeId, { ...moved, ipAssignments: ["192.0.2.249"] });
  return { restored, lost, deauthorized, readdressed };
}

describe("controller restore drill", () => {
  it("backs up, loses the controller's state, restores it, validates, and provisioning resumes", async () => {
    const before = await activeRequest(64540);
    const deps = backupDeps("drill");
    const backup = await createBackup(deps);

    // Disaster: the controller database is gone and zerotier-one comes back up without it.
    rmSync(join(h.emu.homeDir, "controller.d"), { recursive: true, force: true });
    await h.emu.restart();
    expect(await h.deps.provider().getMember(h.networkId, before.nodeId)).toBeNull();
    expect(await h.deps.provider().getNetwork(h.networkId)).toBeNull();

    const steps: string[] = [];
    const report = await restoreBackup(
      { ...deps, provider: h.deps.provider(), onProgress: (m) => steps.push(m) },
      backup.key,
    );
    expect(report.ok).toBe(true);
    // "unchanged": the restarted controller loaded the restored network, preflight had nothing to create.
    expect(report.networks.map((n) => n.action)).toEqual(["unchanged"]);
    expect(report.members).toEqual({ checked: 1, drift: [] });
    expect(steps.some((s) => s.startsWith("checksum ok"))).toBe(true);
    expect(await readGate(h.stack.data)).toMatchObject({ gateOpen: true });
    expect(await h.deps.provider().getMember(h.networkId, before.nodeId)).toMatchObject({
      authorized: true,
      name: "AS64540",
    });

    const after = await activeRequest(64541);
    expect((await getRequest(h.stack.data, after.requestId))?.status).toBe("active");
  });

  it("holds jobs while a restore is in progress", async () => {
    const waiting = await approvedRequest(h, { asn: 64542 });
    await setGate(h.stack.data, { open: false, reasonCode: "restore_in_progress", reasonMessage: "drill" });
    // How a waiting job is handed back (retried or re-sent later) is the worker's business; why is the point.
    expect(await processJob(h.deps, jobFor(waiting), { receiveCount: 1 })).toMatchObject({
      reason: "gate_closed:restore_in_progress",
    });
    expect((await getRequest(h.stack.data, waiting.requestId))?.status).toBe("approved");
  });

  it("keeps jobs waiting after a restore the controller did not restart, until restore-validate passes", async () => {
    await activeRequest(64547);
    const deps = backupDeps("not-restarted");
    const backup = await createBackup(deps);
    // The restart command exits 0 but zerotier-one keeps serving its memory.
    const stuck = await restoreBackup(
      { ...deps, provider: h.deps.provider(), host: localControllerHost(h.emu.homeDir) },
      backup.key,
    );
    expect(stuck).toMatchObject({ ok: false, error: { code: "controller_not_restarted" } });

    const waiting = await approvedRequest(h, { asn: 64548 });
    // An hour on, long past preflight_max_age_seconds: the gate is still not re-checked by a job.
    const later = { ...h.deps, now: () => new Date(Date.now() + 3600_000) };
    expect(await processJob(later, jobFor(waiting), { receiveCount: 1 })).toMatchObject({
      reason: "gate_closed:controller_not_restarted",
    });
    expect((await getRequest(h.stack.data, waiting.requestId))?.status).toBe("approved");

    await h.emu.restart(); // the operator restarts zerotier-one
    expect(await restoreValidate(lifecycle())).toMatchObject({
      ok: true,
      reopened: true,
      restart: { proven: true },
    });
    const after = await activeRequest(64549);
    expect((await getRequest(h.stack.data, after.requestId))?.status).toBe("active");
  });

  it("reports members lost, deauthorized or readdressed since the backup, while the gate stays open", async () => {
    const { restored, lost, deauthorized, readdressed } = await driftOfEachKind();
    expect(restored.ok).toBe(true);
    expect(restored.members?.checked).toBe(3);
    expect(restored.members?.drift).toEqual([
      expect.objectContaining({
        code: "restore_member_missing",
        requestId: lost.requestId,
        nodeId: lost.nodeId,
        asn: 64545,
        expected: [expect.stringMatching(/^192\.0\.2\./), expect.stringMatching(/^2001:db8:100:/)],
      }),
    ]);
    expect(await readGate(h.stack.data)).toMatchObject({ gateOpen: true });
    const audit = await auditTrail(h.stack.data, "controller");
    expect(audit.filter((e) => e.action === "controller.restore_member_drift")).toHaveLength(1);
    expect(audit.at(-1)).toMatchObject({ action: "controller.restore_completed" });

    const again = await restoreValidate(lifecycle());
    expect(again.members?.drift.map((d) => [d.code, d.requestId]).sort()).toEqual(
      [
        ["restore_member_missing", lost.requestId],
        ["restore_member_unauthorized", deauthorized.requestId],
        ["restore_member_addresses_differ", readdressed.requestId],
      ].sort(),
    );
    expect(await readGate(h.stack.data)).toMatchObject({ gateOpen: true });
  });

  it("repairs each kind of drift from DynamoDB, writes nothing in a dry run, and finds nothing the second time", async () => {
    await driftOfEachKind();
    const provider = h.deps.provider();
    const drift = (await restoreValidate(lifecycle())).members?.drift ?? [];
    expect(drift.map((d) => d.code).sort()).toEqual(
      ["restore_member_addresses_differ", "restore_member_missing", "restore_member_unauthorized"].sort(),
    );
    const members = () => Promise.all(drift.map((d) => provider.getMember(d.networkId, d.nodeId)));
    const audits = async () =>
      (
        await Promise.all(
          ["controller", ...drift.map((d) => `request#${d.requestId}`)].map((s) =>
            auditTrail(h.stack.data, s),
          ),
        )
      ).flat();
    const membersBefore = await members();
    const auditsBefore = await audits();

    const dry = await repairMembers(lifecycle(), { dryRun: true });
    expect(dry).toMatchObject({ ok: true, dryRun: true, checked: 3, repaired: 0 });
    expect(dry.outcomes.map((o) => o.action)).toEqual(["would_repair", "would_repair", "would_repair"]);
    expect(dry.outcomes.find((o) => o.code === "restore_member_missing")?.update).toEqual({
      authorized: true,
      ipAssignments: drift.find((d) => d.code === "restore_member_missing")?.expected,
      name: "AS64545",
    });
    expect(await members()).toEqual(membersBefore);
    expect(await audits()).toHaveLength(auditsBefore.length);

    const steps: string[] = [];
    const fixed = await repairMembers({ ...lifecycle(), onProgress: (m) => steps.push(m) });
    expect(fixed).toMatchObject({ ok: true, dryRun: false, checked: 3, repaired: 3 });
    for (const d of drift) {
      const member = await provider.getMember(d.networkId, d.nodeId);
      expect(member).toMatchObject({ authorized: true, name: `AS${d.asn}` });
      expect(member?.ipAssignments.slice().sort()).toEqual(d.expected?.slice().sort());
      const trail = await auditTrail(h.stack.data, `request#${d.requestId}`);
      expect(trail.filter((e) => e.action === "controller.member_repaired")).toEqual([
        expect.objectContaining({ metadata: expect.objectContaining({ code: d.code }) }),
      ]);
      const membership = (await h.stack.data.entities.membership.get({ requestId: d.requestId }).go()).data;
      expect(membership?.controllerRevision).toBe(member?.revision);
    }
    const summaries = (await auditTrail(h.stack.data, "controller")).filter(
      (e) => e.action === "controller.member_repair",
    );
    expect(summaries).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ repaired: 3 }) }),
    ]);
    expect(steps.filter((s) => /^\[\d\/3\] member .* → repaired$/.test(s))).toHaveLength(3);

    const auditsAfter = await audits();
    const again = await repairMembers(lifecycle());
    expect(again).toEqual({ ok: true, dryRun: false, checked: 3, repaired: 0, outcomes: [] });
    expect(await audits()).toHaveLength(auditsAfter.length);
    expect((await restoreValidate(lifecycle())).members).toEqual({ checked: 3, drift: [] });
  });

  it("refuses to repair members while the gate is closed, in a dry run too", async () => {
    const request = await activeRequest(64546);
    const provider = h.deps.provider();
    const member = (await provider.getMember(h.networkId, request.nodeId))!;
    await provider.upsertMember(h.networkId, request.nodeId, { ...member, authorized: false });
    await setGate(h.stack.data, { open: false, reasonCode: "restore_in_progress", reasonMessage: "drill" });

    for (const dryRun of [false, true]) {
      await expect(repairMembers(lifecycle(), { dryRun })).rejects.toMatchObject({
        code: "member_repair_gate_closed",
        details: { gateCode: "restore_in_progress" },
      });
    }
    expect(await provider.getMember(h.networkId, request.nodeId)).toMatchObject({ authorized: false });
  });
});
