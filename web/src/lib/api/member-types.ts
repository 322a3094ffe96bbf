/**
 * What a member reads about its own peering (snake_case, as the API sends it): router
 * snippets, the route servers' policy for its routes, live BGP state and the looking glass.
 */

import type { NetworkFacts } from "./types.ts";

/** The request detail's network with the facts a router's interface needs. */
export interface PeeringNetwork extends NetworkFacts {
  mtu?: number | null;
  ipv4_prefix?: string | null;
  ipv6_prefix?: string | null;
}

export type Family = "ipv4" | "ipv6";
export type LimitSource = "override" | "peeringdb" | "default";

export interface MemberLimit {
  limit: number;
  source: LimitSource;
}

/** `GET /requests/{id}/snippets`. */
export interface RequestSnippets {
  request_id: string;
  network: { zt_network_id: string; name: string; mtu: number };
  member: { asn: number; ipv4: string | null; ipv6: string | null };
  limits: { ipv4: MemberLimit | null; ipv6: MemberLimit | null };
  route_servers: { route_server_id: string; asn: number; ipv4: string | null; ipv6: string | null }[];
  snippets: Record<SnippetPlatform, string>;
}

export type SnippetPlatform = "bird" | "frr" | "junos" | "iosxr" | "routeros";

/** The platforms in the order the tabs show them, with the names routers go by. */
export const snippetPlatforms: readonly { id: SnippetPlatform; label: string }[] = [
  { id: "bird", label: "BIRD 2" },
  { id: "frr", label: "FRR" },
  { id: "junos", label: "Junos" },
  { id: "iosxr", label: "Cisco IOS-XR" },
  { id: "routeros", label: "MikroTik RouterOS 7" },
];

export interface ActionCommunity {
  action: string;
  description: string;
  large: string;
  standard: string | null;
}

export interface CommunitySet {
  route_server_asn: number;
  actions: ActionCommunity[];
  blackhole: { community: string; families: Family[]; description: string } | null;
  note: string;
}

export interface ImportFilters {
  prefix_length: { ipv4: [number, number]; ipv6: [number, number] };
  as_path_max_length: number;
  first_as_must_be_member: boolean;
  next_hop_must_be_member: boolean;
  bogon_prefixes_and_asns: boolean;
  documentation_resources_allowed: boolean;
  peering_lan_prefixes: boolean;
  rpki_invalid_rejected: boolean;
  transit_free_asns: number[];
  never_via_route_servers: boolean;
  graceful_shutdown: boolean;
  blackhole_max_length: { ipv4: number; ipv6: number };
  restart_wait_seconds: [number, number];
}

export interface IrrObject {
  target: string;
  built: boolean;
  prefixes_ipv4: number;
  prefixes_ipv6: number;
  stale: boolean;
  last_success_at: string | null;
  age_seconds: number | null;
  last_error_code: string | null;
  last_failure_at: string | null;
}

/** `GET /requests/{id}/policy`: what the route servers apply to the member's routes. */
export interface MemberPolicy {
  request_id: string;
  limits: { ipv4: MemberLimit; ipv6: MemberLimit };
  route_servers?: { route_server_id: string; asn: number }[];
  filters?: ImportFilters;
  communities?: CommunitySet[];
  override: {
    max_prefix_ipv4: number | null;
    max_prefix_ipv6: number | null;
    irr_as_sets: string[] | null;
    at: string | null;
    note: string | null;
  } | null;
  peeringdb: {
    found: boolean | null;
    last_success_at: string | null;
    age_seconds: number | null;
    last_error_code: string | null;
  } | null;
  irr: {
    mode: "off" | "tag" | "strict";
    rpki_valid_stands_in: boolean;
    source: "override" | "peeringdb" | "asn";
    objects: IrrObject[];
  };
}

export interface SessionRoutes {
  received: number | null;
  accepted: number | null;
  filtered: number | null;
  exported: number | null;
}

/** One BGP session of the member on a route server, in one address family. */
export interface MemberSession {
  family: Family;
  protocol: string;
  /** BGP's state as BIRD names it: Established, Active, Idle, Connect, OpenSent… */
  state: string;
  established: boolean;
  since: string | null;
  /** BIRD's last error or info line ("Received: Hold timer expired"). */
  info: string | null;
  routes: SessionRoutes;
  receive_limit: number | null;
  limit_hit: boolean;
}

export interface RouteServerSessions {
  route_server_id: string;
  asn: number;
  /** The member's file is applied on this route server (its config carries the sessions). */
  configured: boolean;
  /** When the state below was read from the route server; null: never yet. */
  collected_at: string | null;
  age_seconds: number | null;
  /** Whether the last collection reached the route server. */
  reachable: boolean | null;
  sessions: MemberSession[];
}

/** `GET /requests/{id}/sessions`. */
export interface MemberSessions {
  route_servers: RouteServerSessions[];
}

export type LookingGlassView = "received" | "filtered" | "exported" | "lookup";

export interface Coded {
  code: number | string;
  text: string;
}

export interface LookingGlassRoute {
  prefix: string;
  family: Family;
  next_hop: string | null;
  as_path: number[];
  /** `65535:666` or `[65535, 666]`; the SPA prints either as `a:b`. */
  communities: Array<string | number[]>;
  large_communities: Array<string | number[]>;
  filtered: boolean;
  reasons: Coded[];
  info: Coded[];
}

/** `GET /requests/{id}/looking-glass/{query_id}`. */
export interface LookingGlassResult {
  query_id?: string;
  status: "pending" | "done" | "failed";
  routes: LookingGlassRoute[];
  truncated: boolean;
  collected_at: string | null;
  error: string | { code?: string; message?: string } | null;
}
