import {
  operatorFailureMessage,
  operatorWaitMessage,
  type RuntimeConfig,
  routeServerAddressesOn,
  routeServersOfNetwork,
  splitNetworkId,
  waitReasonCode,
} from "@ztix/core";
import type {
  AuditEventItem,
  JoinRequestItem,
  MembershipItem,
  RouteServerStateItem,
  RouteServerSyncItem,
  UserItem,
} from "@ztix/data";

/** Who is looking: operators see less than admins (no user ids, no admin-only events). */
export type Audience = "operator" | "admin";

/** The parts of the runtime config views read: the IX networks and their route servers. */
export type ViewConfig = Pick<RuntimeConfig, "networks" | "route_servers">;

/** The configured IX network a request is for (matched by the network id's suffix). */
function configuredNetwork(config: Pick<ViewConfig, "networks">, networkId: string) {
  const suffix = splitNetworkId(networkId).suffix;
  return config.networks.find((n) => n.suffix === suffix);
}

/**
 * The IX network of a request as its detail pages show it: its configured name, how many
 * route servers serve it (none: members peer directly, and nothing mentions route servers),
 * and what a member's interface needs: the LAN prefixes (their lengths go with the member's
 * addresses) and the MTU.
 */
export function networkView(config: ViewConfig, networkId: string) {
  const network = configuredNetwork(config, networkId);
  const suffix = splitNetworkId(networkId).suffix;
  return {
    zt_network_id: networkId,
    name: network?.name ?? null,
    description: network?.description || null,
    route_server_count: routeServersOfNetwork(config.route_servers, config.networks, suffix).length,
    mtu: network?.mtu ?? null,
    ipv4_prefix: network?.ipv4.prefix ?? null,
    ipv6_prefix: network?.ipv6?.prefix ?? null,
  };
}

/**
 * The error a request carries. Admins read the stored code and detail (hosts, ports, BIRD's
 * words: what they act on); operators read the code with a plain sentence chosen by it alone.
 */
function lastError(r: JoinRequestItem, audience: Audience) {
  const code = r.lastErrorCode!;
  return {
    code,
    message: audience === "admin" ? (r.lastErrorMessage ?? null) : operatorFailureMessage(code),
  };
}

/** A request as the API shows it (snake_case, absent values as null). */
export function requestView(r: JoinRequestItem, audience: Audience, config: Pick<ViewConfig, "networks">) {
  const view = {
    request_id: r.requestId,
    asn: r.asn,
    asn_name: r.asnName ?? null,
    zt_network_id: r.networkId,
    zt_network_name: configuredNetwork(config, r.networkId)?.name ?? null,
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
    last_error: r.lastErrorCode && r.status === "failed" ? lastError(r, "operator") : null,
    // What the request waits on while it cannot progress; operators get plain words.
    waiting_on: r.waitingOn ?? null,
    waiting_reason: r.waitingOn ? plainWait(r.waitingOn, r.waitingReason) : null,
    waiting_since: r.waitingSince ?? null,
    removal_reason: r.removalReason ?? null,
    removed_at: r.removedAt ?? null,
    addresses_released_at: r.addressesReleasedAt ?? null,
    replaces_request_id: r.replacesRequestId ?? null,
    replaced_by_request_id: r.replacedByRequestId ?? null,
  };
  if (audience === "operator") return view;
  return {
    ...view,
    last_error: r.lastErrorCode ? lastError(r, "admin") : null,
    user_id: r.userId,
    decided_by: r.decidedBy ?? null,
    correlation_id: r.correlationId,
    enqueued_at: r.enqueuedAt ?? null,
    waiting_detail: r.waitingReason ?? null,
  };
}

/**
 * What an operator reads about a wait: the fact and that it resolves itself, no internals.
 * The stored reason starts with the error code when a failure caused the wait; that code picks
 * the words. Otherwise what it waits on does.
 */
function plainWait(on: string, reason: string | undefined): string {
  const code = waitReasonCode(reason);
  if (code) return operatorWaitMessage(code);
  if (on === "controller") {
    return "The exchange's ZeroTier controller is unavailable right now; your request will continue automatically once it is back.";
  }
  if (on.startsWith("route_server:")) {
    return "A route server is being updated or is unavailable; your request will continue automatically once it is back.";
  }
  return "The exchange's systems are busy; your request will continue automatically shortly.";
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
  config: ViewConfig,
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
  /** What BIRD said when it refused the member is for admins; operators read the fact. */
  const refusal = (s: RouteServerSyncItem | undefined) => {
    if (!s?.lastError) return null;
    if (audience === "admin") return s.lastError;
    return s.state === "failed"
      ? "This route server refused the configuration made for your membership; the exchange team sees why."
      : null;
  };
  const suffix = splitNetworkId(networkId).suffix;
  const network = configuredNetwork(config, networkId);
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
      last_error: refusal(s),
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
    last_error: refusal(s),
    updated_at: s.updatedAt,
  }));
  return [...configured, ...orphans];
}

/** An audit event; admins also get its actor's name when `people` knows them. */
export function auditView(
  e: AuditEventItem,
  audience: Audience,
  people: ReadonlyMap<string, UserItem> = new Map(),
) {
  const view = {
    at: e.at,
    action: e.action,
    actor_type: e.actorType,
    from_status: e.fromStatus ?? null,
    to_status: e.toStatus ?? null,
    message: e.message ?? null,
  };
  // A failure's event names its code; operators read what it means instead.
  const code = e.metadata?.code;
  if (audience === "operator" && e.action === "request.fail" && typeof code === "string")
    return { ...view, message: `Provisioning stopped: ${operatorFailureMessage(code)}` };
  if (audience === "operator") return view;
  return {
    ...view,
    event_id: e.eventId,
    actor_id: e.actorId ?? null,
    actor_name: (e.actorId && people.get(e.actorId)?.displayName) || null,
    visibility: e.visibility,
    metadata: e.metadata ?? null,
    correlation_id: e.correlationId ?? null,
  };
}

/** A person as admin pages name them: display name and how they sign in, with the id. */
export function personView(userId: string, user: UserItem | undefined) {
  return {
    user_id: userId,
    display_name: user?.displayName ?? null,
    username: user?.username ?? null,
    source: user?.source ?? null,
  };
}

/**
 * Who decided a request (`decidedBy` is `admin:<id>`, `user:<id>` or `system:policy`): the
 * person, when a person did.
 */
export function deciderView(decidedBy: string | undefined, users: ReadonlyMap<string, UserItem>) {
  if (!decidedBy) return null;
  const [kind, id] = splitActor(decidedBy);
  const user = kind === "admin" || kind === "user" ? users.get(id) : undefined;
  return { kind, id, display_name: user?.displayName ?? null };
}

/** `admin:abc` → ["admin", "abc"]; an id with no kind is a user's. */
export function splitActor(actor: string): [string, string] {
  const at = actor.indexOf(":");
  return at < 0 ? ["user", actor] : [actor.slice(0, at), actor.slice(at + 1)];
}
