import { query, request } from "./client.ts";
import { ApiError } from "./errors.ts";
import type {
  LookingGlassResult,
  LookingGlassView,
  MemberPolicy,
  MemberSessions,
  RequestSnippets,
} from "./member-types.ts";
import type {
  AdminFilters,
  AuthMethods,
  Me,
  OnboardingContext,
  Page,
  RequestDetail,
  RequestSummary,
  RouteServerSummary,
} from "./types.ts";

export { ApiError, describeError } from "./errors.ts";
export * from "./member-types.ts";
export * from "./types.ts";

/** List answers name their array after the resource; the screens want `items`. */
function page<T>(body: Record<string, unknown>, key: string): Page<T> {
  const items = (body[key] ?? body.items ?? []) as T[];
  return { items, next_cursor: (body.next_cursor as string | null | undefined) ?? null };
}

/** Detail answers may nest the request (`{request, membership, ...}`) or be flat. */
function detail(body: Record<string, unknown>): RequestDetail {
  const base = (body.request ?? body) as Record<string, unknown>;
  return {
    ...(base as unknown as RequestDetail),
    network: (body.network ?? base.network ?? null) as RequestDetail["network"],
    membership: (body.membership ?? base.membership ?? null) as RequestDetail["membership"],
    route_servers: (body.route_servers ?? base.route_servers ?? []) as RequestDetail["route_servers"],
    audit: (body.events ?? body.audit ?? base.audit ?? []) as RequestDetail["audit"],
  };
}

/** Who reads a request's peering: its operator, or an admin (through the admin routes). */
export type Viewer = "operator" | "admin";

function peeringBase(as: Viewer, id: string): string {
  return `${as === "admin" ? "/admin" : ""}/requests/${encodeURIComponent(id)}`;
}

export const api = {
  /** The signed-in user, or null when signed out. */
  async me(): Promise<Me | null> {
    try {
      return await request<Me>("GET", "/auth/me");
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },
  async methods(): Promise<AuthMethods> {
    // `{peeringdb: {enabled}, local: {enabled}}`
    const body = await request<Record<string, { enabled?: boolean } | undefined>>("GET", "/auth/methods");
    return { local: Boolean(body.local?.enabled), peeringdb: Boolean(body.peeringdb?.enabled) };
  },
  loginLocal: (username: string, password: string) =>
    request<unknown>("POST", "/auth/local/login", { username, password }),
  startPeeringdb: () => request<{ authorization_url: string }>("POST", "/auth/peeringdb/start", {}),
  /** `iss` is the issuer PeeringDB names in its redirect (RFC 9207): the API checks it. */
  completePeeringdb: (code: string, state: string, iss: string | null) =>
    request<unknown>(
      "POST",
      "/auth/peeringdb/callback",
      iss === null ? { code, state } : { code, state, iss },
    ),
  logout: () => request<unknown>("POST", "/auth/logout", {}),

  onboarding: () => request<OnboardingContext>("GET", "/onboarding/context"),
  async createRequest(input: { asn: number; zt_network_id: string; node_id: string; notes?: string }) {
    const body = await request<Record<string, unknown>>("POST", "/requests", input);
    return detail(body);
  },
  async myRequests(cursor?: string | null): Promise<Page<RequestSummary>> {
    return page(await request("GET", `/requests${query({ cursor })}`), "requests");
  },
  async request(id: string): Promise<RequestDetail> {
    return detail(await request("GET", `/requests/${encodeURIComponent(id)}`));
  },
  cancel: (id: string) => request<unknown>("POST", `/requests/${encodeURIComponent(id)}/cancel`, {}),
  leave: (id: string) => request<unknown>("POST", `/requests/${encodeURIComponent(id)}/leave`, {}),
  async replaceNode(id: string, nodeId: string): Promise<RequestDetail> {
    return detail(
      await request<Record<string, unknown>>("POST", `/requests/${encodeURIComponent(id)}/replace-node`, {
        node_id: nodeId,
      }),
    );
  },

  // A member's own peering: snippets, policy, live sessions, looking glass (404 for others'
  // requests). Admins read any request's through the same calls with `as: "admin"`.
  snippets: (id: string) => request<RequestSnippets>("GET", `/requests/${encodeURIComponent(id)}/snippets`),
  policy: (id: string) => request<MemberPolicy>("GET", `/requests/${encodeURIComponent(id)}/policy`),
  sessions: (id: string, as: Viewer = "operator") =>
    request<MemberSessions>("GET", `${peeringBase(as, id)}/sessions`),
  refreshSessions: (id: string, as: Viewer = "operator") =>
    request<unknown>("POST", `${peeringBase(as, id)}/sessions/refresh`, {}),
  lookingGlass: (
    id: string,
    query: { route_server_id: string; view: LookingGlassView; prefix?: string },
    as: Viewer = "operator",
  ) =>
    request<{ query_id: string; status: LookingGlassResult["status"] }>(
      "POST",
      `${peeringBase(as, id)}/looking-glass`,
      query,
    ),
  lookingGlassResult: (id: string, queryId: string, as: Viewer = "operator") =>
    request<LookingGlassResult>("GET", `${peeringBase(as, id)}/looking-glass/${encodeURIComponent(queryId)}`),

  async adminRequests(filters: AdminFilters): Promise<Page<RequestSummary>> {
    return page(await request("GET", `/admin/requests${query({ ...filters })}`), "requests");
  },
  async adminRequest(id: string): Promise<RequestDetail> {
    return detail(await request("GET", `/admin/requests/${encodeURIComponent(id)}`));
  },
  approve: (id: string) => request<unknown>("POST", `/admin/requests/${encodeURIComponent(id)}/approve`, {}),
  reject: (id: string, reason: string) =>
    request<unknown>("POST", `/admin/requests/${encodeURIComponent(id)}/reject`, { reason }),
  retry: (id: string) => request<unknown>("POST", `/admin/requests/${encodeURIComponent(id)}/retry`, {}),
  remove: (id: string, reason: string) =>
    request<unknown>("POST", `/admin/requests/${encodeURIComponent(id)}/remove`, { reason }),

  async routeServers(): Promise<RouteServerSummary[]> {
    return (await request<{ items: RouteServerSummary[] }>("GET", "/admin/route-servers")).items;
  },
  reconcile: (id: string) =>
    request<{ route_server_id: string; requested_at: string }>(
      "POST",
      `/admin/route-servers/${encodeURIComponent(id)}/reconcile`,
      {},
    ),
};
