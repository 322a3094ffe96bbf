import { fileSecretStore } from "@ztix/aws";
import { auditTrail } from "@ztix/data";
import { type ControllerEmulator, freshEmulator } from "@ztix/zerotier-emulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { createBackup } from "../src/backup/backup.ts";
import { type RestoreDeps, type RestoreStep, restoreBackup, restoreValidate } from "../src/backup/restore.ts";
import { ControllerError } from "../src/errors.ts";
import { createControllerProvider } from "../src/factory.ts";
import { localControllerHost } from "../src/host/local.ts";
import type { ControllerHost } from "../src/host/types.ts";
import { closeGate, readGate } from "../src/lifecycle/gate.ts";
import { checkGate } from "../src/lifecycle/gate-check.ts";
import { type PreflightReport, runPreflight } from "../src/lifecycle/preflight.ts";
import { SENTINEL_NAME_PREFIX } from "../src/lifecycle/sentinel.ts";
import type { ControllerProvider } from "../src/types.ts";
import { controllerTestConfig } from "./support/config.ts";
import { emulatorHost } from "./support/host.ts";

// Every test gets its own controller and table: a restore leaves both in a state of its own.
let emu: ControllerEmulator;
let stack: TestStack;
let provider: ControllerProvider;
let deps: RestoreDeps;
let networkId: string;

beforeEach(async () => {
  emu = await freshEmulator({ token: "restore-token" });
  stack = await testStack({ secrets: { controller_token: emu.token } });
  const config = controllerTestConfig(emu);
  provider = createControllerProvider(config.controller, fileSecretStore(stack.secretsPath));
  deps = {
    config,
    data: stack.data,
    provider,
    s3: stack.s3,
    bucket: stack.names.bucketName,
    stage: "test",
    // The configured restart command ("true") restarts the emulator, as systemctl would.
    host: emulatorHost(emu, config.controller.restart_command),
  };
  expect((await runPreflight(deps)).ok).toBe(true);
  networkId = `${emu.address}000001`;
});
afterEach(async () => {
  await provider.close();
  await emu.stop();
});

/** A host whose restart command succeeds but restarts nothing: the controller keeps its memory. */
const noRestart = (): ControllerHost => localControllerHost(emu.homeDir);

/** A provider whose `method` waits, once reached, until released: a preflight frozen mid-run. */
function paused(method: "getNetwork") {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const arrived = new Promise<void>((r) => {
    reached = r;
  });
  const wrapped: ControllerProvider = {
    ...provider,
    [method]: async (id: string) => {
      reached();
      await gate;
      return provider[method](id);
    },
  };
  return { provider: wrapped, arrived, release };
}

describe("restore-validate proves the controller restarted", () => {
  it("fails with controller_not_restarted when the restart command did not restart the controller", async () => {
    const backup = await createBackup(deps);
    const report = await restoreBackup({ ...deps, host: noRestart() }, backup.key);

    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({
      code: "controller_not_restarted",
      remediation: expect.stringContaining("restart zerotier-one"),
    });
    expect(report.restart?.proven).toBe(false);
    const gate = await readGate(stack.data);
    expect(gate).toMatchObject({ gateOpen: false, reasonCode: "controller_not_restarted" });
    // The sentinel the restore wrote is still served, and grants nothing.
    const sentinel = gate!.restoreSentinel!;
    expect(sentinel.networkId).toBe(networkId);
    expect(sentinel.name.startsWith(SENTINEL_NAME_PREFIX)).toBe(true);
    expect(await provider.getMember(sentinel.networkId, sentinel.memberId)).toMatchObject({
      authorized: false,
      ipAssignments: [],
      name: sentinel.name,
    });
    expect((await auditTrail(stack.data, "controller")).at(-1)).toMatchObject({
      action: "controller.restore_failed",
      metadata: { error: "controller_not_restarted" },
    });
  });

  it("passes once zerotier-one is restarted, with the sentinel gone and the gate reopened", async () => {
    const backup = await createBackup(deps);
    await restoreBackup({ ...deps, host: noRestart() }, backup.key);
    const sentinel = (await readGate(stack.data))!.restoreSentinel!;

    await emu.restart(); // what the operator does when told controller_not_restarted
    const report = await restoreValidate(deps);

    expect(report).toMatchObject({ ok: true, reopened: true, restart: { proven: true, sentinel } });
    expect(await provider.getMember(sentinel.networkId, sentinel.memberId)).toBeNull();
    const gate = await readGate(stack.data);
    expect(gate).toMatchObject({ gateOpen: true });
    expect(gate?.restoreSentinel).toBeUndefined();
    expect(gate?.restoreKey).toBeUndefined();
  });

  it("passes in one go when the restart command restarts the controller", async () => {
    const backup = await createBackup(deps);
    const steps: RestoreStep[] = [];
    let sentinelName = "";
    const report = await restoreBackup(
      {
        ...deps,
        onStep: async (step) => {
          steps.push(step);
          if (step === "sentinel_written") sentinelName = (await readGate(stack.data))!.restoreSentinel!.name;
        },
      },
      backup.key,
    );
    expect(steps).toEqual(["gate_closed", "sentinel_written", "archive_pushed", "controller_restarted"]);
    expect(report).toMatchObject({ ok: true, reopened: true, restart: { proven: true } });
    expect(report.restart?.sentinel?.name).toBe(sentinelName);
    expect(await provider.getMember(networkId, report.restart!.sentinel!.memberId)).toBeNull();
    expect(await readGate(stack.data)).toMatchObject({ gateOpen: true });
  });

  it("writes the sentinel on a controller that lost its IX network, and still proves the restart", async () => {
    const backup = await createBackup(deps);
    // The network is gone from the running controller (its database lost), not from the backup.
    await fetch(`${emu.url}/controller/network/${networkId}`, {
      method: "DELETE",
      headers: { "X-ZT1-Auth": emu.token },
    });
    expect(await provider.getNetwork(networkId)).toBeNull();
    const report = await restoreBackup(deps, backup.key);
    expect(report).toMatchObject({ ok: true, restart: { proven: true } });
    expect(report.networks).toEqual([expect.objectContaining({ networkId, action: "unchanged" })]);
  });

  it("keeps a gate a failed push closed, and does not mistake a restart for proof when the files still hold the sentinel", async () => {
    const backup = await createBackup(deps);
    const brokenPush: ControllerHost = {
      ...deps.host,
      writeArchive: () => Promise.reject(new Error("No space left on device")),
    };
    await expect(restoreBackup({ ...deps, host: brokenPush }, backup.key)).rejects.toThrow(/No space left/);
    expect(await readGate(stack.data)).toMatchObject({ gateOpen: false, reasonCode: "restore_failed" });

    // Nothing was pushed, so the sentinel is on disk too: a restart does not remove it.
    await emu.restart();
    const report = await restoreValidate(deps);
    expect(report.error?.code).toBe("controller_not_restarted");
    expect(await readGate(stack.data)).toMatchObject({
      gateOpen: false,
      reasonCode: "controller_not_restarted",
    });
  });

  it("deletes the sentinel an unfinished restore left before writing its own", async () => {
    const backup = await createBackup(deps);
    const brokenPush: ControllerHost = {
      ...deps.host,
      writeArchive: () => Promise.reject(new Error("No space left on device")),
    };
    await expect(restoreBackup({ ...deps, host: brokenPush }, backup.key)).rejects.toThrow();
    const first = (await readGate(stack.data))!.restoreSentinel!;
    await expect(restoreBackup({ ...deps, host: brokenPush }, backup.key)).rejects.toThrow();
    const second = (await readGate(stack.data))!.restoreSentinel!;

    expect(second.memberId).not.toBe(first.memberId);
    expect(await provider.getMember(first.networkId, first.memberId)).toBeNull();
    expect(await provider.getMember(second.networkId, second.memberId)).toMatchObject({ name: second.name });
  });
});

describe("a preflight during a restore", () => {
  it("started before the restore closed the gate, cannot reopen it when it finishes mid-restore", async () => {
    const backup = await createBackup(deps);
    const frozen = paused("getNetwork");
    // A worker's preflight: it read the gate (open) and checked /status, then stalls.
    const racing = runPreflight({ ...deps, provider: frozen.provider });
    await frozen.arrived;

    let raced: PreflightReport | undefined;
    let gateMeanwhile: Awaited<ReturnType<typeof readGate>> = null;
    const report = await restoreBackup(
      {
        ...deps,
        onStep: async (step) => {
          if (step !== "archive_pushed") return;
          // Files replaced, controller not restarted yet: the worst moment to reopen.
          frozen.release();
          raced = await racing;
          gateMeanwhile = await readGate(stack.data);
        },
      },
      backup.key,
    );

    expect(raced).toMatchObject({ ok: false, reopened: false, error: { code: "restore_in_progress" } });
    expect(gateMeanwhile).toMatchObject({ gateOpen: false, reasonCode: "restore_in_progress" });
    expect(report).toMatchObject({ ok: true, reopened: true });
    expect(await readGate(stack.data)).toMatchObject({ gateOpen: true });
  });

  it("run while the archive is pushed but the controller not restarted, leaves the gate closed and the controller alone", async () => {
    const backup = await createBackup(deps);
    const seen: Record<string, unknown> = {};
    const report = await restoreBackup(
      {
        ...deps,
        onStep: async (step) => {
          if (step !== "archive_pushed") return;
          const before = emu.requests.length;
          // `npm run controller -- preflight`, a worker's gate check (its last check long ago),
          // and a worker that met a 401 meanwhile.
          seen.preflight = await runPreflight(deps);
          seen.check = await checkGate({ ...deps, now: () => new Date(Date.now() + 3600_000) });
          seen.close = await closeGate(
            deps,
            new ControllerError("controller_unauthorized", "POST member: HTTP 401"),
          );
          seen.requests = emu.requests.length - before;
          seen.gate = await readGate(stack.data);
        },
      },
      backup.key,
    );

    expect(seen.preflight).toMatchObject({
      ok: false,
      error: { code: "restore_in_progress", remediation: expect.stringContaining("restore-validate") },
    });
    expect(seen.check).toMatchObject({ open: false, code: "restore_in_progress" });
    expect(seen.close).toMatchObject({ applied: false, refused: "restore_hold" });
    expect(seen.requests).toBe(0);
    expect(seen.gate).toMatchObject({ gateOpen: false, reasonCode: "restore_in_progress" });
    expect(report.ok).toBe(true);
  });

  it("after a failed validation, does not reopen the gate either; an operator's override does", async () => {
    const backup = await createBackup(deps);
    await restoreBackup({ ...deps, host: noRestart() }, backup.key);
    const sentinel = (await readGate(stack.data))!.restoreSentinel!;

    expect(await runPreflight(deps)).toMatchObject({
      ok: false,
      error: { code: "controller_not_restarted" },
    });
    expect(await checkGate({ ...deps, now: () => new Date(Date.now() + 3600_000) })).toMatchObject({
      open: false,
      code: "controller_not_restarted",
    });

    const overridden = await runPreflight({
      ...deps,
      overrideRestore: true,
      actor: { actorType: "admin", actorId: "ops" },
    });
    expect(overridden).toMatchObject({ ok: true, reopened: true });
    // The sentinel never outlives the hold: the override deleted it from the controller.
    expect(await provider.getMember(sentinel.networkId, sentinel.memberId)).toBeNull();
    expect((await readGate(stack.data))?.restoreSentinel).toBeUndefined();
    expect((await auditTrail(stack.data, "controller")).map((e) => [e.action, e.actorId])).toContainEqual([
      "controller.restore_overridden",
      "ops",
    ]);
  });
});
