import type { RuntimeConfig } from "@ztix/core";
import {
  type DataService,
  decodeIrrLists,
  type IrrPrefixListItem,
  irrPrefixLists,
  neverViaList,
  type PeeringDbRecordItem,
  peeringDbRecords,
  type RouteServerMemberItem,
} from "@ztix/data";
import type { MemberIrr, RouteServerMember } from "./member.ts";
import { peeringDbFacts, resolveIrrTargets, resolveMaxPrefix } from "./policy-inputs.ts";
import type { PolicyContext } from "./render/policy.ts";

/** The stored per-member data a route server's rendering depends on, read once per reconcile. */
export interface PolicyData {
  records: Map<number, PeeringDbRecordItem>;
  lists: Map<string, IrrPrefixListItem>;
  context: PolicyContext;
}

/**
 * Reads what the members' files are rendered from besides their desired-state records: their
 * PeeringDB records and IRR lists (BatchGets of the distinct ASNs and IRR objects) and the
 * never-via-route-servers list. Read at every reconcile, so a refreshed record, a rebuilt list
 * or an override reaches BIRD by the same level-triggered path as a new member.
 */
export async function loadPolicyData(
  data: DataService,
  config: RuntimeConfig,
  items: readonly RouteServerMemberItem[],
): Promise<PolicyData> {
  const [records, never] = await Promise.all([
    peeringDbRecords(
      data,
      items.map((i) => i.asn),
    ),
    neverViaList(data),
  ]);
  let lists = new Map<string, IrrPrefixListItem>();
  if (config.route_server_policy.irr.mode !== "off") {
    const targets = items.flatMap(
      (i) => resolveIrrTargets(i.asn, i, peeringDbFacts(records.get(i.asn))).targets,
    );
    lists = await irrPrefixLists(data, targets);
  }
  return { records, lists, context: never?.asns?.length ? { neverViaRouteServers: never.asns } : {} };
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
  const decoded = built.map((l) => decodeIrrLists(l!)!);
  const irr: MemberIrr = {
    ...(targets.length === 1 ? { asSet: targets[0] } : {}),
    ipv4: union(decoded.map((d) => d.ipv4)),
    ipv6: union(decoded.map((d) => d.ipv6)),
  };
  if (built.length < targets.length || built.some((l) => l!.stale)) irr.stale = true;
  return { ...out, irr };
}
