import type { RuntimeConfig } from "@ztix/core";
import type { AuditEventItem, JoinRequestItem, MembershipItem, RouteServerSyncItem } from "@ztix/data";

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
  };
  if (audience === "operator") return view;
  return {
    ...view,
    last_error: r.lastErrorCode ? lastError(r) : null,
    user_id: r.userId,
    decided_by: r.decidedBy ?? null,
    correlation_id: r.correlationId,
    enqueued_at: r.enqueuedAt ?? null,
  };
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
 * Every configured route server with this request's sync state on it (`pending` until the
 * worker reports), plus any server that has state but left the config. The peering addresses
 * and ASN are what the member configures on its side.
 */
export function routeServersView(config: RuntimeConfig, syncs: RouteServerSyncItem[]) {
  const byId = new Map(syncs.map((s) => [s.routeServerId, s]));
  const configured = config.route_servers.map((rs) => {
    const s = byId.get(rs.id);
    byId.delete(rs.id);
    return {
      route_server_id: rs.id,
      asn: rs.asn,
      peering_ipv4: rs.peering_ipv4 ?? null,
      peering_ipv6: rs.peering_ipv6 ?? null,
      state: s?.state ?? "pending",
      last_error_stage: s?.lastErrorStage ?? null,
      last_error: s?.lastError ?? null,
      updated_at: s?.updatedAt ?? null,
    };
  });
  const orphans = [...byId.values()].map((s) => ({
    route_server_id: s.routeServerId,
    asn: null,
    peering_ipv4: null,
    peering_ipv6: null,
    state: s.state,
    last_error_stage: s.lastErrorStage ?? null,
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
