import {
  type LookingGlassJob,
  type RouteServerConfig,
  routeServersOfNetwork,
  splitNetworkId,
  withLogContext,
} from "@ztix/core";
import { getRequest, type LookingGlassQueryItem, statusEntities } from "@ztix/data";
import { type BirdRoute, LookingGlass } from "@ztix/route-servers";
import {
  encodeLookingGlassRoutes,
  LOOKING_GLASS_MAX_ROUTES,
  type LookingGlassRouteView,
  memberSessionProtocols,
} from "@ztix/workflow";
import type { WorkerDeps } from "../deps.ts";
import type { JobOutcome } from "../process-job.ts";

/** The longest one looking-glass command may take on the route server. */
const QUERY_TIME_LIMIT_MS = 15_000;

/** A BIRD route as the looking glass shows it: no session name, no other member's identity. */
export function routeView(r: BirdRoute): LookingGlassRouteView {
  return {
    prefix: r.prefix,
    family: r.prefix.includes(":") ? "ipv6" : "ipv4",
    next_hop: r.bgpNextHop[0] ?? r.gateways[0]?.address ?? null,
    as_path: r.asPath,
    communities: r.communities.map(([a, b]) => `${a}:${b}`),
    large_communities: r.largeCommunities.map(([a, b, c]) => `${a}:${b}:${c}`),
    filtered: r.filtered,
    reasons: (r.tags?.reasons ?? []).map(({ code, text }) => ({ code, text })),
    info: (r.tags?.info ?? []).map(({ code, text }) => ({ code, text })),
  };
}

class QueryFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs one stored query against the route server, on the member's own sessions only: the
 * protocols come from the desired state of the query's request, never from the query.
 * `received`: what its sessions sent (refused routes first, with their reasons, then accepted);
 * `filtered`: only the refused ones; `exported`: what the route server sends it; `lookup`: the
 * prefix among its own received routes and among what is exported to it.
 */
async function prepare(deps: WorkerDeps, query: LookingGlassQueryItem) {
  const request = await getRequest(deps.data, query.requestId);
  if (!request) return new QueryFailure("not_on_route_servers", "the request is gone");
  const rs = routeServersOfNetwork(
    deps.config.route_servers,
    deps.config.networks,
    splitNetworkId(request.networkId).suffix,
  ).find((r) => r.id === query.routeServerId);
  if (!rs)
    return new QueryFailure("not_found", `route server ${query.routeServerId} does not serve this network`);
  const own = await memberSessionProtocols(deps.data, request);
  if (!own)
    return new QueryFailure("not_on_route_servers", `request ${request.requestId} is ${request.status}`);
  return { rs, protocols: own.map((p) => p.protocol) };
}

async function runQuery(
  deps: WorkerDeps,
  query: LookingGlassQueryItem,
  { rs, protocols }: { rs: RouteServerConfig; protocols: string[] },
): Promise<{ routes: BirdRoute[]; truncated: boolean; observedAt: string }> {
  const limits = { maxRoutes: LOOKING_GLASS_MAX_ROUTES, timeLimitMs: QUERY_TIME_LIMIT_MS };
  const clock = () => deps.now().getTime();
  const connection = deps.connections.get(rs);
  const lg = new LookingGlass(connection, rs, limits, clock);
  if (query.view === "lookup") return lg.memberLookup(query.prefix ?? "", protocols);
  if (protocols.length === 0) return { routes: [], truncated: false, observedAt: deps.now().toISOString() };
  if (query.view === "exported") return lg.exportedRoutes(protocols);
  const received = await lg.receivedRoutes(protocols);
  if (query.view === "received") return received;
  const filtered = received.routes.filter((r) => r.filtered);
  // Refused routes come first: once an accepted one made it in, none refused was cut.
  const truncated = received.truncated && !received.routes.some((r) => !r.filtered);
  return { routes: filtered, truncated, observedAt: received.observedAt };
}

/** Runs a looking-glass query and stores its answer (or why there is none) on its record. */
export async function runLookingGlassQuery(
  deps: WorkerDeps,
  job: LookingGlassJob,
): Promise<"done" | "failed" | "skipped"> {
  const { lookingGlassQuery } = statusEntities(deps.data);
  const query = (await lookingGlassQuery.get({ queryId: job.queryId }).go({ consistent: true })).data;
  // The message names the query; what runs, and for whom, is the record's.
  if (
    !query ||
    query.requestId !== job.requestId ||
    query.routeServerId !== job.routeServerId ||
    query.status !== "pending"
  ) {
    return "skipped";
  }
  // Our own storage failing here is redelivered; the route server's failure is the answer.
  const target = await prepare(deps, query);
  let answer: Awaited<ReturnType<typeof runQuery>>;
  try {
    if (target instanceof QueryFailure) throw target;
    answer = await runQuery(deps, query, target);
  } catch (e) {
    const code = e instanceof QueryFailure ? e.code : (e as { code?: unknown }).code;
    const errorCode = typeof code === "string" ? code : "looking_glass_unavailable";
    const at = deps.now().toISOString();
    deps.log.warn("looking-glass query failed", { errorCode, view: query.view, err: e });
    await lookingGlassQuery
      .patch({ queryId: query.queryId })
      .set({
        status: "failed",
        errorCode,
        errorMessage: (e instanceof Error ? e.message : String(e)).slice(0, 1000),
        updatedAt: at,
      })
      .go({ response: "none" });
    return "failed";
  }
  const views = answer.routes.slice(0, LOOKING_GLASS_MAX_ROUTES).map(routeView);
  const stored = encodeLookingGlassRoutes(views);
  await lookingGlassQuery
    .patch({ queryId: query.queryId })
    .set({
      status: "done",
      routesGz: stored.routesGz,
      routeCount: stored.kept,
      truncated: answer.truncated || stored.truncated || answer.routes.length > LOOKING_GLASS_MAX_ROUTES,
      collectedAt: answer.observedAt,
      updatedAt: deps.now().toISOString(),
    })
    .go({ response: "none" });
  return "done";
}

/** The queue job: a failure of our own storage is redelivered; the route server's is the answer. */
export function processLookingGlass(deps: WorkerDeps, job: LookingGlassJob): Promise<JobOutcome> {
  const correlationId = job.correlationId ?? `looking-glass-${job.queryId}`;
  return withLogContext({ requestId: job.requestId, correlationId }, async (): Promise<JobOutcome> => {
    try {
      const result = await runLookingGlassQuery(deps, job);
      return result === "skipped"
        ? { action: "ack", result: "skipped", reason: "looking_glass_stale" }
        : { action: "ack", result: "refreshed", reason: `looking_glass_${result}` };
    } catch (e) {
      deps.log.error("looking-glass query could not be stored; retried by redelivery", { err: e });
      return { action: "retry", reason: "looking_glass_failed" };
    }
  });
}

/** A dead-lettered query: its asker is told it failed (best effort), then it is dropped. */
export async function failDeadLetteredQuery(deps: WorkerDeps, job: LookingGlassJob): Promise<void> {
  const at = deps.now().toISOString();
  await statusEntities(deps.data)
    .lookingGlassQuery.patch({ queryId: job.queryId })
    .set({
      status: "failed",
      errorCode: "looking_glass_unavailable",
      errorMessage: "the worker could not run this query",
      updatedAt: at,
    })
    .where(({ status }, { eq }) => eq(status, "pending"))
    .go({ response: "none" })
    .catch(() => undefined);
}
