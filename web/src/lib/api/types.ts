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
  | "failed";

export const requestStatuses: readonly RequestStatus[] = [
  "pending",
  "approved",
  "provisioning",
  "active",
  "failed",
  "rejected",
  "cancelled",
];

/** Statuses a request never leaves: polling stops there. */
export const finalStatuses: ReadonlySet<RequestStatus> = new Set(["active", "rejected", "cancelled"]);

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
  state: "pending" | "applying" | "in_sync" | "failed" | "removed" | (string & {});
  last_error?: string | null;
  last_error_stage?: string | null;
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
