import { intToIpv4, ipv4ToInt, type NetworkConfig } from "@ztix/core";
import {
  type AddressPoolFreeItem,
  type AddressPoolItem,
  type DataService,
  isConditionFailure,
} from "@ztix/data";
import { type Ipv4Pool, ipv4Pool, ipv4Rank } from "./plan.ts";
import { transact } from "./transact.ts";

/**
 * How many of the lowest free addresses one read returns. Jobs that lost a race pick among
 * them at random, so a burst of allocations stops colliding on the same entry.
 */
export const FREE_WINDOW = 16;

/** DynamoDB's limits: 100 keys per BatchGetItem, 100 items per transaction. */
const BATCH_GET = 100;
const ORPHANS_PER_TRANSACTION = 49;

/** A network's IPv4 pool state and its lowest free addresses, as read by one Query. */
export interface PoolView {
  state: AddressPoolItem | null;
  free: AddressPoolFreeItem[];
}

const poolKey = (networkId: string) => ({ networkId, family: "ipv4" as const });

/** One consistent Query of the pool's partition: the state item, then the lowest free entries. */
export async function readPool(data: DataService, networkId: string): Promise<PoolView> {
  const out = await data.collections
    .addressPool(poolKey(networkId))
    .go({ consistent: true, limit: FREE_WINDOW + 1 });
  return { state: out.data.addressPool[0] ?? null, free: out.data.addressPoolFree };
}

/**
 * Creates the pool state of a network that has none: a new network, or one whose addresses
 * were given out before the pool state existed. It counts the allocations already there and
 * starts `next` above the highest, once per network in its lifetime. The count is exact
 * because every allocation and release writes the state item with a condition that it
 * exists, so none can commit between this read and the create; a concurrent opener's
 * create wins and this one re-reads. Holes below the highest old allocation are not on the
 * free list: `completeUnder` is left unset, so the first time the pool looks full they are
 * found and listed (see `reclaimOrphans`).
 */
export async function openPool(data: DataService, networkId: string, now: Date): Promise<PoolView> {
  const held = await data.entities.addressAllocation.query
    .byNetwork({ networkId, family: "ipv4" })
    .go({ pages: "all", consistent: true });
  const highest = held.data.reduce((max, a) => Math.max(max, ipv4ToInt(a.ip)), -1);
  const state: AddressPoolItem = {
    ...poolKey(networkId),
    next: highest + 1,
    allocated: held.data.length,
    epoch: 0,
    updatedAt: now.toISOString(),
  };
  try {
    await data.entities.addressPool.create(state).go();
    return { state, free: [] };
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    return readPool(data, networkId);
  }
}

/** What the next allocation should try, given a fresh view of the pool. */
export type PoolChoice =
  | { kind: "free"; entry: AddressPoolFreeItem }
  | { kind: "next"; n: number; skips: boolean; state: AddressPoolItem }
  | { kind: "exhausted"; state: AddressPoolItem };

/**
 * Decides from one view, doing the rare upkeep a view can call for first (then `null`:
 * read again): dropping free entries the current config rejects, and, when neither the free
 * list nor `next` has an address and the pool was not proven complete under this config,
 * one scan that lists the free addresses nothing points at.
 */
export async function choose(
  data: DataService,
  pool: Ipv4Pool,
  networkId: string,
  view: PoolView,
  options: { contended: boolean; now: Date },
): Promise<PoolChoice | null> {
  const state = view.state;
  if (!state) throw new Error("choose needs an open pool");
  const rejected = view.free.filter((e) => !pool.isCandidate(ipv4ToInt(e.ip)));
  if (rejected.length > 0) {
    await dropFree(data, networkId, rejected, options.now);
    return null;
  }
  if (view.free.length > 0) {
    const i = options.contended ? Math.floor(Math.random() * view.free.length) : 0;
    return { kind: "free", entry: view.free[i]! };
  }
  const n = pool.firstCandidateFrom(state.next);
  if (n !== null) {
    // Stepping over addresses leaves them below `next` unlisted: fine under this config
    // (they are excluded), but a later config may allow them, so completeness is revoked.
    const skips = n > Math.max(state.next, pool.start) || (state.next > 0 && state.next < pool.start);
    return { kind: "next", n, skips, state };
  }
  if (state.completeUnder === pool.fingerprint) return { kind: "exhausted", state };
  await reclaimOrphans(data, networkId, pool, state, options.now);
  return null;
}

/**
 * Removes free entries whose address the current pool excludes (reserved since, or outside
 * a shrunk range), so they are never handed out. The address stays free in fact, just
 * unlisted, so the pool is no longer known to be complete.
 */
async function dropFree(data: DataService, networkId: string, entries: AddressPoolFreeItem[], now: Date) {
  await transact(data, ({ addressPool, addressPoolFree }) => [
    ...entries.map((e) => addressPoolFree.delete({ ...poolKey(networkId), rank: e.rank }).commit()),
    addressPool
      .patch(poolKey(networkId))
      .add({ epoch: 1 })
      .remove(["completeUnder"])
      .set({ updatedAt: now.toISOString() })
      .commit(),
  ]);
}

/**
 * The bounded probe, run only when the free list is empty and `next` is past the pool's
 * end, and at most once per pool definition: reads every candidate below `next` (100 per
 * BatchGetItem), lists each one that nobody holds on the free list (each put conditioned on
 * the allocation still not existing, so no listed address is held), then records that the
 * pool is complete under this config, conditioned on `epoch` unchanged since the scan
 * began. Finds the holes of a config change (a reserved address released, a lowered
 * pool_start) and of data written before the pool state existed.
 */
async function reclaimOrphans(
  data: DataService,
  networkId: string,
  pool: Ipv4Pool,
  state: AddressPoolItem,
  now: Date,
): Promise<void> {
  const below = Math.min(Math.max(state.next, pool.start), pool.end + 1);
  const orphans: number[] = [];
  let batch: number[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const keys = batch.map((n) => ({ networkId, family: "ipv4" as const, ip: intToIpv4(n) }));
    const held = new Set<string>();
    let pending = keys;
    while (pending.length > 0) {
      const out = await data.entities.addressAllocation.get(pending).go({ consistent: true });
      for (const a of out.data) held.add(a.ip);
      pending = out.unprocessed as typeof keys;
    }
    for (const n of batch) if (!held.has(intToIpv4(n))) orphans.push(n);
    batch = [];
  };
  for (
    let n = pool.firstCandidateFrom(pool.start);
    n !== null && n < below;
    n = pool.firstCandidateFrom(n + 1)
  ) {
    batch.push(n);
    if (batch.length === BATCH_GET) await flush();
  }
  await flush();
  for (let i = 0; i < orphans.length; i += ORPHANS_PER_TRANSACTION) {
    const chunk = orphans.slice(i, i + ORPHANS_PER_TRANSACTION);
    // Cancelled: a concurrent scan listed one of these and a job took it since. Leave the
    // pool unproven; the next view that looks full scans again.
    const outcome = await transact(data, ({ addressAllocation, addressPoolFree }) =>
      chunk.flatMap((n) => [
        addressAllocation
          .check({ networkId, family: "ipv4", ip: intToIpv4(n) })
          .where((a, { notExists }) => notExists(a.ip))
          .commit(),
        addressPoolFree
          .put({ ...poolKey(networkId), rank: ipv4Rank(n), ip: intToIpv4(n), releasedAt: now.toISOString() })
          .commit(),
      ]),
    );
    if (!outcome.ok) return;
  }
  await transact(data, ({ addressPool }) => [
    addressPool
      .patch(poolKey(networkId))
      .set({ completeUnder: pool.fingerprint, updatedAt: now.toISOString() })
      .where((p, { eq }) => eq(p.epoch, state.epoch))
      .commit(),
  ]);
}

/** How full a network's IPv4 pool is. */
export interface PoolUsage {
  /** Whether an allocation for a new holder would get an address now. */
  hasRoom: boolean;
  /** IPv4 addresses held on the network (exact; includes any outside a since-shrunk pool). */
  allocated: number;
  /** Addresses the current config lets members have. */
  capacity: number;
}

/**
 * Answers what `allocateMemberAddresses` would find for a new holder, without taking
 * anything: one Query in the steady state. The first call on a network opens its pool (one
 * Query of its allocations and a create, once per network), and a full-looking pool not yet
 * proven full under the current config is scanned once (see `reclaimOrphans`), so the
 * answer is exact, never a guess. IPv6 needs no check: its addresses derive from the ASN or
 * from the IPv4 address, so IPv4 is what runs out.
 */
export async function poolUsage(
  data: DataService,
  network: NetworkConfig,
  networkId: string,
): Promise<PoolUsage> {
  const pool = ipv4Pool(network.ipv4);
  const now = new Date();
  for (let round = 0; round < 8; round++) {
    let view = await readPool(data, networkId);
    if (!view.state) view = await openPool(data, networkId, now);
    const choice = await choose(data, pool, networkId, view, { contended: false, now });
    if (!choice) continue;
    const allocated = view.state!.allocated;
    return { hasRoom: choice.kind !== "exhausted", allocated, capacity: pool.capacity };
  }
  throw new Error(`the address pool of ${networkId} kept changing while it was read`);
}

/** Whether a new member could get an address on the network now (see `poolUsage`). */
export async function poolHasRoom(
  data: DataService,
  network: NetworkConfig,
  networkId: string,
): Promise<boolean> {
  return (await poolUsage(data, network, networkId)).hasRoom;
}
