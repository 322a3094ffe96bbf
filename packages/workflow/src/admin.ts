import { AppError, type RequestStatus, requestStatuses } from "@ztix/core";
import {
  getRequest,
  type JoinRequestItem,
  type PeeringDbRecordItem,
  peeringDbRecord,
  transitionRequest,
  type UserItem,
} from "@ztix/data";
import { approveAndDispatch, type Dispatched, retryAndDispatch } from "./approval.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import type { WorkflowDeps } from "./deps.ts";
import { loadRequestBundle } from "./detail.ts";
import {
  mergePage,
  type PageSpec,
  type RangeQuery,
  readPartition,
  type SortOrder,
  type WhereFilter,
} from "./listing.ts";
import { usersById } from "./people.ts";
import { networkView, personView, splitActor, type ViewConfig } from "./views.ts";

export interface AdminFilters {
  statuses?: RequestStatus[];
  asn?: number;
  networkId?: string;
  minAgeMinutes?: number;
  order: SortOrder;
  limit: number;
  cursor?: string;
}

/** Which index a listing reads: named in responses' debug info and asserted by tests. */
export type AdminIndex = "byAsn" | "byNetworkStatus" | "byStatus";

/**
 * Picks the index for the filters, so every listing is a Query on a few partitions:
 * - asn given: the ASN's partition (byAsn), status and network as filters — one ASN's
 *   requests are few, so filtering within it stays cheap;
 * - network given: one byNetworkStatus partition per wanted status;
 * - otherwise: one byStatus partition per wanted status (all seven when none is named).
 * Partitions are read in parallel and merged by (createdAt, requestId).
 */
export function chooseIndex(filters: Pick<AdminFilters, "asn" | "networkId">): AdminIndex {
  if (filters.asn !== undefined) return "byAsn";
  if (filters.networkId !== undefined) return "byNetworkStatus";
  return "byStatus";
}

export async function listAdminRequests(deps: WorkflowDeps, filters: AdminFilters) {
  const statuses = filters.statuses?.length ? [...new Set(filters.statuses)] : [...requestStatuses];
  const spec: PageSpec = {
    order: filters.order,
    limit: filters.limit,
    after: decodeCursor(filters.cursor),
    createdAtMost:
      filters.minAgeMinutes !== undefined
        ? new Date(deps.now().getTime() - filters.minAgeMinutes * 60_000).toISOString()
        : undefined,
  };
  const q = deps.data.entities.joinRequest.query;
  const index = chooseIndex(filters);
  let lists: JoinRequestItem[][];
  if (index === "byAsn") {
    const { networkId } = filters;
    const allStatuses = statuses.length === requestStatuses.length;
    const filtered = !allStatuses || networkId !== undefined;
    const filter: WhereFilter | undefined = filtered
      ? (attr, op) => {
          const parts: string[] = [];
          if (!allStatuses) parts.push(`(${statuses.map((s) => op.eq(attr.status, s)).join(" OR ")})`);
          if (networkId !== undefined) parts.push(op.eq(attr.networkId, networkId));
          return parts.join(" AND ");
        }
      : undefined;
    const query = q.byAsn({ asn: filters.asn! }) as unknown as RangeQuery;
    lists = [await readPartition(query, spec, filter)];
  } else if (index === "byNetworkStatus") {
    const networkId = filters.networkId!;
    lists = await Promise.all(
      statuses.map((status) =>
        readPartition(q.byNetworkStatus({ networkId, status }) as unknown as RangeQuery, spec),
      ),
    );
  } else {
    lists = await Promise.all(
      statuses.map((status) => readPartition(q.byStatus({ status }) as unknown as RangeQuery, spec)),
    );
  }
  const { items, next } = mergePage(lists, spec);
  // The page's requesters by name: one BatchGetItem for its distinct users (none when empty).
  const requesters =
    items.length > 0
      ? await usersById(
          deps.data,
          items.map((r) => r.userId),
        )
      : new Map();
  return { items, nextCursor: next && encodeCursor(next), index, requesters };
}

function notFound(requestId: string): AppError {
  return new AppError("not_found", "no such request", { request_id: requestId });
}

/** How many of the ASN's other requests the detail lists (newest first). */
export const ASN_REQUESTS_SHOWN = 25;

/**
 * One request with everything an admin decides on: the full audit timeline, the people it
 * names (requester, decider, the people in its timeline, the requesters of the ASN's other
 * requests) by name, the ASN's cached PeeringDB record and the ASN's other requests and
 * memberships (newest first, from the byAsn index: a Query on one partition, never a Scan).
 * Three rounds: the bundle; the PeeringDB record, the ASN's requests and the known people in
 * parallel; a second BatchGet only for requesters of other requests not named yet.
 */
export async function adminRequestDetail(deps: WorkflowDeps, requestId: string) {
  const bundle = await loadRequestBundle(
    deps.data,
    requestId,
    deps.config.route_servers.map((rs) => rs.id),
  );
  if (!bundle.request) throw notFound(requestId);
  const request = bundle.request;
  const decider = request.decidedBy ? splitActor(request.decidedBy) : null;
  const known = [
    request.userId,
    ...(decider && (decider[0] === "admin" || decider[0] === "user") ? [decider[1]] : []),
    ...bundle.events
      .filter((e) => (e.actorType === "admin" || e.actorType === "user") && e.actorId)
      .map((e) => e.actorId!),
  ];
  const [record, asnPage, people] = await Promise.all([
    peeringDbRecord(deps.data, request.asn),
    deps.data.entities.joinRequest.query
      .byAsn({ asn: request.asn })
      .go({ order: "desc", limit: ASN_REQUESTS_SHOWN + 1 }),
    usersById(deps.data, known),
  ]);
  const others = asnPage.data.filter((r) => r.requestId !== requestId);
  const asnRequests = others.slice(0, ASN_REQUESTS_SHOWN);
  const missing = asnRequests.map((r) => r.userId).filter((id) => !people.has(id) && !known.includes(id));
  if (missing.length > 0) for (const [id, u] of await usersById(deps.data, missing)) people.set(id, u);
  return {
    ...bundle,
    request,
    people,
    peeringDb: record,
    asnRequests,
    asnRequestsTruncated: others.length > ASN_REQUESTS_SHOWN || asnPage.cursor !== null,
  };
}

/**
 * The ASN's PeeringDB record as the worker cached it, with its age; `cached: false` when no
 * lookup answered yet (the admin can ask for one: `refresh_path`).
 */
export function peeringDbContextView(
  record: PeeringDbRecordItem | null,
  requestId: string,
  config: Pick<WorkflowDeps["config"], "peeringdb_api">,
  now: Date,
) {
  const refreshPath = `/api/v1/admin/requests/${requestId}/refresh-policy-data`;
  const age = (iso: string | undefined) =>
    iso ? Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000)) : null;
  const base = {
    lookups_enabled: config.peeringdb_api.enabled,
    refresh_path: refreshPath,
  };
  if (!record || (record.found === undefined && !record.lastSuccessAt)) {
    return {
      ...base,
      cached: false,
      found: null,
      record: null,
      fetched_at: null,
      last_success_at: null,
      age_seconds: null,
      last_error_code: record?.lastErrorCode ?? null,
      last_failure_at: record?.lastFailureAt ?? null,
      failures: record?.failures ?? 0,
    };
  }
  const n = record.found ? (record.network as PeeringDbNetworkLike | undefined) : undefined;
  return {
    ...base,
    cached: true,
    found: record.found ?? null,
    record: n
      ? {
          name: n.name,
          aka: n.aka ?? null,
          org_name: n.orgName ?? null,
          policy_general: n.policy ?? null,
          policy_url: n.policyUrl ?? null,
          info_prefixes4: n.prefixes4 ?? null,
          info_prefixes6: n.prefixes6 ?? null,
          irr_as_set: n.irrAsSet ?? null,
          info_never_via_route_servers: n.neverViaRouteServers ?? false,
          /** When PeeringDB last changed the record. */
          updated: n.updated ?? null,
        }
      : null,
    fetched_at: n?.fetchedAt ?? record.lastSuccessAt ?? null,
    last_success_at: record.lastSuccessAt ?? null,
    age_seconds: age(record.lastSuccessAt),
    last_error_code: record.lastErrorCode ?? null,
    last_failure_at: record.lastFailureAt ?? null,
    failures: record.failures ?? 0,
  };
}

/** The stored PeeringDB network (@ztix/peeringdb's PeeringDbNetwork), as far as admin pages read it. */
interface PeeringDbNetworkLike {
  name: string;
  aka?: string;
  orgName?: string;
  policy?: string | null;
  policyUrl?: string;
  prefixes4?: number | null;
  prefixes6?: number | null;
  irrAsSet?: string | null;
  neverViaRouteServers?: boolean;
  updated?: string;
  fetchedAt?: string;
}

/** The ASN's other requests and memberships, with who asked and on which network. */
export function asnRequestsView(
  items: JoinRequestItem[],
  truncated: boolean,
  people: ReadonlyMap<string, UserItem>,
  config: ViewConfig,
) {
  return {
    items: items.map((r) => ({
      request_id: r.requestId,
      status: r.status,
      zt_network_id: r.networkId,
      zt_network_name: networkView(config, r.networkId).name,
      node_id: r.nodeId,
      created_at: r.createdAt,
      active_at: r.activeAt ?? null,
      requester: personView(r.userId, people.get(r.userId)),
    })),
    truncated,
  };
}

async function mustGet(deps: WorkflowDeps, requestId: string): Promise<JoinRequestItem> {
  const request = await getRequest(deps.data, requestId);
  if (!request) throw notFound(requestId);
  return request;
}

export async function approveRequest(
  deps: WorkflowDeps,
  adminId: string,
  requestId: string,
): Promise<Dispatched> {
  const request = await mustGet(deps, requestId);
  return approveAndDispatch(deps, request, { type: "admin", id: adminId });
}

export async function rejectRequest(deps: WorkflowDeps, adminId: string, requestId: string, reason: string) {
  const request = await mustGet(deps, requestId);
  const now = deps.now();
  return transitionRequest(deps.data, request, "reject", {
    now,
    set: { rejectReason: reason, decidedAt: now.toISOString(), decidedBy: `admin:${adminId}` },
    audit: { actorType: "admin", actorId: adminId, visibility: "operator", message: reason },
  });
}

/** failed → approved again; from any other status `invalid_transition` (409). */
export async function retryRequest(
  deps: WorkflowDeps,
  adminId: string,
  requestId: string,
): Promise<Dispatched> {
  const request = await mustGet(deps, requestId);
  return retryAndDispatch(deps, request, { type: "admin", id: adminId });
}
