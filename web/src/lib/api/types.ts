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

/** A person as admin pages name them (never only by id). */
export interface Person {
  user_id: string;
  display_name: string | null;
  username?: string | null;
  source?: "local" | "peeringdb" | null;
}

export interface RequestSummary {
  request_id: string;
  status: RequestStatus;
  asn: number;
  asn_name?: string | null;
  zt_network_id: string;
  /** The IX network's configured name (null if the network is no longer configured). */
  zt_network_name?: string | null;
  node_id: string;
  created_at: string;
  updated_at?: string;
  /** Admin listings only: who asked. */
  requester?: Person | null;
}

/** The IX network of a request, as its detail pages show it. */
export interface NetworkFacts {
  zt_network_id: string;
  name: string | null;
  description?: string | null;
  /** How many route servers serve the network; 0 means members peer directly. */
  route_server_count: number;
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
  /** Admin view only: the actor's display name, when the actor is a person. */
  actor_name?: string | null;
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
  /** When the addresses went back to the pool (a removal, or a request that stayed failed). */
  addresses_released_at?: string | null;
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
  /** Admin view only: the person behind `decided_by` (null display name for the policy). */
  decider?: { kind: string; id: string; display_name: string | null } | null;
  correlation_id?: string;
  network?: NetworkFacts | null;
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
