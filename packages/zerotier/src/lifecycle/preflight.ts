import type { Logger, NetworkConfig, RuntimeConfig } from "@ztix/core";
import { type ControllerStateItem, type DataService, type IxNetworkItem, writeAudit } from "@ztix/data";
import { compareNetwork } from "../compare.ts";
import {
  ControllerError,
  type ControllerErrorCode,
  controllerErrorCodes,
  isControllerError,
} from "../errors.ts";
import { desiredNetworkSettings, networkIdFor } from "../network-settings.ts";
import type { ControllerProvider } from "../types.ts";
import { type GateActor, gateVersion, heldByRestore, readGate, setGate } from "./gate.ts";
import { removeSentinel } from "./sentinel.ts";

export interface LifecycleDeps {
  config: RuntimeConfig;
  data: DataService;
  provider: ControllerProvider;
  log?: Logger;
  now?: () => Date;
  /** Progress lines for the ops script ("checking /status", "network abc123: created"). */
  onProgress?: (message: string) => void;
  actor?: GateActor;
  /** Accept a controller whose address differs from the one recorded (a deliberate re-key). */
  acceptNewIdentity?: boolean;
  /**
   * An operator's explicit override: let this preflight reopen a gate a restore holds, without
   * restore-validate's proof that the controller restarted (`preflight --override-restore`).
   * A sentinel the restore left is deleted first. Never set by a worker.
   */
  overrideRestore?: boolean;
}

export interface NetworkOutcome {
  suffix: string;
  networkId: string;
  action: "created" | "updated" | "unchanged";
  fields?: string[];
}

export interface PreflightReport {
  ok: boolean;
  controllerAddress?: string;
  version?: string;
  networks: NetworkOutcome[];
  deactivated: string[];
  /**
   * This preflight took the gate from closed to open: requests that were waiting on the
   * controller can be sent on now instead of at their next redelivery.
   */
  reopened: boolean;
  error?: { code: string; message: string; remediation?: string };
}

/** Who runs a preflight, which decides what it may do to a gate a restore holds. */
export interface PreflightMode {
  /** `preflight` leaves a held gate alone; the other two may reopen it. */
  kind: "preflight" | "override" | "restore_validate";
  /** The gate as read before restore-validate checked the sentinel: the open is conditional on it. */
  start?: ControllerStateItem | null;
}

/**
 * Checks the controller and reconciles it to config, then opens the gate; any failure
 * closes the gate with the failure's code (the remediation an admin acts on):
 * `/status` and `/controller` (databaseReady; both prove the token), every configured network
 * created or repaired, and the DynamoDB network list synced (stale ones deactivated).
 * A gate a restore holds is left alone (not even the controller is called) unless
 * `deps.overrideRestore`: only restore-validate reopens it.
 */
export function runPreflight(deps: LifecycleDeps): Promise<PreflightReport> {
  return preflight(deps, { kind: deps.overrideRestore ? "override" : "preflight" });
}

/** runPreflight for a given mode; restore-validate runs it as `restore_validate`. */
export async function preflight(deps: LifecycleDeps, mode: PreflightMode): Promise<PreflightReport> {
  const now = deps.now ?? (() => new Date());
  const progress = deps.onProgress ?? (() => undefined);
  const report: PreflightReport = { ok: false, networks: [], deactivated: [], reopened: false };
  const start = mode.start !== undefined ? mode.start : await readGate(deps.data);
  const held = heldByRestore(start);
  const restore = mode.kind !== "preflight";
  if (held && !restore) {
    // Not even a read of the controller: between the archive push and the restart, its
    // memory is not what its disk holds, and any write (a network repair) would make it worse.
    const code = start!.reasonCode as ControllerErrorCode;
    report.error = {
      code,
      message: `a restore holds the gate (${start!.reasonMessage ?? code}); preflight does not reopen it`,
      remediation: `${controllerErrorCodes[code]?.remediation ?? ""} (or, knowingly: \`npm run controller -- preflight --override-restore\`)`,
    };
    progress(`gate held by a restore: ${code}; nothing done (restore-validate reopens it)`);
    return report;
  }
  try {
    progress("checking /status");
    const status = await deps.provider.status();
    report.controllerAddress = status.address;
    report.version = status.version;
    const known = start?.controllerAddress;
    if (known && known !== status.address && !deps.acceptNewIdentity) {
      // Creating networks under a new address would silently strand every existing member.
      throw new ControllerError(
        "controller_identity_changed",
        `the controller is now ${status.address}, but the IX networks belong to ${known}`,
        { previous: known, current: status.address },
      );
    }
    progress(`controller ${status.address} (zerotier-one ${status.version})`);
    progress("checking /controller");
    const info = await deps.provider.controllerInfo();
    if (!info.controller || !info.databaseReady) {
      throw new ControllerError("controller_not_ready", "the controller database is not ready");
    }
    for (const network of deps.config.networks) {
      const outcome = await reconcileNetwork(deps.provider, status.address, network);
      report.networks.push(outcome);
      if (outcome.action !== "unchanged") await auditNetwork(deps, outcome);
      progress(
        `network ${outcome.networkId} (${network.name}): ${outcome.action}${outcome.fields ? ` [${outcome.fields.join(", ")}]` : ""}`,
      );
    }
    report.deactivated = await syncNetworkList(deps.data, status.address, deps.config.networks, now());
    for (const id of report.deactivated) {
      await auditNetwork(deps, { networkId: id, action: "deactivated" });
      progress(`network ${id}: deactivated (no longer configured)`);
    }
    // Opening clears the sentinel's record, so a sentinel still on the controller (an
    // override, a restore abandoned half-way) goes first: none is left behind unrecorded.
    if (start?.restoreSentinel && (await removeSentinel(deps.provider, start.restoreSentinel))) {
      progress(
        `deleted the restore sentinel ${start.restoreSentinel.memberId} left on ${start.restoreSentinel.networkId}`,
      );
    }
    const write = await setGate(
      deps.data,
      {
        open: true,
        controllerAddress: status.address,
        controllerVersion: status.version,
        lastPreflightAt: now().toISOString(),
      },
      deps.actor,
      { now: now(), log: deps.log, expectedVersion: gateVersion(start), restore },
    );
    if (write.refused) {
      const code = write.gate?.reasonCode ?? "controller_gate_closed";
      report.error = {
        code,
        message: `the gate was closed while this preflight ran (${code}: ${write.gate?.reasonMessage ?? ""}); left closed`,
        remediation: controllerErrorCodes[code as ControllerErrorCode]?.remediation,
      };
      progress(`gate left closed: ${code} was written while preflight ran`);
      return report;
    }
    report.ok = true;
    report.reopened = write.reopened;
    if (held && mode.kind === "override") await auditOverride(deps, start!);
    progress(write.reopened ? "gate reopened" : "gate open");
  } catch (e) {
    // Anything not from the controller (a DynamoDB throttle, a network blip to AWS) is
    // retried: a permanent code here would keep the gate shut until someone ran preflight.
    const err = isControllerError(e)
      ? e
      : new ControllerError("preflight_interrupted", `preflight failed: ${(e as Error).message}`);
    if (!isControllerError(e)) deps.log?.error("preflight failed unexpectedly", { err: e });
    report.error = { code: err.code, message: err.message, remediation: err.remediation };
    // A held gate keeps a restore code: were it replaced by this failure's (say a transient
    // one), the next job's gate check would retry a plain preflight and reopen it unproven.
    const reason = !held
      ? { reasonCode: err.code, reasonMessage: err.message }
      : mode.kind === "restore_validate"
        ? {
            reasonCode: "restore_failed",
            reasonMessage: `restore-validate failed: ${err.code}: ${err.message}`,
          }
        : undefined;
    if (reason) {
      await setGate(deps.data, { open: false, ...reason, lastPreflightAt: now().toISOString() }, deps.actor, {
        now: now(),
        log: deps.log,
        restore,
      });
    }
    progress(`gate closed: ${reason?.reasonCode ?? start?.reasonCode}: ${err.code}: ${err.message}`);
  }
  return report;
}

function auditOverride(deps: LifecycleDeps, held: ControllerStateItem) {
  return writeAudit(deps.data, {
    subject: "controller",
    action: "controller.restore_overridden",
    actorType: deps.actor?.actorType ?? "admin",
    actorId: deps.actor?.actorId,
    message: `gate reopened over ${held.reasonCode} without restore-validate (operator override)`,
    metadata: {
      code: held.reasonCode,
      restoreKey: held.restoreKey,
      sentinel: held.restoreSentinel?.memberId,
    },
  });
}

/** Network changes preflight makes (on the controller, or in DynamoDB's list) are audited. */
function auditNetwork(
  deps: LifecycleDeps,
  change: { networkId: string; action: NetworkOutcome["action"] | "deactivated"; fields?: string[] },
) {
  const verb = {
    created: "created",
    updated: "repaired",
    unchanged: "unchanged",
    deactivated: "deactivated",
  }[change.action];
  return writeAudit(deps.data, {
    subject: "controller",
    action: `controller.network_${verb}`,
    actorType: deps.actor?.actorType ?? "system",
    actorId: deps.actor?.actorId,
    message: `network ${change.networkId} ${verb}${change.fields ? ` (${change.fields.join(", ")})` : ""}`,
    metadata: { networkId: change.networkId, fields: change.fields },
  });
}

async function reconcileNetwork(
  provider: ControllerProvider,
  controllerAddress: string,
  network: NetworkConfig,
): Promise<NetworkOutcome> {
  const networkId = networkIdFor(controllerAddress, network.suffix);
  const wanted = desiredNetworkSettings(network);
  const current = await provider.getNetwork(networkId);
  if (!current) {
    await provider.upsertNetwork(networkId, wanted);
    return { suffix: network.suffix, networkId, action: "created" };
  }
  const fields = compareNetwork(current, wanted);
  if (fields.length === 0) return { suffix: network.suffix, networkId, action: "unchanged" };
  await provider.upsertNetwork(networkId, wanted);
  return { suffix: network.suffix, networkId, action: "updated", fields };
}

/** Makes DynamoDB's network list match config; returns the ids it deactivated. */
async function syncNetworkList(
  data: DataService,
  controllerAddress: string,
  networks: NetworkConfig[],
  now: Date,
): Promise<string[]> {
  const existing = (await data.entities.ixNetwork.query.all({}).go({ pages: "all" })).data;
  const byId = new Map<string, IxNetworkItem>(existing.map((n) => [n.networkId, n]));
  const required = new Set<string>();
  const at = now.toISOString();
  for (const network of networks) {
    const networkId = networkIdFor(controllerAddress, network.suffix);
    required.add(networkId);
    const before = byId.get(networkId);
    const item: IxNetworkItem = {
      networkId,
      suffix: network.suffix,
      name: network.name,
      description: network.description,
      active: true,
      ipv4Prefix: network.ipv4.prefix,
      ipv6Prefix: network.ipv6?.prefix,
      createdAt: before?.createdAt ?? at,
      updatedAt: at,
    };
    const same =
      before?.active === true &&
      before.name === item.name &&
      before.description === item.description &&
      before.ipv4Prefix === item.ipv4Prefix &&
      before.ipv6Prefix === item.ipv6Prefix;
    if (!same) await data.entities.ixNetwork.put(item).go();
  }
  const deactivated: string[] = [];
  for (const n of existing) {
    if (!required.has(n.networkId) && n.active) {
      await data.entities.ixNetwork
        .patch({ networkId: n.networkId })
        .set({ active: false, updatedAt: at })
        .go();
      deactivated.push(n.networkId);
    }
  }
  return deactivated;
}
