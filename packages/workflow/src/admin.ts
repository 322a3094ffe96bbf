import { AppError, type RequestStatus, requestStatuses } from "@ztix/core";
import { getRequest, type JoinRequestItem, transitionRequest } from "@ztix/data";
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
  return { items, nextCursor: next && encodeCursor(next), index };
}

function notFound(requestId: string): AppError {
  return new AppError("not_found", "no such request", { request_id: requestId });
}

/** One request with everything, the full audit timeline included. */
export async function adminRequestDetail(deps: WorkflowDeps, requestId: string) {
  const bundle = await loadRequestBundle(
    deps.data,
    requestId,
    deps.config.route_servers.map((rs) => rs.id),
  );
  if (!bundle.request) throw notFound(requestId);
  return { ...bundle, request: bundle.request };
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
