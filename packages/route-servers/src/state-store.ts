import { type DataService, isConditionFailure, type RouteServerStateItem } from "@ztix/data";

export type StatePatch = Partial<Omit<RouteServerStateItem, "routeServerId">>;

/** The recorded state of a route server, created (as `unknown`) the first time it is read. */
export async function loadState(
  data: DataService,
  routeServerId: string,
  at: string,
): Promise<RouteServerStateItem> {
  const found = (await data.entities.routeServerState.get({ routeServerId }).go({ consistent: true })).data;
  if (found?.condition !== undefined && found.revision !== undefined) return found;
  // Absent, or only stamped by `requestReconcile` so far: fill in the defaults once.
  await data.entities.routeServerState
    .update({ routeServerId })
    .set({ condition: found?.condition ?? "unknown", revision: found?.revision ?? 0, updatedAt: at })
    .go();
  return {
    ...found,
    routeServerId,
    condition: found?.condition ?? "unknown",
    revision: found?.revision ?? 0,
    updatedAt: at,
  };
}

/** Sets fields (and removes those given as undefined) on the route server's record. */
export async function patchState(
  data: DataService,
  routeServerId: string,
  set: StatePatch,
  remove: (keyof StatePatch)[] = [],
) {
  const op = data.entities.routeServerState.patch({ routeServerId }).set(set);
  await (remove.length > 0 ? op.remove(remove as never) : op).go();
}

/**
 * Takes the apply guard: succeeds when no apply holds it, the holder's window has passed, or
 * the holder is `takeOver` (the in-doubt apply this reconcile has come to settle).
 */
export async function takeApplyGuard(
  data: DataService,
  routeServerId: string,
  txn: string,
  until: number,
  nowMs: number,
  takeOver?: string,
): Promise<boolean> {
  try {
    await data.entities.routeServerState
      .patch({ routeServerId })
      .set({ applyTxn: txn, applyUntil: until })
      .where(({ applyTxn, applyUntil }, { notExists, lt, eq }) =>
        [notExists(applyTxn), lt(applyUntil, nowMs), ...(takeOver ? [eq(applyTxn, takeOver)] : [])].join(
          " OR ",
        ),
      )
      .go();
    return true;
  } catch (e) {
    if (isConditionFailure(e)) return false;
    throw e;
  }
}

/** Moves the guard's end (BIRD answered, or the apply ended in doubt), if we still hold it. */
export async function extendApplyGuard(data: DataService, routeServerId: string, txn: string, until: number) {
  await data.entities.routeServerState
    .patch({ routeServerId })
    .set({ applyUntil: until })
    .where(({ applyTxn }, { eq }) => eq(applyTxn, txn))
    .go()
    .catch((e: unknown) => {
      if (!isConditionFailure(e)) throw e;
    });
}
