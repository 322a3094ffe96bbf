import { AppError, intToIpv4, type NetworkConfig } from "@ztix/core";
import type { AddressClaimItem, DataService } from "@ztix/data";
import { type AddressFamily, type Holder, keepClaim } from "./claims.ts";
import { type Ipv4Pool, ipv4Pool } from "./plan.ts";
import { choose, openPool, type PoolChoice, readPool } from "./pool.ts";
import {
  backoff,
  failedCondition,
  passed,
  type TransactEntities,
  type TransactItem,
  transact,
} from "./transact.ts";

/** A holder asking for an address, and the request that asks. */
export interface AllocationHolder extends Holder {
  requestId: string;
}

/** Rounds an allocation may lose to concurrent ones before it gives up (transiently). */
const MAX_ROUNDS = 64;

function exhausted(networkId: string, family: AddressFamily, details: Record<string, unknown> = {}) {
  return new AppError("address_pool_exhausted", `no free ${family} address left on network ${networkId}`, {
    networkId,
    family,
    ...details,
  });
}

function lostTooOften(networkId: string, family: AddressFamily): Error {
  // Free addresses remain but every attempt lost a race: transient, the job is retried.
  return new Error(`could not win a ${family} address on ${networkId} after ${MAX_ROUNDS} attempts`);
}

/**
 * Gives a holder one IPv4 address of the network's pool; the address it already holds, if
 * any. Cost does not grow with the number of members: in the steady state one GetItem (the
 * claim), one Query (pool state and lowest free addresses) and one TransactWrite.
 */
export async function allocateIpv4Address(
  data: DataService,
  plan: NetworkConfig["ipv4"],
  holder: AllocationHolder,
  now = new Date(),
): Promise<string> {
  const claim = await data.entities.addressClaim
    .get({ ...holderKey(holder), family: "ipv4" })
    .go({ consistent: true });
  if (claim.data) {
    const kept = await keepClaim(data, claim.data, holder.requestId);
    if (kept) return kept;
  }
  return takeIpv4(data, ipv4Pool(plan), holder, now);
}

const holderKey = (h: Holder) => ({ networkId: h.networkId, asn: h.asn, nodeId: h.nodeId });

/**
 * Takes a new IPv4 address for a holder that has none. Each round reads the pool once and
 * tries one address in one transaction that creates the allocation (conditional on no one
 * holding the address) and the claim (conditional on the holder having none), and either
 * deletes the free entry it took (conditional on it existing) or moves `next` past the
 * address (conditional on `next` unchanged), while counting the allocation. Whatever
 * the free list or `next` say, only the allocation's own condition decides who holds an
 * address, so a stale hint or a lost race costs a round, never a shared address.
 */
export async function takeIpv4(
  data: DataService,
  pool: Ipv4Pool,
  holder: AllocationHolder,
  now: Date,
): Promise<string> {
  const { networkId } = holder;
  const poolKey = { networkId, family: "ipv4" as const };
  let contended = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (contended) await backoff(round);
    let view = await readPool(data, networkId);
    if (!view.state) view = await openPool(data, networkId, now);
    const choice = await choose(data, pool, networkId, view, { contended, now });
    if (!choice) continue;
    if (choice.kind === "exhausted") {
      throw exhausted(networkId, "ipv4", { capacity: pool.capacity, allocated: choice.state.allocated });
    }
    const ip = choice.kind === "free" ? choice.entry.ip : intToIpv4(choice.n);
    const item = { ...holderKey(holder), family: "ipv4" as const, ip, requestId: holder.requestId };
    const createdAt = now.toISOString();
    const outcome = await transact(
      data,
      ({ addressAllocation, addressClaim, addressPool, addressPoolFree }) => [
        addressAllocation.create({ ...item, createdAt }).commit(),
        addressClaim.create({ ...item, createdAt }).commit(),
        choice.kind === "free"
          ? addressPool.patch(poolKey).add({ allocated: 1 }).set({ updatedAt: createdAt }).commit()
          : advanceNext(addressPool, choice, createdAt, 1),
        ...(choice.kind === "free"
          ? [
              addressPoolFree
                .delete({ ...poolKey, rank: choice.entry.rank })
                .where((f, { exists }) => exists(f.ip))
                .commit(),
            ]
          : []),
      ],
    );
    if (outcome.ok) return ip;
    if (failedCondition(outcome, 1)) {
      // The holder got a claim meanwhile (a concurrent job for it won): share that answer.
      const claim = await data.entities.addressClaim.get({ ...holderKey(holder), family: "ipv4" }).go({
        consistent: true,
      });
      const kept = claim.data ? await keepClaim(data, claim.data, holder.requestId) : null;
      if (kept) return kept;
      continue;
    }
    const heldAlready =
      failedCondition(outcome, 0) && passed(outcome, 2) && (choice.kind === "next" || passed(outcome, 3));
    if (heldAlready) {
      // The pool pointed at an address someone holds (data from before the pool state
      // existed): correct the pointer, then go on without counting it as contention.
      await repointPast(data, choice, ip, createdAt);
      continue;
    }
    contended = true;
  }
  throw lostTooOften(networkId, "ipv4");
}

/**
 * The pool update of a `next` allocation (`allocated` +1) or of a pointer correction (+0):
 * `next` moves past the address, only if no one moved it since it was read.
 */
function advanceNext(
  addressPool: TransactEntities["addressPool"],
  choice: Extract<PoolChoice, { kind: "next" }>,
  at: string,
  allocated: 0 | 1,
): TransactItem {
  const key = { networkId: choice.state.networkId, family: "ipv4" as const };
  if (choice.skips) {
    return addressPool
      .patch(key)
      .set({ next: choice.n + 1, updatedAt: at })
      .add({ allocated, epoch: 1 })
      .remove(["completeUnder"])
      .where((p, op) => op.eq(p.next, choice.state.next))
      .commit();
  }
  return addressPool
    .patch(key)
    .set({ next: choice.n + 1, updatedAt: at })
    .add({ allocated })
    .where((p, op) => op.eq(p.next, choice.state.next))
    .commit();
}

async function repointPast(
  data: DataService,
  choice: Exclude<PoolChoice, { kind: "exhausted" }>,
  ip: string,
  at: string,
) {
  const networkId = choice.kind === "free" ? choice.entry.networkId : choice.state.networkId;
  const poolKey = { networkId, family: "ipv4" as const };
  await transact(data, ({ addressAllocation, addressPool, addressPoolFree }) =>
    choice.kind === "next"
      ? [advanceNext(addressPool, choice, at, 0)]
      : [
          // Only while the address is still held: had it been released since, its entry
          // is legitimately back and must stay.
          addressAllocation
            .check({ networkId, family: "ipv4", ip })
            .where((a, { exists }) => exists(a.ip))
            .commit(),
          addressPoolFree.delete({ ...poolKey, rank: choice.entry.rank }).commit(),
        ],
  );
}

/**
 * Gives a holder the first free address of a short candidate list (IPv6: the ASN's
 * addresses host 1, 2, … or the one sequential address). Each taken candidate costs one
 * TransactWrite, so the cost grows with the holder's own ASN's nodes on the network, not
 * with the network's members. Not for IPv4 pools: use `allocateIpv4Address`.
 */
export async function allocateFromCandidates(
  data: DataService,
  req: AllocationHolder & {
    family: AddressFamily;
    candidates: Iterable<string>;
    claim?: AddressClaimItem | null;
  },
  now = new Date(),
): Promise<string> {
  const claimKey = { ...holderKey(req), family: req.family };
  const readClaim = async () =>
    (await data.entities.addressClaim.get(claimKey).go({ consistent: true })).data;
  const claim = req.claim === undefined ? await readClaim() : req.claim;
  if (claim) {
    const kept = await keepClaim(data, claim, req.requestId);
    if (kept) return kept;
  }
  const createdAt = now.toISOString();
  for (const ip of req.candidates) {
    for (let attempt = 0; ; attempt++) {
      if (attempt >= 8) throw lostTooOften(req.networkId, req.family);
      const item = { ...claimKey, ip, requestId: req.requestId, createdAt };
      const outcome = await transact(data, ({ addressAllocation, addressClaim }) => [
        addressAllocation.create(item).commit(),
        addressClaim.create(item).commit(),
      ]);
      if (outcome.ok) return ip;
      if (failedCondition(outcome, 1)) {
        const won = await readClaim();
        const kept = won ? await keepClaim(data, won, req.requestId) : null;
        if (kept) return kept;
        continue;
      }
      if (failedCondition(outcome, 0)) break; // held by another holder: next candidate
      await backoff(attempt);
    }
  }
  throw exhausted(req.networkId, req.family);
}
