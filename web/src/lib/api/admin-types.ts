import type { Person, RequestDetail, RequestStatus } from "./types.ts";

/** The ASN's PeeringDB record as the worker cached it (GET /admin/requests/{id} → context.peeringdb). */
export interface PeeringDbContext {
  /** False: no lookup answered yet (`refresh_path` asks for one). */
  cached: boolean;
  /** PeeringDB's answer: true (a record), false ("no such network"), null (never answered). */
  found: boolean | null;
  record: {
    name: string;
    aka: string | null;
    org_name: string | null;
    policy_general: string | null;
    policy_url: string | null;
    info_prefixes4: number | null;
    info_prefixes6: number | null;
    irr_as_set: string | null;
    info_never_via_route_servers: boolean;
    /** When PeeringDB last changed the record. */
    updated: string | null;
  } | null;
  fetched_at: string | null;
  last_success_at: string | null;
  age_seconds: number | null;
  last_error_code: string | null;
  last_failure_at: string | null;
  failures: number;
  /** Whether the exchange looks PeeringDB up at all (`peeringdb_api.enabled`). */
  lookups_enabled: boolean;
  /** POST here to queue a lookup of the ASN now. */
  refresh_path: string;
}

/** One of the ASN's other requests or memberships. */
export interface AsnRequest {
  request_id: string;
  status: RequestStatus;
  zt_network_id: string;
  zt_network_name: string | null;
  node_id: string;
  created_at: string;
  active_at: string | null;
  requester: Person;
}

/** Whether the request's node asked the controller to join (what the worker's checks found). */
export interface NodeCheck {
  /** null: no check got an answer yet. */
  seen: boolean | null;
  /** The first check that saw the node's request. */
  seen_at: string | null;
  checked_at: string | null;
  /** What the controller holds for the node on this network. */
  controller_member: "absent" | "unauthorized" | "authorized" | null;
  check_requested_at: string | null;
  /** The next "check again" is queued from this instant (null: now). */
  next_check_at: string | null;
}

export interface DecisionContext {
  peeringdb: PeeringDbContext;
  asn_requests: { items: AsnRequest[]; truncated: boolean };
  node: NodeCheck;
}

/** The admin detail: the request as every page shows it, plus what an admin decides on. */
export interface AdminRequestDetail extends RequestDetail {
  context: DecisionContext | null;
}

/** POST /admin/requests/{id}/inspect. */
export interface InspectAnswer {
  request_id: string;
  /** False when a check was asked for less than 30 s ago (that one stands). */
  queued: boolean;
  requested_at: string;
  retry_after_seconds: number;
  policy_data_queued: boolean;
  node: NodeCheck;
}
