/**
 * The shapes the SPA reads from /api/v1 (snake_case, as the API sends them). Kept in one
 * place so a change in the API is one edit here plus whatever screen shows the field.
 */

export type RequestStatus =
  | "pending"
  | "approved"
  | "rejected"
  | "cancelled"
  | "provisioning"
  | "active"
  | "failed"
  | "deprovisioning"
  | "removed";

export const requestStatuses: readonly RequestStatus[] = [
  "pending",
  "approved",
  "provisioning",
  "active",
  "failed",
  "deprovisioning",
  "removed",
  "rejected",
  "cancelled",
];

/**
 * Statuses where nothing happens until someone acts: polling stops there. (An active
 * membership can still be left or removed, but only by a person on a page that reloads.)
 */
export const finalStatuses: ReadonlySet<RequestStatus> = new Set([
  "active",
  "rejected",
  "cancelled",
  "removed",
]);

export interface AsnRef {
  asn: number;
  name?: string | null;
}

export interface Me {
  user: {
    id: string;
    username?: string | null;
    display_name?: string | null;
    source?: string;
  };
  is_admin: boolean;
  asns: AsnRef[];
}

export interface AuthMethods {
  local: boolean;
  peeringdb: boolean;
}

export interface IxNetwork {
  zt_network_id: string;
  name: string;
  description?: string | null;
  ipv4_prefix?: string | null;
  ipv6_prefix?: string | null;
}

export interface RequestSummary {
  request_id: string;
  status: RequestStatus;
  asn: number;
  asn_name?: string | null;
  zt_network_id: string;
  node_id: string;
  created_at: string;
  updated_at?: string;
}

export interface OnboardingContext {
  asns: AsnRef[];
  networks: IxNetwork[];
  open_requests: RequestSummary[];
}

export interface Membership {
  ipv4?: string | null;
  ipv6?: string | null;
  authorized?: boolean;
  member_name?: string;
}

/** A route server the member peers with: its side of the BGP sessions, and this request's sync state on it. */
export interface RouteServerState {
  route_server_id: string;
  state: "pending" | "in_sync" | "failed" | "removed" | (string & {});
  last_error?: string | null;
  /** Set when the route server itself is why the member is not there yet (plain words). */
  waiting_reason?: string;
  /** Admin view only: what the route server's last reconcile ran into. */
  route_server_condition?: string;
  route_server_error?: string | null;
  route_server_error_code?: string | null;
  asn?: number | null;
  peering_ipv4?: string | null;
  peering_ipv6?: string | null;
  updated_at?: string | null;
}

export interface AuditEvent {
  event_id?: string;
  at: string;
  action: string;
  actor_type?: string;
  actor_id?: string | null;
  from_status?: string | null;
  to_status?: string | null;
  message?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface RequestDetail extends RequestSummary {
  /** What it waits on while it cannot progress, in plain words (`waiting_detail` for admins). */
  waiting_on?: string | null;
  waiting_reason?: string | null;
  waiting_since?: string | null;
  waiting_detail?: string | null;
  removal_reason?: string | null;
  removed_at?: string | null;
  replaces_request_id?: string | null;
  replaced_by_request_id?: string | null;
  notes?: string | null;
  reject_reason?: string | null;
  last_error?: { code: string; message?: string | null } | null;
  attempt?: number;
  decided_at?: string | null;
  approved_at?: string | null;
  active_at?: string | null;
  /** Admin view only. */
  user_id?: string;
  decided_by?: string | null;
  correlation_id?: string;
  membership?: Membership | null;
  route_servers: RouteServerState[];
  audit: AuditEvent[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface AdminFilters {
  status?: string;
  asn?: string;
  zt_network_id?: string;
  min_age_minutes?: string;
  /** Page size (the API's default when absent); only settable through the URL. */
  limit?: string;
  cursor?: string;
}

/** A route server as its reconciles recorded it (admin page). */
export interface RouteServerSummary {
  route_server_id: string;
  asn: number;
  networks: string[];
  peering_ipv4: string[];
  peering_ipv6: string[];
  condition: "unknown" | "in_sync" | "drifted" | "in_doubt" | "error";
  revision: number;
  member_count: number | null;
  last_reconcile_at: string | null;
  reconcile_pending: boolean;
  last_change: { added?: number; changed?: number; removed?: number; policy?: boolean } | null;
  last_error: string | null;
  last_error_code: string | null;
  last_error_stage: string | null;
  last_error_at: string | null;
  rollback_error: string | null;
  rollback_error_at: string | null;
  in_doubt_reason: string | null;
  in_doubt_until: string | null;
}
