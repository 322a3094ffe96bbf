import type { Logger } from "@ztix/core";
import { type ControllerStateItem, type DataService, isConditionFailure, writeAudit } from "@ztix/data";
import { ControllerError, isControllerError, isRequestRejection } from "../errors.ts";

/** The member a restore writes on the controller before pushing the archive (see restoreBackup). */
export interface RestoreSentinel {
  networkId: string;
  memberId: string;
  name: string;
  writtenAt: string;
}

export interface GateChange {
  open: boolean;
  reasonCode?: string;
  reasonMessage?: string;
  controllerAddress?: string;
  controllerVersion?: string;
  lastPreflightAt?: string;
  /** Restore bookkeeping, recorded with a closing write; any opening write clears both. */
  restoreKey?: string;
  restoreSentinel?: RestoreSentinel;
}

export interface GateActor {
  actorType: "admin" | "system";
  actorId?: string;
}

export interface GateWriteOptions {
  now?: Date;
  log?: Logger;
  /**
   * The gate version the caller's decision rests on (read before it checked the controller).
   * An opening write is applied only if the gate is still at that version, or has been
   * refreshed open by someone else meanwhile: a gate closed after the check began (a worker
   * that met a 401, a restore) stays closed.
   */
  expectedVersion?: number;
  /**
   * The restore itself, restore-validate, or an operator's explicit override: the only writers
   * that may change a gate a restore holds (`restoreHoldCodes`). Anyone else's write to a held
   * gate is refused, whether it opens it or closes it for another reason.
   */
  restore?: boolean;
}

export interface GateWriteResult {
  /** The gate as stored after the call (null when there is none, or the call did not need to read it). */
  gate: ControllerStateItem | null;
  applied: boolean;
  /** This write took the gate from closed to open. */
  reopened: boolean;
  /** Why the change was not applied; absent when it was, or when it was not needed. */
  refused?: "restore_hold" | "closed_meanwhile";
}

/** Plain data: what a gate write needs (the worker's deps fit it). */
export interface GateDeps {
  data: DataService;
  log?: Logger;
  now?: () => Date;
  actor?: GateActor;
}

/**
 * Reasons for which only restore-validate (or an operator's override) reopens the gate: the
 * controller's files were (being) replaced, and until a restart is proven the controller may
 * serve a state that is on no disk. A preflight would happily find that state healthy.
 */
export const restoreHoldCodes: ReadonlySet<string> = new Set([
  "restore_in_progress",
  "restore_failed",
  "controller_not_restarted",
]);

export function heldByRestore(state: ControllerStateItem | null | undefined): boolean {
  return !!state && !state.gateOpen && restoreHoldCodes.has(state.reasonCode ?? "");
}

/** Items written before the version existed read as version 0. */
export const gateVersion = (state: ControllerStateItem | null | undefined): number => state?.version ?? 0;

const WRITE_ATTEMPTS = 5;

/** The controller gate as stored (null before the first preflight). */
export async function readGate(data: DataService): Promise<ControllerStateItem | null> {
  const out = await data.entities.controllerState.get({ singleton: "controller" }).go({ consistent: true });
  return out.data;
}

/**
 * Records a gate change as a conditional write on the version it read: a write that lost a
 * race is re-read and re-decided (a few times, then `controller_gate_contended`, transient),
 * never written over what the other writer stored. The rules, decided on each fresh read:
 * a gate held by a restore changes only with `options.restore`; an opening write based on an
 * older version (`options.expectedVersion`) does not undo a close that happened meanwhile; an
 * open refresh older than the stored one is skipped. Opening and closing (and a change of the
 * reason while closed) are audited under subject `controller`; refreshing an open gate is not.
 */
export async function setGate(
  data: DataService,
  change: GateChange,
  actor: GateActor = { actorType: "system" },
  options: GateWriteOptions = {},
): Promise<GateWriteResult> {
  const now = options.now ?? new Date();
  for (let attempt = 1; ; attempt++) {
    const before = await readGate(data);
    if (heldByRestore(before) && !options.restore) {
      return { gate: before, applied: false, reopened: false, refused: "restore_hold" };
    }
    const version = gateVersion(before);
    if (change.open && options.expectedVersion !== undefined && version !== options.expectedVersion) {
      if (!before?.gateOpen)
        return { gate: before, applied: false, reopened: false, refused: "closed_meanwhile" };
      // Open then, open now: another preflight refreshed it. Only a newer check is worth writing.
      const newer = !before.lastPreflightAt || (change.lastPreflightAt ?? "") > before.lastPreflightAt;
      if (!newer) return { gate: before, applied: false, reopened: false };
    }
    const item: ControllerStateItem = {
      ...(before ?? {}),
      singleton: "controller",
      version: version + 1,
      gateOpen: change.open,
      reasonCode: change.open ? undefined : change.reasonCode,
      reasonMessage: change.open ? undefined : change.reasonMessage,
      controllerAddress: change.controllerAddress ?? before?.controllerAddress,
      controllerVersion: change.controllerVersion ?? before?.controllerVersion,
      lastPreflightAt: change.lastPreflightAt ?? before?.lastPreflightAt,
      // An open gate has no restore pending: whoever opens it has dealt with the sentinel.
      restoreKey: change.open ? undefined : (change.restoreKey ?? before?.restoreKey),
      restoreSentinel: change.open ? undefined : (change.restoreSentinel ?? before?.restoreSentinel),
      updatedAt: now.toISOString(),
    };
    try {
      await data.entities.controllerState
        .put(item)
        .where((attr, op) =>
          before?.version === undefined ? op.notExists(attr.version) : op.eq(attr.version, before.version),
        )
        .go();
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      if (attempt >= WRITE_ATTEMPTS) {
        throw new ControllerError(
          "controller_gate_contended",
          `the controller gate changed under ${WRITE_ATTEMPTS} writes in a row`,
          { change: { open: change.open, reasonCode: change.reasonCode } },
        );
      }
      // Someone else wrote between our read and our write: back off a little, then re-decide.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      continue;
    }
    await auditChange(data, before, item, change, actor, now, options.log);
    return { gate: item, applied: true, reopened: change.open && before?.gateOpen === false };
  }
}

async function auditChange(
  data: DataService,
  before: ControllerStateItem | null,
  item: ControllerStateItem,
  change: GateChange,
  actor: GateActor,
  now: Date,
  log: Logger | undefined,
) {
  const changed =
    !before || before.gateOpen !== change.open || (!change.open && before.reasonCode !== change.reasonCode);
  if (!changed) return;
  await writeAudit(data, {
    subject: "controller",
    action: change.open ? "controller.gate_opened" : "controller.gate_closed",
    actorType: actor.actorType,
    actorId: actor.actorId,
    message: change.open ? "controller gate opened" : `controller gate closed: ${change.reasonCode}`,
    metadata: change.open
      ? { controllerAddress: item.controllerAddress }
      : { code: change.reasonCode, message: change.reasonMessage },
    at: now,
  });
  log?.[change.open ? "info" : "warn"](change.open ? "controller gate opened" : "controller gate closed", {
    code: change.reasonCode,
    reason: change.reasonMessage,
  });
}

/**
 * What a worker calls when a provisioning step meets a controller error that is not the
 * request's own fault (`isRequestRejection` false): a token the controller no longer accepts,
 * a host key that changed, a missing network or secret, no answer. The gate closes with the
 * error's code, so every job waits instead of each one failing on the same problem; a
 * transient code reopens by itself (checkGate retries it), a permanent one needs an operator.
 * Anything else (a request rejection, an error not from the controller) leaves the gate alone,
 * and so does a gate a restore holds.
 */
export async function closeGate(deps: GateDeps, error: unknown): Promise<GateWriteResult> {
  if (!isControllerError(error) || isRequestRejection(error)) {
    return { gate: null, applied: false, reopened: false };
  }
  return setGate(
    deps.data,
    { open: false, reasonCode: error.code, reasonMessage: error.message },
    deps.actor ?? { actorType: "system", actorId: "worker" },
    { now: deps.now?.(), log: deps.log },
  );
}
