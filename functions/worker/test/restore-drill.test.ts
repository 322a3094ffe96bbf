import { rmSync } from "node:fs";
import { join } from "node:path";
import { getRequest } from "@ztix/data";
import { createBackup, localControllerHost, readGate, restoreBackup } from "@ztix/zerotier";
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
    const { setGate } = await import("@ztix/zerotier");
    await setGate(h.stack.data, { open: false, reasonCode: "restore_in_progress", reasonMessage: "drill" });
    expect(await processJob(h.deps, jobFor(waiting), { receiveCount: 1 })).toEqual({
      action: "retry",
      reason: "gate_closed:restore_in_progress",
    });
    expect((await getRequest(h.stack.data, waiting.requestId))?.status).toBe("approved");
  });
});
