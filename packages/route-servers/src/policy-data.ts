import type { RuntimeConfig } from "@ztix/core";
import {
  type DataService,
  decodeIrrLists,
  type IrrLists,
  type IrrPrefixListItem,
  irrPrefixLists,
  type NeverViaListItem,
  neverViaList,
  type PeeringDbRecordItem,
  peeringDbRecords,
  policyDataGeneration,
  type RouteServerMemberItem,
} from "@ztix/data";
import type { DesiredFile } from "./desired.ts";
import type { MemberIrr, RouteServerMember } from "./member.ts";
import { peeringDbFacts, resolveIrrTargets, resolveMaxPrefix } from "./policy-inputs.ts";
import type { PolicyContext } from "./render/policy.ts";

/** The stored per-member data a route server's rendering depends on, read once per reconcile. */
export interface PolicyData {
  records: Map<number, PeeringDbRecordItem>;
  lists: Map<string, IrrPrefixListItem>;
  context: PolicyContext;
  /** Decodes a stored list (a cache keeps decoded lists between reconciles). */
  decode?: (list: IrrPrefixListItem) => IrrLists;
  /** Items this load read from DynamoDB (records, lists, the never-via list). */
  reads?: number;
  /** Members rendered under this generation, by file name (a cache keeps them between reconciles). */
  renders?: Map<string, MemberRender>;
}

/**
 * A member's validated data and rendered file, and the desired-state record they were made
 * from: while the record and the policy data's generation are unchanged, so is the file.
 */
export interface MemberRender {
  recordKey: string;
  member: RouteServerMember;
  file: DesiredFile;
}

/** What one generation of policy data held, as far as it was read. */
class PolicyDataStore {
  readonly records = new Map<number, PeeringDbRecordItem | null>();
  readonly lists = new Map<string, IrrPrefixListItem | null>();
  /** Undefined until read. */
  never: NeverViaListItem | null | undefined;
  private readonly decoded = new Map<string, { hash: string | undefined; lists: IrrLists }>();
  readonly renders = new Map<string, MemberRender>();
  constructor(readonly generation: string | undefined) {}

  decode(list: IrrPrefixListItem): IrrLists {
    const hit = this.decoded.get(list.target);
    if (hit && hit.hash === list.hash) return hit.lists;
    const lists = decodeIrrLists(list) ?? { ipv4: [], ipv6: [] };
    this.decoded.set(list.target, { hash: list.hash, lists });
    return lists;
  }
}

/**
 * The policy data of one worker process, kept between reconciles: every record and list read
 * so far (and which were absent), under the generation it was read at. While the stored
 * generation is unchanged only members never seen before cost a read; a new generation starts
 * an empty store (a load still filling the old one cannot leak into it). A reconcile that
 * wants the whole truth (the schedule, an admin) reads everything again.
 */
export class PolicyDataCache {
  private store: PolicyDataStore | undefined;

  storeFor(generation: string, full: boolean): PolicyDataStore {
    if (full || this.store?.generation !== generation) this.store = new PolicyDataStore(generation);
    return this.store;
  }
}

function present<K, V>(map: ReadonlyMap<K, V | null>): Map<K, V> {
  const out = new Map<K, V>();
  for (const [k, v] of map) if (v) out.set(k, v);
  return out;
}

/**
 * Reads what the members' files are rendered from besides their desired-state records: their
 * PeeringDB records and IRR lists (BatchGets of the distinct ASNs and IRR objects) and the
 * never-via-route-servers list. A refreshed record, a rebuilt list or an override reaches BIRD
 * by the same level-triggered path as a new member. With a `cache` whose generation is still
 * the stored one, only ASNs and objects it has never seen are read (`full` reads all again).
 */
export async function loadPolicyData(
  data: DataService,
  config: RuntimeConfig,
  items: readonly RouteServerMemberItem[],
  options: { cache?: PolicyDataCache; full?: boolean } = {},
): Promise<PolicyData> {
  // The generation is read before the data: a change written after this read bumps it again,
  // and the reconcile queued after that bump reads anew.
  const store = options.cache
    ? options.cache.storeFor(await policyDataGeneration(data), options.full === true)
    : new PolicyDataStore(undefined);
  const first = store.never === undefined;
  let reads = 0;

  const asns = [...new Set(items.map((i) => i.asn))].filter((asn) => !store.records.has(asn));
  const [records, never] = await Promise.all([
    asns.length > 0 ? peeringDbRecords(data, asns) : new Map<number, PeeringDbRecordItem>(),
    first ? neverViaList(data) : Promise.resolve(store.never ?? null),
  ]);
  for (const asn of asns) store.records.set(asn, records.get(asn) ?? null);
  store.never = never;
  reads += asns.length + (first ? 1 : 0);

  if (config.route_server_policy.irr.mode !== "off") {
    const targets = new Set(
      items.flatMap(
        (i) => resolveIrrTargets(i.asn, i, peeringDbFacts(store.records.get(i.asn) ?? undefined)).targets,
      ),
    );
    const missing = [...targets].filter((t) => !store.lists.has(t));
    if (missing.length > 0) {
      const lists = await irrPrefixLists(data, missing);
      for (const t of missing) store.lists.set(t, lists.get(t) ?? null);
      reads += missing.length;
    }
  }
  return {
    reads,
    records: present(store.records),
    lists: present(store.lists),
    context: never?.asns?.length ? { neverViaRouteServers: never.asns } : {},
    decode: (list) => store.decode(list),
    ...(options.cache ? { renders: store.renders } : {}),
  };
}

/** A family's prefixes across several IRR objects, canonical and de-duplicated. */
function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

/**
 * The member with its policy data filled in: the receive limits (override, PeeringDB figure
 * with headroom, or the default) and the IRR lists of the objects it resolves to. An object
 * never built yet contributes nothing and marks the lists stale; a member none of whose
 * objects was ever built has no IRR data at all (the policy's mode says what that means).
 */
export function withPolicyData(
  member: RouteServerMember,
  item: RouteServerMemberItem,
  config: RuntimeConfig,
  data: PolicyData,
): RouteServerMember {
  const facts = peeringDbFacts(data.records.get(item.asn));
  const limits = resolveMaxPrefix(config.route_server_policy, item, facts);
  const out: RouteServerMember = {
    ...member,
    receiveLimit: { ipv4: limits.ipv4.limit, ipv6: limits.ipv6.limit },
  };
  if (config.route_server_policy.irr.mode === "off") return out;
  const { targets } = resolveIrrTargets(item.asn, item, facts);
  const built = targets.map((t) => data.lists.get(t)).filter((l) => l?.listsGz !== undefined);
  if (built.length === 0) return out;
  const decode = data.decode ?? ((l: IrrPrefixListItem) => decodeIrrLists(l)!);
  const decoded = built.map((l) => decode(l!));
  const irr: MemberIrr = {
    ...(targets.length === 1 ? { asSet: targets[0] } : {}),
    ipv4: union(decoded.map((d) => d.ipv4)),
    ipv6: union(decoded.map((d) => d.ipv6)),
  };
  if (built.length < targets.length || built.some((l) => l!.stale)) irr.stale = true;
  return { ...out, irr };
}
