import { AppError, isAppError } from "@ztix/core";
import { writeAudit } from "@ztix/data";
import { setGate } from "../lifecycle/gate.ts";
import { type LifecycleDeps, type PreflightReport, runPreflight } from "../lifecycle/preflight.ts";
import { type BackupDeps, fetchVerifiedBackup } from "./backup.ts";
import { checkRestoredMembers, type MemberCheckReport } from "./member-check.ts";

export type RestoreDeps = BackupDeps & LifecycleDeps & { readyTimeoutMs?: number };

/** Preflight's report plus how the controller's members compare with DynamoDB's active ones. */
export type RestoreReport = PreflightReport & {
  members?: MemberCheckReport & { error?: { code: string; message: string } };
};

/**
 * Restores a backup: verify the checksum, close the gate (provisioning waits), push the
 * archive, restart the controller, then restore-validate (preflight + reconciliation).
 * The gate reopens only if validation passes; otherwise it stays closed with the reason.
 */
export async function restoreBackup(deps: RestoreDeps, key: string): Promise<RestoreReport> {
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
    message: report.ok
      ? `restored ${key}${report.members?.drift.length ? ` with ${report.members.drift.length} member(s) differing from DynamoDB` : ""}`
      : `restored ${key} but validation failed: ${report.error?.code}`,
    metadata: { key, error: report.error?.code, memberDrift: report.members?.drift.length },
  });
  return report;
}

/**
 * Preflight + reconciliation after a restore; opens the gate only when it passes. Then the
 * controller's members are compared with DynamoDB's active requests (a backup older than the
 * last approvals lacks those members). Member drift only WARNS — reported, audited
 * (`controller.restore_member_drift`), logged — and leaves the gate open, because:
 * the gate says whether the controller is safe to write to, and it is; drift is per member and
 * listed by request id; a closed gate would hold every other IX member's provisioning hostage;
 * and a gate closed for a non-transient code reopens on the next preflight anyway, which does
 * not look at members, so closing would only be a speed bump, not a guard.
 */
export async function restoreValidate(deps: LifecycleDeps): Promise<RestoreReport> {
  const report: RestoreReport = await runPreflight(deps);
  if (!report.ok || !report.controllerAddress) return report;
  deps.onProgress?.("comparing the controller's members with DynamoDB's active requests");
  try {
    report.members = await checkRestoredMembers({
      data: deps.data,
      provider: deps.provider,
      controllerAddress: report.controllerAddress,
      networkSuffixes: deps.config.networks.map((n) => n.suffix),
    });
  } catch (e) {
    const error = isAppError(e)
      ? { code: e.code, message: e.message }
      : { code: "restore_member_check_failed", message: (e as Error).message };
    deps.log?.error("restore-validate: member check failed", { err: e });
    deps.onProgress?.(`member check failed: ${error.code}: ${error.message}; rerun restore-validate`);
    report.members = { checked: 0, drift: [], error };
    return report;
  }
  const { checked, drift } = report.members;
  deps.onProgress?.(`members: ${checked} checked, ${drift.length} differ`);
  for (const d of drift) deps.onProgress?.(`member ${d.nodeId} (request ${d.requestId}): ${d.code}`);
  if (drift.length > 0) {
    deps.log?.warn("restore-validate: controller members differ from DynamoDB", {
      checked,
      drift: drift.map((d) => ({ code: d.code, requestId: d.requestId, nodeId: d.nodeId })),
    });
    await writeAudit(deps.data, {
      subject: "controller",
      action: "controller.restore_member_drift",
      actorType: deps.actor?.actorType ?? "admin",
      actorId: deps.actor?.actorId,
      message: `${drift.length} of ${checked} active member(s) differ from DynamoDB after the restore`,
      // Bounded: an audit item must stay well under DynamoDB's 400 KB item limit.
      metadata: {
        checked,
        count: drift.length,
        drift: drift.slice(0, 50).map((d) => ({ code: d.code, requestId: d.requestId, nodeId: d.nodeId })),
      },
    });
  }
  return report;
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
