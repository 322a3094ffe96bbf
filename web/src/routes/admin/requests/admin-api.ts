import type { AdminRequestDetail, DecisionContext, InspectAnswer } from "$lib/api/admin-types.ts";
import { request } from "$lib/api/client.ts";
import type { RequestDetail } from "$lib/api/index.ts";

/** The admin detail answer (`{request, network, membership, route_servers, events, context}`), flattened. */
export async function adminRequestDetail(id: string): Promise<AdminRequestDetail> {
  const body = await request<Record<string, unknown>>("GET", `/admin/requests/${encodeURIComponent(id)}`);
  const base = (body.request ?? {}) as Record<string, unknown>;
  return {
    ...(base as unknown as RequestDetail),
    network: (body.network ?? null) as RequestDetail["network"],
    membership: (body.membership ?? null) as RequestDetail["membership"],
    route_servers: (body.route_servers ?? []) as RequestDetail["route_servers"],
    audit: (body.events ?? []) as RequestDetail["audit"],
    context: (body.context ?? null) as DecisionContext | null,
  };
}

/** Ask the worker to check the node with the controller (and refresh PeeringDB); throttled by the API. */
export function inspectRequest(id: string): Promise<InspectAnswer> {
  return request<InspectAnswer>("POST", `/admin/requests/${encodeURIComponent(id)}/inspect`, {});
}

/** Queue a PeeringDB (and IRR) refresh of the request's ASN now. */
export function refreshPolicyData(id: string): Promise<{ request_id: string; asn: number; queued: boolean }> {
  return request("POST", `/admin/requests/${encodeURIComponent(id)}/refresh-policy-data`, {});
}
