import { isAppError } from "@ztix/core";
import { writeAudit } from "@ztix/data";
import { ControllerError, isControllerError } from "../errors.ts";
import { type RestoreSentinel, readGate, setGate } from "../lifecycle/gate.ts";
import { type LifecycleDeps, type PreflightReport, preflight } from "../lifecycle/preflight.ts";
import { removeSentinel, sentinelPresent, writeSentinel } from "../lifecycle/sentinel.ts";
import { type BackupDeps, fetchVerifiedBackup } from "./backup.ts";
import { checkRestoredMembers, type MemberCheckReport } from "./member-check.ts";

/** The points of a restore a caller (a test, a progress display) can wait at. */
export type RestoreStep = "gate_closed" | "sentinel_written" | "archive_pushed" | "controller_restarted";

export type RestoreDeps = BackupDeps &
  LifecycleDeps & {
    readyTimeoutMs?: number;
    /** Awaited after each step, before the next one starts. */
    onStep?: (step: RestoreStep) => void | Promise<void>;
  };

/** Preflight's report plus how the controller's members compare with DynamoDB's active ones. */
export type RestoreReport = PreflightReport & {
  /**
   * Whether the controller was proven to have restarted since the archive was pushed: its
   * restore sentinel is gone. Not proven when no sentinel is on record (a restore done by
   * hand, or a rerun after the gate reopened): then nothing here can tell.
   */
  restart?: { proven: boolean; sentinel?: RestoreSentinel };
  members?: MemberCheckReport & { error?: { code: string; message: string } };
};

/**
 * Restores a backup: verify the checksum, close the gate (provisioning waits), write the
 * restore sentinel, push the archive, restart the controller, then restore-validate (sentinel
 * gone, preflight, reconciliation). The gate reopens only if validation passes; otherwise it
 * stays closed with the reason, and no preflight reopens it (`restoreHoldCodes`).
 */
export async function restoreBackup(deps: RestoreDeps, key: string): Promise<RestoreReport> {
  const progress = deps.onProgress ?? (() => undefined);
  const now = deps.now ?? (() => new Date());
  const actor = deps.actor ?? { actorType: "admin" as const };
  const step = async (name: RestoreStep) => deps.onStep?.(name);
  progress(`downloading and verifying ${key}`);
  const archive = await fetchVerifiedBackup(deps, key);
  progress(`checksum ok (${archive.length} bytes); closing the gate`);
  const hold = {
    open: false,
    reasonCode: "restore_in_progress",
    reasonMessage: `restoring ${key}`,
    restoreKey: key,
  };
  const before = await readGate(deps.data);
  await setGate(deps.data, hold, actor, { log: deps.log, restore: true });
  await writeAudit(deps.data, {
    subject: "controller",
    action: "controller.restore_started",
    actorType: actor.actorType,
    actorId: actor.actorId,
    message: `restoring ${key}`,
    metadata: { key },
  });
  await step("gate_closed");
  try {
    const network = deps.config.networks[0];
    if (!network)
      throw new ControllerError("restore_failed", "no IX network is configured to hold the restore sentinel");
    // Before the push, never after: the archive must not be able to contain it.
    let sentinel: RestoreSentinel;
    try {
      // One an earlier, unfinished restore left is found now: it goes before it drops off the record.
      if (before?.restoreSentinel && (await removeSentinel(deps.provider, before.restoreSentinel)))
        progress(`deleted the restore sentinel ${before.restoreSentinel.memberId} an earlier restore left`);
      sentinel = await writeSentinel(deps.provider, network, now());
    } catch (e) {
      if (isControllerError(e) && e.code === "restore_failed") throw e;
      throw new ControllerError(
        "restore_failed",
        `could not write the restore sentinel, so nothing was pushed (the controller must answer before a restore): ${(e as Error).message}`,
        { cause: isControllerError(e) ? e.code : undefined },
      );
    }
    await setGate(deps.data, { ...hold, restoreSentinel: sentinel }, actor, { log: deps.log, restore: true });
    progress(`restore sentinel ${sentinel.memberId} written on ${sentinel.networkId}`);
    await step("sentinel_written");
    progress(`pushing the archive to ${deps.host.homeDir}`);
    await deps.host.writeArchive(archive);
    await step("archive_pushed");
    progress(`restarting the controller: ${deps.config.controller.restart_command}`);
    const restart = await deps.host.exec(deps.config.controller.restart_command);
    if (restart.code !== 0) {
      throw new ControllerError(
        "restore_failed",
        `restart command exited ${restart.code}: ${restart.stderr.trim()}`,
      );
    }
    progress("waiting for the controller to come back");
    await waitForController(deps, deps.readyTimeoutMs ?? 60_000);
    await step("controller_restarted");
  } catch (e) {
    const message = (e as Error).message;
    // The sentinel (if written) stays recorded: only a restart removes it from a controller
    // whose files were replaced, so restore-validate can still tell whether one happened.
    await setGate(deps.data, { open: false, reasonCode: "restore_failed", reasonMessage: message }, actor, {
      log: deps.log,
      restore: true,
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
  progress("restore-validate: restart proof, preflight and reconciliation");
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
 * Validates a restore and, only when it passes, reopens the gate (the one writer besides an
 * operator's override that may). First the proof that the controller restarted since the
 * archive was pushed: zerotier-one serves its database from memory, so without a restart
 * every check below would pass against the state from before the restore. The restore
 * sentinel (written before the push, absent from the archive) must be gone; if it is still
 * served, validation fails with `controller_not_restarted` and the gate stays closed. (No
 * `/status` field tells a restart: the real 1.14.1 reports no uptime or start time.) Then
 * preflight + reconciliation, then the controller's members are compared with DynamoDB's
 * active requests (a backup older than the last approvals lacks those members).
 *
 * Member drift only WARNS — reported, audited (`controller.restore_member_drift`), logged —
 * and leaves the gate open, because: the gate says whether the controller is safe to write
 * to, and it is; drift is per member and listed by request id; a closed gate would hold every
 * other IX member's provisioning hostage.
 */
export async function restoreValidate(deps: LifecycleDeps): Promise<RestoreReport> {
  const progress = deps.onProgress ?? (() => undefined);
  const start = await readGate(deps.data);
  const sentinel = start?.restoreSentinel;
  if (sentinel) {
    progress(
      `checking that the controller restarted: restore sentinel ${sentinel.memberId} on ${sentinel.networkId} must be gone`,
    );
    const failed = (err: ControllerError, reasonCode: string, reasonMessage: string) =>
      closeForRestore(
        deps,
        { code: err.code, message: err.message, remediation: err.remediation },
        reasonCode,
        reasonMessage,
        sentinel,
      );
    let present: boolean;
    try {
      present = await sentinelPresent(deps.provider, sentinel);
    } catch (e) {
      const err = isControllerError(e)
        ? e
        : new ControllerError(
            "restore_failed",
            `checking the restore sentinel failed: ${(e as Error).message}`,
          );
      return failed(err, "restore_failed", `restore-validate failed: ${err.code}: ${err.message}`);
    }
    if (present) {
      const err = new ControllerError(
        "controller_not_restarted",
        `the restore sentinel ${sentinel.name} (member ${sentinel.memberId} of ${sentinel.networkId}) is still on the controller: it has not restarted since the archive was pushed, and serves the state from before the restore`,
        { sentinel },
      );
      return failed(err, err.code, err.message);
    }
    progress("restore sentinel gone: the controller restarted and loaded the restored files");
  } else {
    progress(
      "no restore sentinel on record: cannot prove the controller restarted (restart zerotier-one yourself after a restore by hand)",
    );
  }
  const report: RestoreReport = await preflight(deps, { kind: "restore_validate", start });
  report.restart = { proven: Boolean(sentinel), sentinel };
  if (!report.ok || !report.controllerAddress) return report;
  progress("comparing the controller's members with DynamoDB's active requests");
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
    progress(`member check failed: ${error.code}: ${error.message}; rerun restore-validate`);
    report.members = { checked: 0, drift: [], error };
    return report;
  }
  const { checked, drift } = report.members;
  progress(`members: ${checked} checked, ${drift.length} differ`);
  for (const d of drift) progress(`member ${d.nodeId} (request ${d.requestId}): ${d.code}`);
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

/** restore-validate failed before preflight: the gate stays (or becomes) closed for a restore reason. */
async function closeForRestore(
  deps: LifecycleDeps,
  error: NonNullable<RestoreReport["error"]>,
  reasonCode: string,
  reasonMessage: string,
  sentinel: RestoreSentinel,
): Promise<RestoreReport> {
  await setGate(deps.data, { open: false, reasonCode, reasonMessage }, deps.actor ?? { actorType: "admin" }, {
    now: deps.now?.(),
    log: deps.log,
    restore: true,
  });
  deps.onProgress?.(`gate closed: ${reasonCode}: ${error.message}`);
  return {
    ok: false,
    networks: [],
    deactivated: [],
    reopened: false,
    restart: { proven: false, sentinel },
    error,
  };
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
  throw new ControllerError(
    "restore_failed",
    `the controller did not become ready in ${timeoutMs} ms: ${(last as Error)?.message ?? "not ready"}`,
  );
}
