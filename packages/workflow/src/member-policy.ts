import { AppError, routeServersOfNetwork, splitNetworkId } from "@ztix/core";
import {
  decodeIrrLists,
  getRequest,
  irrPrefixLists,
  peeringDbRecord,
  routeServerMemberKey,
  writeAudit,
} from "@ztix/data";
import { isIrrError, parseIrrTarget } from "@ztix/irr";
import { peeringDbFacts, resolveIrrTargets, resolveMaxPrefix } from "@ztix/route-servers/policy-inputs";
import { z } from "zod";
import type { WorkflowDeps } from "./deps.ts";
import { userAsns } from "./eligibility.ts";
import { requestPolicyDataRefresh } from "./policy-data.ts";
import { requestReconcile } from "./reconcile-request.ts";
import { importFilters, networkActionCommunities } from "./route-server-rules.ts";

const limit = z.number().int().min(1).max(10_000_000).nullable().optional();

/** An admin's override of one membership's policy data; `null` clears a field (back to PeeringDB). */
export const policyOverrideSchema = z
  .strictObject({
    max_prefix_ipv4: limit,
    max_prefix_ipv6: limit,
    /** IRR objects (as-sets or ASNs) to build the prefix lists from, instead of PeeringDB's as-set. */
    irr_as_sets: z.array(z.string().min(1).max(255)).min(1).max(16).nullable().optional(),
    note: z.string().trim().min(1).max(500),
  })
  .refine(
    (o) => o.max_prefix_ipv4 !== undefined || o.max_prefix_ipv6 !== undefined || o.irr_as_sets !== undefined,
    "set or clear at least one of max_prefix_ipv4, max_prefix_ipv6, irr_as_sets",
  );
export type PolicyOverrideInput = z.infer<typeof policyOverrideSchema>;

function canonicalSets(names: readonly string[]): string[] {
  const problems: string[] = [];
  const out: string[] = [];
  for (const name of names) {
    try {
      const canonical = parseIrrTarget(name).name;
      if (!out.includes(canonical)) out.push(canonical);
    } catch (e) {
      if (!isIrrError(e)) throw e;
      problems.push(`${name.slice(0, 64)}: not an ASN or as-set name`);
    }
  }
  if (problems.length > 0) {
    throw new AppError("validation_failed", "the request is invalid", { fields: { irr_as_sets: problems } });
  }
  return out;
}

/**
 * Sets or clears an admin's override of a live membership's receive limits or IRR objects,
 * audited, then reconciles the network's route servers (and rebuilds the IRR lists when the
 * objects changed). Only while the member is on the route servers' desired state.
 */
export async function setPolicyOverride(
  deps: WorkflowDeps,
  adminId: string,
  requestId: string,
  input: PolicyOverrideInput,
) {
  const request = await getRequest(deps.data, requestId);
  if (!request) throw new AppError("not_found", "no such request", { request_id: requestId });
  const key = routeServerMemberKey(request);
  const item = (await deps.data.entities.routeServerMember.get(key).go({ consistent: true })).data;
  if (!item || item.requestId !== requestId || !["provisioning", "active"].includes(request.status)) {
    throw new AppError(
      "invalid_transition",
      `policy overrides apply to a membership on the route servers; this request is ${request.status}`,
      { status: request.status },
    );
  }
  const sets = input.irr_as_sets ? canonicalSets(input.irr_as_sets) : input.irr_as_sets;
  const at = deps.now().toISOString();
  const set: Record<string, unknown> = {
    overrideBy: adminId,
    overrideAt: at,
    overrideNote: input.note,
    updatedAt: at,
  };
  const remove: ("maxPrefixV4" | "maxPrefixV6" | "irrAsSetOverride")[] = [];
  const apply = (field: "maxPrefixV4" | "maxPrefixV6" | "irrAsSetOverride", value: unknown) => {
    if (value === undefined) return;
    if (value === null) remove.push(field);
    else set[field] = value;
  };
  apply("maxPrefixV4", input.max_prefix_ipv4);
  apply("maxPrefixV6", input.max_prefix_ipv6);
  apply("irrAsSetOverride", sets);
  let patch = deps.data.entities.routeServerMember.patch(key).set(set);
  if (remove.length > 0) patch = patch.remove(remove);
  // Only the record of this request: a replacement may have taken the key meanwhile.
  await patch.where(({ requestId: rid }, { eq }) => eq(rid, requestId)).go();

  const before = {
    max_prefix_ipv4: item.maxPrefixV4 ?? null,
    max_prefix_ipv6: item.maxPrefixV6 ?? null,
    irr_as_sets: item.irrAsSetOverride ?? null,
  };
  const after = {
    max_prefix_ipv4: input.max_prefix_ipv4 === undefined ? before.max_prefix_ipv4 : input.max_prefix_ipv4,
    max_prefix_ipv6: input.max_prefix_ipv6 === undefined ? before.max_prefix_ipv6 : input.max_prefix_ipv6,
    irr_as_sets: sets === undefined ? before.irr_as_sets : sets,
  };
  await writeAudit(deps.data, {
    subject: `request#${requestId}`,
    requestId,
    action: "policy.override_set",
    actorType: "admin",
    actorId: adminId,
    visibility: "operator",
    message: `route-server policy override: ${input.note}`,
    metadata: { before, after },
  });
  const servers = routeServersOfNetwork(
    deps.config.route_servers,
    deps.config.networks,
    splitNetworkId(request.networkId).suffix,
  ).map((s) => s.id);
  if (sets !== undefined) {
    // New IRR objects are built first; that refresh reconciles when the lists change.
    await requestPolicyDataRefresh(deps, { scope: "asn", asn: request.asn, irr: true });
  }
  if (servers.length > 0) {
    await requestReconcile(deps, servers, "admin", { correlationId: request.correlationId });
  }
  return { requestId, override: after, routeServers: servers };
}

/** What the route servers apply to one membership, and where each figure comes from. */
export async function memberPolicyData(
  deps: WorkflowDeps,
  request: {
    requestId: string;
    asn: number;
    networkId: string;
    nodeId: string;
    memberNodeId?: string | undefined;
  },
) {
  const key = routeServerMemberKey(request);
  const [item, record] = await Promise.all([
    deps.data.entities.routeServerMember
      .get(key)
      .go()
      .then((r) => r.data),
    peeringDbRecord(deps.data, request.asn),
  ]);
  const overrides = item?.requestId === request.requestId ? item : {};
  const facts = peeringDbFacts(record ?? undefined);
  const limits = resolveMaxPrefix(deps.config.route_server_policy, overrides, facts);
  const mode = deps.config.route_server_policy.irr.mode;
  const targets = resolveIrrTargets(request.asn, overrides, facts);
  const lists = mode === "off" ? new Map() : await irrPrefixLists(deps.data, targets.targets);
  const now = deps.now().getTime();
  const age = (iso: string | undefined) =>
    iso ? Math.max(0, Math.round((now - Date.parse(iso)) / 1000)) : null;
  const suffix = splitNetworkId(request.networkId).suffix;
  return {
    limits: {
      ipv4: { limit: limits.ipv4.limit, source: limits.ipv4.source },
      ipv6: { limit: limits.ipv6.limit, source: limits.ipv6.source },
    },
    /** The route servers the member peers with, their import filters and the communities it may send. */
    route_servers: routeServersOfNetwork(deps.config.route_servers, deps.config.networks, suffix).map(
      (rs) => ({
        route_server_id: rs.id,
        asn: rs.asn,
      }),
    ),
    filters: importFilters(deps.config),
    communities: networkActionCommunities(deps.config, request.networkId),
    override:
      item?.requestId === request.requestId && (item.overrideAt || item.maxPrefixV4 || item.maxPrefixV6)
        ? {
            max_prefix_ipv4: item.maxPrefixV4 ?? null,
            max_prefix_ipv6: item.maxPrefixV6 ?? null,
            irr_as_sets: item.irrAsSetOverride ?? null,
            by: item.overrideBy ?? null,
            at: item.overrideAt ?? null,
            note: item.overrideNote ?? null,
          }
        : null,
    peeringdb: record
      ? {
          found: record.found ?? null,
          network: record.found ? (record.network as Record<string, unknown>) : null,
          last_success_at: record.lastSuccessAt ?? null,
          age_seconds: age(record.lastSuccessAt),
          last_error_code: record.lastErrorCode ?? null,
          last_failure_at: record.lastFailureAt ?? null,
        }
      : null,
    irr: {
      mode,
      rpki_valid_stands_in: deps.config.route_server_policy.irr.rpki_valid_stands_in,
      source: targets.source,
      objects: targets.targets.map((target) => {
        const l = lists.get(target);
        return {
          target,
          built: l?.listsGz !== undefined,
          prefixes_ipv4: l?.count4 ?? 0,
          prefixes_ipv6: l?.count6 ?? 0,
          stale: l?.stale ?? false,
          last_success_at: l?.lastSuccessAt ?? null,
          age_seconds: age(l?.lastSuccessAt),
          last_error_code: l?.lastErrorCode ?? null,
          last_failure_at: l?.lastFailureAt ?? null,
        };
      }),
    },
  };
}

/** A sample of one IRR object's prefixes (the whole lists can be very long). */
export async function irrListSample(deps: WorkflowDeps, target: string, max = 200) {
  const item = (await irrPrefixLists(deps.data, [target])).get(target);
  const lists = item ? decodeIrrLists(item) : null;
  return lists
    ? {
        ipv4: lists.ipv4.slice(0, max),
        ipv6: lists.ipv6.slice(0, max),
        truncated: lists.ipv4.length > max || lists.ipv6.length > max,
      }
    : null;
}

/** The policy data of a request the operator holds (404 for any other: no probing). */
export async function operatorMemberPolicy(deps: WorkflowDeps, userId: string, requestId: string) {
  const [asns, request] = await Promise.all([userAsns(deps.data, userId), getRequest(deps.data, requestId)]);
  if (!request || !asns.some((a) => a.asn === request.asn)) {
    throw new AppError("not_found", "no such request", { request_id: requestId });
  }
  return { request, policy: await memberPolicyData(deps, request) };
}

export async function adminMemberPolicy(deps: WorkflowDeps, requestId: string) {
  const request = await getRequest(deps.data, requestId);
  if (!request) throw new AppError("not_found", "no such request", { request_id: requestId });
  return { request, policy: await memberPolicyData(deps, request) };
}
