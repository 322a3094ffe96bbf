import { randomBytes } from "node:crypto";
import type { NetworkConfig } from "@ztix/core";
import { ControllerError, isControllerError } from "../errors.ts";
import { desiredNetworkSettings, networkIdFor } from "../network-settings.ts";
import type { ControllerProvider } from "../types.ts";
import type { RestoreSentinel } from "./gate.ts";

/** Every sentinel's name starts with this, so one left behind is recognisable on sight. */
export const SENTINEL_NAME_PREFIX = "ztix-restore-sentinel-";

/**
 * Writes the restore sentinel: a member no backup can hold, because its id comes from a random
 * value drawn now. zerotier-one serves its database from memory and reads controller.d/ only
 * at start, so once the archive replaced the files, the sentinel survives exactly as long as
 * the controller has not restarted. It is unauthorized and has no addresses: should it ever
 * be left behind, it grants nothing.
 *
 * It goes on the first IX network, created first if the controller lacks it (a controller
 * that lost its database): a member write needs its network, and the archive replaces that
 * network file too, so a restarted controller has neither the sentinel nor this stand-in.
 */
export async function writeSentinel(
  provider: ControllerProvider,
  network: NetworkConfig,
  now: Date,
): Promise<RestoreSentinel> {
  const { address } = await provider.status();
  const networkId = networkIdFor(address, network.suffix);
  if (!(await provider.getNetwork(networkId))) {
    await provider.upsertNetwork(networkId, desiredNetworkSettings(network));
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const random = randomBytes(8).toString("hex");
    const memberId = random.slice(0, 10);
    // A real member under that id (one chance in 2^40) must not be overwritten: draw again.
    if (await provider.getMember(networkId, memberId)) continue;
    const name = `${SENTINEL_NAME_PREFIX}${random}`;
    await provider.upsertMember(networkId, memberId, { authorized: false, ipAssignments: [], name });
    return { networkId, memberId, name, writtenAt: now.toISOString() };
  }
  throw new ControllerError(
    "restore_failed",
    `no free member id for the restore sentinel on ${networkId} after 5 draws`,
  );
}

/**
 * Whether the controller still serves the sentinel: only a member with the sentinel's id AND
 * name counts (a 404 — member or network gone — means it is not there).
 */
export async function sentinelPresent(
  provider: ControllerProvider,
  sentinel: RestoreSentinel,
): Promise<boolean> {
  const member = await provider.getMember(sentinel.networkId, sentinel.memberId);
  return member?.name === sentinel.name;
}

/**
 * Deletes a sentinel left on the controller (a restore that did not finish), if it is still
 * there under its own name — authorized by mistake or not, it is never a real member — so a
 * real member that somehow took the id is never touched. Returns whether it deleted one.
 */
export async function removeSentinel(
  provider: ControllerProvider,
  sentinel: RestoreSentinel,
): Promise<boolean> {
  const member = await provider.getMember(sentinel.networkId, sentinel.memberId);
  if (!member || member.name !== sentinel.name) return false;
  try {
    return await provider.deleteMember(sentinel.networkId, sentinel.memberId);
  } catch (e) {
    // Gone with its network between the two calls: nothing left to delete.
    if (isControllerError(e) && e.code === "controller_network_not_found") return false;
    throw e;
  }
}
