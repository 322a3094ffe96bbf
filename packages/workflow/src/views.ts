import {
  type RuntimeConfig,
  routeServerAddressesOn,
  routeServersOfNetwork,
  splitNetworkId,
} from "@ztix/core";
import type {
  AuditEventItem,
  JoinRequestItem,
  MembershipItem,
  RouteServerStateItem,
  RouteServerSyncItem,
} from "@ztix/data";

/** Who is looking: operators see less than admins (no user ids, no admin-only events). */
export type Audience = "operator" | "admin";

function lastError(r: JoinRequestItem) {
  return { code: r.lastErrorCode!, message: r.lastErrorMessage ?? null };
}

/** A request as the API shows it (snake_case, absent values as null). */
export function requestView(r: JoinRequestItem, audience: Audience) {
  const view = {
    request_id: r.requestId,
    asn: r.asn,
    asn_name: r.asnName ?? null,
    zt_network_id: r.networkId,
    node_id: r.nodeId,
    notes: r.notes ?? null,
    status: r.status,
    attempt: r.attempt,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    decided_at: r.decidedAt ?? null,
    approved_at: r.approvedAt ?? null,
    active_at: r.activeAt ?? null,
    reject_reason: r.rejectReason ?? null,
    // Operators see the error only while it is the request's state; after a retry it is
    // history, which admins keep seeing (and the audit trail keeps for everyone).
    last_error: r.lastErrorCode && r.status === "failed" ? lastError(r) : null,
    // What the request waits on while it cannot progress; operators get plain words.
    waiting_on: r.waitingOn ?? null,
    waiting_reason: r.waitingOn ? plainWait(r.waitingOn) : null,
    waiting_since: r.waitingSince ?? null,
    removal_reason: r.removalReason ?? null,
    removed_at: r.removedAt ?? null,
    replaces_request_id: r.replacesRequestId ?? null,
    replaced_by_request_id: r.replacedByRequestId ?? null,
  };
  if (audience === "operator") return view;
  return {
    ...view,
    last_error: r.lastErrorCode ? lastError(r) : null,
    user_id: r.userId,
    decided_by: r.decidedBy ?? null,
    correlation_id: r.correlationId,
    enqueued_at: r.enqueuedAt ?? null,
    waiting_detail: r.waitingReason ?? null,
  };
}

/** What an operator reads about a wait: the fact and that it resolves itself, no internals. */
function plainWait(on: string): string {
  if (on === "controller") {
    return "The exchange's ZeroTier controller is unavailable right now; your request continues by itself once it is back.";
  }
  if (on.startsWith("route_server:")) {
    return "A route server is being updated or is unavailable; this continues by itself once it is back.";
  }
  return "The exchange's systems are busy; your request continues by itself shortly.";
}

export function membershipView(m: MembershipItem | null) {
  if (!m) return null;
  return {
    node_id: m.nodeId,
    member_name: m.memberName,
    authorized: m.authorized,
    ipv4: m.ipv4 ?? null,
    ipv6: m.ipv6 ?? null,
    updated_at: m.updatedAt,
  };
}

/**
 * Every route server serving the request's network with this request's state on it
 * (`pending` until its reconcile reports), plus any server that has state but no longer serves
 * the network. The peering addresses (on this network) and ASN are what the member configures
 * on its side.
 */
export function routeServersView(
  config: RuntimeConfig,
  networkId: string,
  syncs: RouteServerSyncItem[],
  servers: RouteServerStateItem[],
  audience: Audience,
) {
  const byId = new Map(syncs.map((s) => [s.routeServerId, s]));
  const serverById = new Map(servers.map((s) => [s.routeServerId, s]));
  /** Why this member is not on the route server yet, when the server itself is the reason. */
  const waiting = (id: string, state: string | undefined) => {
    const server = serverById.get(id);
    if (state === "in_sync" || state === "removed") return {};
    const blocked = server?.condition === "error" || server?.condition === "in_doubt";
    if (!blocked)
      return audience === "admin" ? { route_server_condition: server?.condition ?? "unknown" } : {};
    // Operators get the plain fact; the route server's own error is for admins.
    const plain =
      "This route server cannot be configured right now; your sessions are added by themselves once it is back.";
    return audience === "admin"
      ? {
          waiting_reason: plain,
          route_server_condition: server!.condition,
          route_server_error: server!.lastError ?? null,
          route_server_error_code: server!.lastErrorCode ?? null,
        }
      : { waiting_reason: plain };
  };
  const suffix = splitNetworkId(networkId).suffix;
  const network = config.networks.find((n) => n.suffix === suffix);
  const configured = routeServersOfNetwork(config.route_servers, config.networks, suffix).map((rs) => {
    const s = byId.get(rs.id);
    byId.delete(rs.id);
    const addresses = network ? routeServerAddressesOn(rs, network) : {};
    return {
      route_server_id: rs.id,
      asn: rs.asn,
      peering_ipv4: addresses.ipv4 ?? null,
      peering_ipv6: addresses.ipv6 ?? null,
      state: s?.state ?? "pending",
      last_error: s?.lastError ?? null,
      updated_at: s?.updatedAt ?? null,
      ...waiting(rs.id, s?.state),
    };
  });
  const orphans = [...byId.values()].map((s) => ({
    route_server_id: s.routeServerId,
    asn: null,
    peering_ipv4: null,
    peering_ipv6: null,
    state: s.state,
    last_error: s.lastError ?? null,
    updated_at: s.updatedAt,
  }));
  return [...configured, ...orphans];
}

export function auditView(e: AuditEventItem, audience: Audience) {
  const view = {
    at: e.at,
    action: e.action,
    actor_type: e.actorType,
    from_status: e.fromStatus ?? null,
    to_status: e.toStatus ?? null,
    message: e.message ?? null,
  };
  if (audience === "operator") return view;
  return {
    ...view,
    event_id: e.eventId,
    actor_id: e.actorId ?? null,
    visibility: e.visibility,
    metadata: e.metadata ?? null,
    correlation_id: e.correlationId ?? null,
  };
}
