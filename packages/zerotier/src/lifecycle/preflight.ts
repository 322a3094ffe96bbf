import type { Logger, NetworkConfig, RuntimeConfig } from "@ztix/core";
import { type DataService, type IxNetworkItem, writeAudit } from "@ztix/data";
import { compareNetwork } from "../compare.ts";
import { ControllerError, isControllerError } from "../errors.ts";
import { desiredNetworkSettings, networkIdFor } from "../network-settings.ts";
import type { ControllerProvider } from "../types.ts";
import { type GateActor, readGate, setGate } from "./gate.ts";

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
  error?: { code: string; message: string; remediation?: string };
}

/**
 * Checks the controller and reconciles it to config, then opens the gate; any failure
 * closes the gate with the failure's code (the remediation an admin acts on):
 * `/status` and `/controller` (databaseReady; both prove the token), every configured network
 * created or repaired, and the DynamoDB network list synced (stale ones deactivated).
 */
export async function runPreflight(deps: LifecycleDeps): Promise<PreflightReport> {
  const now = deps.now ?? (() => new Date());
  const progress = deps.onProgress ?? (() => undefined);
  const report: PreflightReport = { ok: false, networks: [], deactivated: [] };
  try {
    progress("checking /status");
    const status = await deps.provider.status();
    report.controllerAddress = status.address;
    report.version = status.version;
    const known = (await readGate(deps.data))?.controllerAddress;
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
    report.ok = true;
    await setGate(
      deps.data,
      {
        open: true,
        controllerAddress: status.address,
        controllerVersion: status.version,
        lastPreflightAt: now().toISOString(),
      },
      deps.actor,
      { now: now(), log: deps.log },
    );
    progress("gate open");
  } catch (e) {
    // Anything not from the controller (a DynamoDB throttle, a network blip to AWS) is
    // retried: a permanent code here would keep the gate shut until someone ran preflight.
    const err = isControllerError(e)
      ? e
      : new ControllerError("preflight_interrupted", `preflight failed: ${(e as Error).message}`);
    if (!isControllerError(e)) deps.log?.error("preflight failed unexpectedly", { err: e });
    report.error = { code: err.code, message: err.message, remediation: err.remediation };
    await setGate(
      deps.data,
      { open: false, reasonCode: err.code, reasonMessage: err.message, lastPreflightAt: now().toISOString() },
      deps.actor,
      { now: now(), log: deps.log },
    );
    progress(`gate closed: ${err.code}: ${err.message}`);
  }
  return report;
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
