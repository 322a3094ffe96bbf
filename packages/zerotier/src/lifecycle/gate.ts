import type { Logger } from "@ztix/core";
import { type ControllerStateItem, type DataService, writeAudit } from "@ztix/data";

export interface GateChange {
  open: boolean;
  reasonCode?: string;
  reasonMessage?: string;
  controllerAddress?: string;
  controllerVersion?: string;
  lastPreflightAt?: string;
}

export interface GateActor {
  actorType: "admin" | "system";
  actorId?: string;
}

/** The controller gate as stored (null before the first preflight). */
export async function readGate(data: DataService): Promise<ControllerStateItem | null> {
  const out = await data.entities.controllerState.get({ singleton: "controller" }).go({ consistent: true });
  return out.data;
}

/**
 * Records the gate state. Opening and closing (and a change of the reason while closed)
 * are audited under subject `controller`; refreshing an open gate is not.
 */
export async function setGate(
  data: DataService,
  change: GateChange,
  actor: GateActor = { actorType: "system" },
  options: { now?: Date; log?: Logger } = {},
): Promise<ControllerStateItem> {
  const now = options.now ?? new Date();
  const before = await readGate(data);
  const item: ControllerStateItem = {
    ...(before ?? {}),
    singleton: "controller",
    gateOpen: change.open,
    reasonCode: change.open ? undefined : change.reasonCode,
    reasonMessage: change.open ? undefined : change.reasonMessage,
    controllerAddress: change.controllerAddress ?? before?.controllerAddress,
    controllerVersion: change.controllerVersion ?? before?.controllerVersion,
    lastPreflightAt: change.lastPreflightAt ?? before?.lastPreflightAt,
    updatedAt: now.toISOString(),
  };
  await data.entities.controllerState.put(item).go();
  const changed =
    !before || before.gateOpen !== change.open || (!change.open && before.reasonCode !== change.reasonCode);
  if (changed) {
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
    options.log?.[change.open ? "info" : "warn"](
      change.open ? "controller gate opened" : "controller gate closed",
      {
        code: change.reasonCode,
        reason: change.reasonMessage,
      },
    );
  }
  return item;
}
