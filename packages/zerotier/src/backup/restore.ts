import { AppError } from "@ztix/core";
import { writeAudit } from "@ztix/data";
import { setGate } from "../lifecycle/gate.ts";
import { type LifecycleDeps, type PreflightReport, runPreflight } from "../lifecycle/preflight.ts";
import { type BackupDeps, fetchVerifiedBackup } from "./backup.ts";

export type RestoreDeps = BackupDeps & LifecycleDeps & { readyTimeoutMs?: number };

/**
 * Restores a backup: verify the checksum, close the gate (provisioning waits), push the
 * archive, restart the controller, then restore-validate (preflight + reconciliation).
 * The gate reopens only if validation passes; otherwise it stays closed with the reason.
 */
export async function restoreBackup(deps: RestoreDeps, key: string): Promise<PreflightReport> {
  const progress = deps.onProgress ?? (() => undefined);
  const actor = deps.actor ?? { actorType: "admin" as const };
  progress(`downloading and verifying ${key}`);
  const archive = await fetchVerifiedBackup(deps, key);
  progress(`checksum ok (${archive.length} bytes); closing the gate`);
  await setGate(
    deps.data,
    { open: false, reasonCode: "restore_in_progress", reasonMessage: `restoring ${key}` },
    actor,
    {
      log: deps.log,
    },
  );
  await writeAudit(deps.data, {
    subject: "controller",
    action: "controller.restore_started",
    actorType: actor.actorType,
    actorId: actor.actorId,
    message: `restoring ${key}`,
    metadata: { key },
  });
  try {
    progress(`pushing the archive to ${deps.host.homeDir}`);
    await deps.host.writeArchive(archive);
    progress(`restarting the controller: ${deps.config.controller.restart_command}`);
    const restart = await deps.host.exec(deps.config.controller.restart_command);
    if (restart.code !== 0) {
      throw new AppError(
        "restore_failed",
        `restart command exited ${restart.code}: ${restart.stderr.trim()}`,
      );
    }
    progress("waiting for the controller to come back");
    await waitForController(deps, deps.readyTimeoutMs ?? 60_000);
  } catch (e) {
    const message = (e as Error).message;
    await setGate(deps.data, { open: false, reasonCode: "restore_failed", reasonMessage: message }, actor, {
      log: deps.log,
    });
    await writeAudit(deps.data, {
      subject: "controller",
      action: "controller.restore_failed",
      actorType: actor.actorType,
      actorId: actor.actorId,
      message,
      metadata: { key },
    });
    throw e;
  }
  progress("restore-validate: preflight and reconciliation");
  const report = await restoreValidate(deps);
  await writeAudit(deps.data, {
    subject: "controller",
    action: report.ok ? "controller.restore_completed" : "controller.restore_failed",
    actorType: actor.actorType,
    actorId: actor.actorId,
    message: report.ok ? `restored ${key}` : `restored ${key} but validation failed: ${report.error?.code}`,
    metadata: { key, error: report.error?.code },
  });
  return report;
}

/** Preflight + reconciliation after a restore; opens the gate only when it passes. */
export function restoreValidate(deps: LifecycleDeps): Promise<PreflightReport> {
  return runPreflight(deps);
}

async function waitForController(deps: LifecycleDeps, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const info = await deps.provider.controllerInfo();
      if (info.databaseReady) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new AppError(
    "restore_failed",
    `the controller did not become ready in ${timeoutMs} ms: ${(last as Error)?.message ?? "not ready"}`,
  );
}
