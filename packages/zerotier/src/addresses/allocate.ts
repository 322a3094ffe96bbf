import { AppError } from "@ztix/core";
import type { DataService } from "@ztix/data";

export type AddressFamily = "ipv4" | "ipv6";

export interface AllocationRequest {
  networkId: string;
  family: AddressFamily;
  asn: number;
  nodeId: string;
  requestId: string;
  /** Addresses in preference order; called once per round, so a lazy generator stays cheap for a /16. */
  candidates: () => Iterable<string>;
  now?: Date;
}

/** How many free addresses a job that lost a race picks among at random. */
const CONTENDED_WINDOW = 256;

/** The address an (asn, node) already holds on a network, if any. */
export async function findClaim(
  data: DataService,
  key: { networkId: string; asn: number; nodeId: string; family: AddressFamily },
): Promise<string | null> {
  const out = await data.entities.addressClaim.get(key).go({ consistent: true });
  return out.data?.ip ?? null;
}

async function takenAddresses(
  data: DataService,
  networkId: string,
  family: AddressFamily,
): Promise<Set<string>> {
  const out = await data.entities.addressAllocation.query
    .byNetwork({ networkId, family })
    .go({ pages: "all", consistent: true });
  return new Set(out.data.map((a) => a.ip));
}

/**
 * Gives an (asn, node) one address of `family` on a network. The allocation (unique per
 * network + address) and the claim (unique per network + asn + node) are created in one
 * conditional transaction, so two concurrent jobs never share an address, a retry finds its
 * claim and reuses it, and a crash leaves either both items or neither.
 */
export async function allocateAddress(data: DataService, req: AllocationRequest): Promise<string> {
  const key = { networkId: req.networkId, asn: req.asn, nodeId: req.nodeId, family: req.family };
  const existing = await findClaim(data, key);
  if (existing) return existing;
  const createdAt = (req.now ?? new Date()).toISOString();
  let contended = false;
  let exhausted = false;
  for (let round = 0; round < 64; round++) {
    const taken = await takenAddresses(data, req.networkId, req.family);
    const free: string[] = [];
    for (const ip of req.candidates()) {
      if (!taken.has(ip)) free.push(ip);
      if (free.length >= (contended ? CONTENDED_WINDOW : 1)) break;
    }
    if (free.length === 0) {
      exhausted = true;
      break;
    }
    // Lowest free address first; once a race was lost, spread out over a window of free
    // addresses so a burst of concurrent jobs stops colliding on the same one.
    const ip = contended ? free[Math.floor(Math.random() * free.length)]! : free[0]!;
    if (await tryCreate(data, { ...key, ip, requestId: req.requestId, createdAt })) return ip;
    const claim = await findClaim(data, key);
    if (claim) return claim; // a concurrent job for the same holder won: share its answer
    contended = true;
  }
  if (!exhausted) {
    // Still free addresses, but every attempt lost a race: transient, the job retries.
    throw new Error(`could not win a ${req.family} address on ${req.networkId} after 64 attempts`);
  }
  throw new AppError(
    "address_pool_exhausted",
    `no free ${req.family} address left on network ${req.networkId}`,
    {
      networkId: req.networkId,
      family: req.family,
    },
  );
}

async function tryCreate(
  data: DataService,
  item: {
    networkId: string;
    family: AddressFamily;
    asn: number;
    nodeId: string;
    ip: string;
    requestId: string;
    createdAt: string;
  },
): Promise<boolean> {
  try {
    const result = await data.transaction
      .write(({ addressAllocation, addressClaim }) => [
        addressAllocation.create(item).commit(),
        addressClaim.create(item).commit(),
      ])
      .go();
    return !result.canceled;
  } catch (e) {
    const name = (e as { name?: string; cause?: { name?: string } }).name;
    const causeName = (e as { cause?: { name?: string } }).cause?.name;
    if (name === "TransactionCanceledException" || causeName === "TransactionCanceledException") return false;
    if (/TransactionCanceled|ConditionalCheckFailed|conditional request failed/i.test((e as Error).message))
      return false;
    throw e;
  }
}

/** Releases what an (asn, node) holds on a network (used when a membership is removed). */
export async function releaseAddresses(
  data: DataService,
  holder: { networkId: string; asn: number; nodeId: string },
): Promise<string[]> {
  const released: string[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const ip = await findClaim(data, { ...holder, family });
    if (!ip) continue;
    await data.entities.addressAllocation.delete({ networkId: holder.networkId, family, ip }).go();
    await data.entities.addressClaim.delete({ ...holder, family }).go();
    released.push(ip);
  }
  return released;
}
