import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { fileSecretStore } from "@ztix/aws";
import { auditTrail } from "@ztix/data";
import { type ControllerEmulator, freshEmulator } from "@ztix/zerotier-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestStack, testStack } from "../../../test/support/stack.ts";
import { type BackupDeps, checksumKey, createBackup, listBackups } from "../src/backup/backup.ts";
import { restoreBackup, restoreValidate } from "../src/backup/restore.ts";
import { createControllerProvider } from "../src/factory.ts";
import { localControllerHost } from "../src/host/local.ts";
import { readGate } from "../src/lifecycle/gate.ts";
import { runPreflight } from "../src/lifecycle/preflight.ts";
import type { ControllerProvider } from "../src/types.ts";
import { controllerTestConfig } from "./support/config.ts";

let emu: ControllerEmulator;
let stack: TestStack;
let provider: ControllerProvider;
let deps: BackupDeps;
let tick = Date.parse("2026-11-22T01:00:00Z");

beforeAll(async () => {
  emu = await freshEmulator({ token: "backup-token" });
  stack = await testStack({ secrets: { controller_token: emu.token } });
  const config = controllerTestConfig(emu);
  provider = createControllerProvider(config.controller, fileSecretStore(stack.secretsPath));
  deps = {
    config,
    data: stack.data,
    s3: stack.s3,
    bucket: stack.names.bucketName,
    stage: "test",
    host: localControllerHost(emu.homeDir),
    now: () => {
      tick += 60_000;
      return new Date(tick);
    },
  };
  await runPreflight({ config, data: stack.data, provider });
});
afterAll(async () => {
  await provider.close();
  await emu.stop();
});

describe("controller backups", () => {
  it("streams a tar.gz with a sha256 sidecar under controller-backups/<stage>/", async () => {
    const backup = await createBackup(deps);
    expect(backup.key).toMatch(/^controller-backups\/test\/2026-11-22T01-01-00-000Z\.tar\.gz$/);
    const sidecar = await stack.s3.send(
      new GetObjectCommand({ Bucket: deps.bucket, Key: checksumKey(backup.key) }),
    );
    expect((await sidecar.Body!.transformToString()).split(" ")[0]).toBe(backup.sha256);
    expect(backup.size).toBeGreaterThan(100);
    expect((await readGate(stack.data))?.lastBackupKey).toBe(backup.key);
    expect((await auditTrail(stack.data, "controller")).map((e) => e.action)).toContain(
      "controller.backup_created",
    );
  });

  it("keeps only the newest N backups", async () => {
    for (let i = 0; i < 4; i++) await createBackup(deps);
    const list = await listBackups(deps);
    expect(list).toHaveLength(3);
    expect(list.map((b) => b.key)).toEqual([
      "controller-backups/test/2026-11-22T01-05-00-000Z.tar.gz",
      "controller-backups/test/2026-11-22T01-04-00-000Z.tar.gz",
      "controller-backups/test/2026-11-22T01-03-00-000Z.tar.gz",
    ]);
  });

  it("refuses to restore an archive whose checksum does not match, leaving the gate alone", async () => {
    const [newest] = await listBackups(deps);
    await stack.s3.send(
      new PutObjectCommand({ Bucket: deps.bucket, Key: newest!.key, Body: "not the archive" }),
    );
    await expect(restoreBackup({ ...deps, provider }, newest!.key)).rejects.toMatchObject({
      code: "backup_checksum_mismatch",
    });
    expect((await readGate(stack.data))?.gateOpen).toBe(true);
  });

  it("keeps the gate closed when the restart command fails", async () => {
    const backup = await createBackup(deps);
    const failing = {
      ...deps,
      provider,
      config: { ...deps.config, controller: { ...deps.config.controller, restart_command: "exit 3" } },
    };
    await expect(restoreBackup(failing, backup.key)).rejects.toMatchObject({
      code: "restore_failed",
      transient: false,
    });
    expect(await readGate(stack.data)).toMatchObject({ gateOpen: false, reasonCode: "restore_failed" });
    // The files were replaced but the controller never restarted: no preflight may reopen it.
    const lifecycle = { config: deps.config, data: stack.data, provider };
    expect(await runPreflight(lifecycle)).toMatchObject({ ok: false, error: { code: "restore_failed" } });
    expect(await restoreValidate(lifecycle)).toMatchObject({
      ok: false,
      error: { code: "controller_not_restarted" },
    });
    await emu.restart(); // the operator restarts zerotier-one by hand
    expect(await restoreValidate(lifecycle)).toMatchObject({
      ok: true,
      reopened: true,
      restart: { proven: true },
    });
  });
});
