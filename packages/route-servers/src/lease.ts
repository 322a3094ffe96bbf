import { randomUUID } from "node:crypto";
import type { DataService } from "@ztix/data";
import { isConditionFailure } from "@ztix/data";

export interface HeldLease {
  name: string;
  owner: string;
  release(): Promise<void>;
}

/**
 * Takes the named lease if it is free or expired (one conditional write); null when someone
 * else holds it. An expired lease can be taken over, so a crashed holder never blocks forever.
 */
export async function tryAcquireLease(
  data: DataService,
  name: string,
  ttlMs: number,
  owner: string = randomUUID(),
): Promise<HeldLease | null> {
  const now = Date.now();
  try {
    await data.entities.lease
      .put({ name, owner, expiresAt: now + ttlMs, ttl: Math.ceil((now + ttlMs) / 1000) + 3600 })
      .where((attr, op) => `${op.notExists(attr.owner)} OR ${op.lt(attr.expiresAt, now)}`)
      .go();
  } catch (e) {
    if (isConditionFailure(e)) return null;
    throw e;
  }
  return {
    name,
    owner,
    async release() {
      // Only our own lease is deleted; one taken over after expiry belongs to someone else.
      try {
        await data.entities.lease
          .delete({ name })
          .where((attr, op) => op.eq(attr.owner, owner))
          .go();
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    },
  };
}

/** Polls for the lease until `waitMs` has passed; null when it stayed busy. */
export async function acquireLease(
  data: DataService,
  name: string,
  options: { ttlMs: number; waitMs: number; pollMs?: number },
): Promise<HeldLease | null> {
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const lease = await tryAcquireLease(data, name, options.ttlMs);
    if (lease || Date.now() >= deadline) return lease;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}
