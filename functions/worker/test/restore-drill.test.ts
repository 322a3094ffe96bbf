import { rmSync } from "node:fs";
import { join } from "node:path";
import { auditTrail, getRequest } from "@ztix/data";
import {
  createBackup,
  localControllerHost,
  readGate,
  repairMembers,
  restoreBackup,
  restoreValidate,
  runPreflight,
  setGate,
} from "@ztix/zerotier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processJob } from "../src/process-job.ts";
import { approvedRequest, type Harness, jobFor, workerHarness } from "./support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await workerHarness();
});
afterAll(() => h.stop());

describe("controller restore drill", () => {
  it("backs up, loses the controller's state, restores it, validates, and provisioning resumes", async () => {
    const before = await approvedRequest(h, { asn: 64540 });
    expect(await processJob(h.deps, jobFor(before), { receiveCount: 1 })).toMatchObject({ result: "active" });
    const backupDeps = {
      config: h.config,
      data: h.stack.data,
      s3: h.stack.s3,
      bucket: h.stack.names.bucketName,
      stage: "drill",
      host: localControllerHost(h.emu.homeDir),
    };
    const backup = await createBackup(backupDeps);

    // Disaster: the controller database is gone. Members vanish; jobs must not recreate networks blindly.
    rmSync(join(h.emu.homeDir, "controller.d"), { recursive: true, force: true });
    expect(await h.deps.provider().getMember(h.networkId, before.nodeId)).toBeNull();

    const steps: string[] = [];
    const report = await restoreBackup(
      { ...backupDeps, provider: h.deps.provider(), onProgress: (m) => steps.push(m) },
      backup.key,
    );
    expect(report.ok).toBe(true);
    expect(report.networks.map((n) => n.action)).toEqual(["unchanged"]);
    expect(report.members).toEqual({ checked: 1, drift: [] });
    expect(steps.some((s) => s.startsWith("checksum ok"))).toBe(true);
    expect(await readGate(h.stack.data)).toMatchObject({ gateOpen: true });
    expect(await h.deps.provider().getMember(h.networkId, before.nodeId)).toMatchObject({
      authorized: true,
      name: "AS64540",
    });

    const after = await approvedRequest(h, { asn: 64541 });
    expect(await processJob(h.deps, jobFor(after), { receiveCount: 1 })).toMatchObject({ result: "active" });
    expect((await getRequest(h.stack.data, after.requestId))?.status).toBe("active");
  });

  it("holds jobs while a restore is in progress", async () => {
    const waiting = await approvedRequest(h, { asn: 64542 });
    await setGate(h.stack.data, { open: false, reasonCode: "restore_in_progress", reasonMessage: "drill" });
    expect(await processJob(h.deps, jobFor(waiting), { receiveCount: 1 })).toEqual({
      action: "retry",
      reason: "gate_closed:restore_in_progress",
    });
    expect((await getRequest(h.stack.data, waiting.requestId))?.status).toBe("approved");
  });

  it("reports members lost, deauthorized or readdressed since the backup, while the gate stays open", async () => {
    const lifecycle = { config: h.config, data: h.stack.data, provider: h.deps.provider() };
    expect((await runPreflight(lifecycle)).ok).toBe(true); // the previous test left the gate closed
    const backupDeps = {
      config: h.config,
      data: h.stack.data,
      s3: h.stack.s3,
      bucket: h.stack.names.bucketName,
      stage: "drift",
      host: localControllerHost(h.emu.homeDir),
    };
    const backup = await createBackup(backupDeps);
    const late = await approvedRequest(h, { asn: 64543 });
    expect(await processJob(h.deps, jobFor(late), { receiveCount: 1 })).toMatchObject({ result: "active" });

    const report = await restoreBackup({ ...backupDeps, provider: h.deps.provider() }, backup.key);
    expect(report.ok).toBe(true);
    expect(report.members?.checked).toBe(3);
    expect(report.members?.drift).toEqual([
      expect.objectContaining({
        code: "restore_member_missing",
        requestId: late.requestId,
        nodeId: late.nodeId,
        asn: 64543,
        expected: [expect.stringMatching(/^192\.0\.2\./), expect.stringMatching(/^2001:db8:100:/)],
      }),
    ]);
    expect(await readGate(h.stack.data)).toMatchObject({ gateOpen: true });
    const audit = await auditTrail(h.stack.data, "controller");
    expect(audit.filter((e) => e.action === "controller.restore_member_drift")).toHaveLength(1);
    expect(audit.at(-1)).toMatchObject({ action: "controller.restore_completed" });

    const active = (
      await h.stack.data.entities.joinRequest.query
        .byNetworkStatus({ networkId: h.networkId, status: "active" })
        .go({ pages: "all" })
    ).data;
    const first = active.find((r) => r.asn === 64540)!;
    const second = active.find((r) => r.asn === 64541)!;
    const member = (await h.deps.provider().getMember(h.networkId, first.nodeId))!;
    await h.deps.provider().upsertMember(h.networkId, first.nodeId, { ...member, authorized: false });
    const moved = (await h.deps.provider().getMember(h.networkId, second.nodeId))!;
    await h.deps
      .provider()
      .upsertMember(h.networkId, second.nodeId, { ...moved, ipAssignments: ["192.0.2.249"] });
    const again = await restoreValidate(lifecycle);
    expect(again.members?.drift.map((d) => [d.code, d.requestId]).sort()).toEqual(
      [
        ["restore_member_missing", late.requestId],
        ["restore_member_unauthorized", first.requestId],
        ["restore_member_addresses_differ", second.requestId],
      ].sort(),
    );
    expect(await readGate(h.stack.data)).toMatchObject({ gateOpen: true });
  });

  it("repairs each kind of drift from DynamoDB, writes nothing in a dry run, and finds nothing the second time", async () => {
    // The previous test left one member missing, one unauthorized and one readdressed.
    const provider = h.deps.provider();
    const lifecycle = { config: h.config, data: h.stack.data, provider };
    const drift = (await restoreValidate(lifecycle)).members?.drift ?? [];
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

    const dry = await repairMembers(lifecycle, { dryRun: true });
    expect(dry).toMatchObject({ ok: true, dryRun: true, checked: 3, repaired: 0 });
    expect(dry.outcomes.map((o) => o.action)).toEqual(["would_repair", "would_repair", "would_repair"]);
    expect(dry.outcomes.find((o) => o.code === "restore_member_missing")?.update).toEqual({
      authorized: true,
      ipAssignments: drift.find((d) => d.code === "restore_member_missing")?.expected,
      name: "AS64543",
    });
    expect(await members()).toEqual(membersBefore);
    expect(await audits()).toHaveLength(auditsBefore.length);

    const steps: string[] = [];
    const fixed = await repairMembers({ ...lifecycle, onProgress: (m) => steps.push(m) });
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
    const again = await repairMembers(lifecycle);
    expect(again).toEqual({ ok: true, dryRun: false, checked: 3, repaired: 0, outcomes: [] });
    expect(await audits()).toHaveLength(auditsAfter.length);
    expect((await restoreValidate(lifecycle)).members).toEqual({ checked: 3, drift: [] });
  });

  it("refuses to repair members while the gate is closed, in a dry run too", async () => {
    const provider = h.deps.provider();
    const lifecycle = { config: h.config, data: h.stack.data, provider };
    const request = (
      await h.stack.data.entities.joinRequest.query
        .byNetworkStatus({ networkId: h.networkId, status: "active" })
        .go({ pages: "all" })
    ).data[0]!;
    const member = (await provider.getMember(h.networkId, request.nodeId))!;
    await provider.upsertMember(h.networkId, request.nodeId, { ...member, authorized: false });
    await setGate(h.stack.data, { open: false, reasonCode: "restore_in_progress", reasonMessage: "drill" });

    for (const dryRun of [false, true]) {
      await expect(repairMembers(lifecycle, { dryRun })).rejects.toMatchObject({
        code: "member_repair_gate_closed",
        details: { gateCode: "restore_in_progress" },
      });
    }
    expect(await provider.getMember(h.networkId, request.nodeId)).toMatchObject({ authorized: false });
  });
});
