import { createHash, randomUUID } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { IrrPrefixListItem, NeverViaListItem, PeeringDbRecordItem } from "./entities/policy-data.ts";
import type { DataService } from "./service.ts";

/** IPv4 and IPv6 prefixes of one IRR object, canonical and sorted (as @ztix/irr returns them). */
export interface IrrLists {
  ipv4: string[];
  ipv6: string[];
}

export function encodeIrrLists(lists: IrrLists): { listsGz: string; hash: string } {
  const json = JSON.stringify({ ipv4: lists.ipv4, ipv6: lists.ipv6 });
  return {
    listsGz: gzipSync(json, { level: 6 }).toString("base64"),
    hash: createHash("sha256").update(json).digest("hex"),
  };
}

export function decodeIrrLists(item: Pick<IrrPrefixListItem, "listsGz">): IrrLists | null {
  if (!item.listsGz) return null;
  const parsed = JSON.parse(gunzipSync(Buffer.from(item.listsGz, "base64")).toString("utf8")) as IrrLists;
  return { ipv4: parsed.ipv4 ?? [], ipv6: parsed.ipv6 ?? [] };
}

/** BatchGet in chunks of 100 (DynamoDB's limit), a few at a time; ElectroDB retries unprocessed keys. */
async function batchGet<K, T>(keys: readonly K[], get: (chunk: K[]) => Promise<T[]>): Promise<T[]> {
  const chunks: K[][] = [];
  for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
  const out: T[] = [];
  for (let i = 0; i < chunks.length; i += 4) {
    const got = await Promise.all(chunks.slice(i, i + 4).map(get));
    for (const g of got) out.push(...g);
  }
  return out;
}

/** The stored PeeringDB records of these ASNs, by ASN (ASNs never looked up are absent). */
export async function peeringDbRecords(
  data: DataService,
  asns: Iterable<number>,
): Promise<Map<number, PeeringDbRecordItem>> {
  const keys = [...new Set(asns)].map((asn) => ({ asn }));
  const items = await batchGet(keys, async (chunk) => {
    const out = await data.entities.peeringDbRecord.get(chunk).go({ concurrency: 1 });
    return out.data;
  });
  return new Map(items.map((i) => [i.asn, i]));
}

export async function peeringDbRecord(data: DataService, asn: number): Promise<PeeringDbRecordItem | null> {
  return (await data.entities.peeringDbRecord.get({ asn }).go()).data;
}

/** The stored IRR lists of these objects, by canonical name. */
export async function irrPrefixLists(
  data: DataService,
  targets: Iterable<string>,
): Promise<Map<string, IrrPrefixListItem>> {
  const keys = [...new Set(targets)].map((target) => ({ target }));
  const items = await batchGet(keys, async (chunk) => {
    const out = await data.entities.irrPrefixList.get(chunk).go({ concurrency: 1 });
    return out.data;
  });
  return new Map(items.map((i) => [i.target, i]));
}

export async function neverViaList(data: DataService): Promise<NeverViaListItem | null> {
  return (await data.entities.neverViaList.get({}).go()).data;
}

/** The current generation of the route servers' policy data ("none" before the first change). */
export async function policyDataGeneration(data: DataService): Promise<string> {
  const out = await data.entities.policyDataGeneration.get({}).go({ consistent: true });
  return out.data?.generation ?? "none";
}

/**
 * Marks the policy data changed, after the change was written: a reader that sees the new
 * generation then also sees the new data. Every writer of data a route-server file is
 * rendered from calls this when what it wrote differs for the renderer.
 */
export async function bumpPolicyDataGeneration(data: DataService, now: Date): Promise<string> {
  // Only compared for equality: any fresh value will do.
  const generation = randomUUID();
  await data.entities.policyDataGeneration.upsert({ generation, updatedAt: now.toISOString() }).go();
  return generation;
}
