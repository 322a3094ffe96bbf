import { randomUUID } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { enqueueLookingGlass } from "@ztix/aws";
import { AppError } from "@ztix/core";
import {
  type DataService,
  type JoinRequestItem,
  type LookingGlassQueryItem,
  type LookingGlassView,
  lookingGlassViews,
  routeServerMemberKey,
  statusEntities,
} from "@ztix/data";
import { LookingGlassError, parseLookupTarget } from "@ztix/route-servers/looking-glass-inputs";
import { memberProtocolName } from "@ztix/route-servers/names";
import { z } from "zod";
import type { WorkflowDeps } from "./deps.ts";
import { requestForViewer, routeServersOfRequest, type Viewer } from "./sessions.ts";

/** Queries per user per minute (every view and route server counts). */
export const LOOKING_GLASS_QUERIES_PER_MINUTE = 10;
const THROTTLE_WINDOW_SECONDS = 60;
/** A stored query (and its answer) lives about this long. */
export const LOOKING_GLASS_TTL_SECONDS = 3600;
/** Routes per answer; more are left out and the answer says `truncated`. */
export const LOOKING_GLASS_MAX_ROUTES = 500;
/** The stored answer's size (base64 of gzip'd JSON), well under DynamoDB's 400 KB item. */
export const LOOKING_GLASS_MAX_STORED_CHARS = 300_000;
/** A query still pending after this long is answered as failed: its job was lost or is stuck. */
export const LOOKING_GLASS_PENDING_LIMIT_SECONDS = 120;

/** `POST /requests/{id}/looking-glass`. */
export const lookingGlassQuerySchema = z
  .strictObject({
    route_server_id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "not a route server id"),
    view: z.enum(lookingGlassViews),
    /** For `lookup`: an IP address or prefix. */
    prefix: z.string().trim().min(1).max(64).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.view === "lookup" && v.prefix === undefined) {
      ctx.addIssue({ code: "custom", path: ["prefix"], message: "a lookup needs an IP address or prefix" });
    }
    if (v.view !== "lookup" && v.prefix !== undefined) {
      ctx.addIssue({ code: "custom", path: ["prefix"], message: "only a lookup takes a prefix" });
    }
  });
export type LookingGlassQueryInput = z.infer<typeof lookingGlassQuerySchema>;

/** One route as the looking glass shows it; never names the session it came from. */
export interface LookingGlassRouteView {
  prefix: string;
  family: "ipv4" | "ipv6";
  next_hop: string | null;
  as_path: number[];
  communities: string[];
  large_communities: string[];
  filtered: boolean;
  reasons: { code: number; text: string }[];
  info: { code: number; text: string }[];
}

/** The stored answer: JSON, gzip'd, base64; routes dropped from the end until it fits. */
export function encodeLookingGlassRoutes(
  routes: readonly LookingGlassRouteView[],
  maxChars = LOOKING_GLASS_MAX_STORED_CHARS,
): { routesGz: string; kept: number; truncated: boolean } {
  let kept = routes.length;
  for (;;) {
    const gz = gzipSync(JSON.stringify(routes.slice(0, kept)), { level: 6 }).toString("base64");
    if (gz.length <= maxChars || kept === 0) return { routesGz: gz, kept, truncated: kept < routes.length };
    kept = Math.floor(kept * 0.8);
  }
}

export function decodeLookingGlassRoutes(
  item: Pick<LookingGlassQueryItem, "routesGz">,
): LookingGlassRouteView[] {
  if (!item.routesGz) return [];
  return JSON.parse(
    gunzipSync(Buffer.from(item.routesGz, "base64")).toString("utf8"),
  ) as LookingGlassRouteView[];
}

/** Statuses in which a request's member is on (or going onto) the route servers. */
const ON_ROUTE_SERVERS = new Set<JoinRequestItem["status"]>(["provisioning", "active"]);

/**
 * The member's own BGP protocols on the route servers, from the desired state of this very
 * request (never from anything a client sent): one per family it has an address in. Undefined
 * when the request's member is not (or no longer) on the route servers.
 */
export async function memberSessionProtocols(
  data: DataService,
  request: JoinRequestItem,
): Promise<{ family: "ipv4" | "ipv6"; protocol: string }[] | undefined> {
  if (!ON_ROUTE_SERVERS.has(request.status)) return undefined;
  const key = routeServerMemberKey(request);
  const item = (await data.entities.routeServerMember.get(key).go({ consistent: true })).data;
  if (!item || item.requestId !== request.requestId) return undefined;
  return (["ipv4", "ipv6"] as const)
    .filter((family) => item[family])
    .map((family) => ({ family, protocol: memberProtocolName(key, family) }));
}

/**
 * Counts one query against the user's fixed one-minute window (an atomic ADD, so a burst
 * cannot outrun it); over the limit is a 429 with the seconds until the window ends.
 */
async function reserveQuery(deps: WorkflowDeps, userId: string): Promise<void> {
  const nowS = Math.floor(deps.now().getTime() / 1000);
  const start = Math.floor(nowS / THROTTLE_WINDOW_SECONDS) * THROTTLE_WINDOW_SECONDS;
  const end = start + THROTTLE_WINDOW_SECONDS;
  const out = await deps.data.entities.loginThrottle
    .update({ key: `looking_glass_user:${userId}`, windowStart: start })
    .add({ failures: 1 })
    .set({ ttl: end + 60 })
    .go({ response: "updated_new" });
  if ((out.data.failures ?? 0) > LOOKING_GLASS_QUERIES_PER_MINUTE) {
    const retryAfter = Math.max(1, end - nowS);
    throw new AppError(
      "too_many_requests",
      `at most ${LOOKING_GLASS_QUERIES_PER_MINUTE} looking-glass queries a minute; try again in ${retryAfter} s`,
      { retry_after_seconds: retryAfter },
    );
  }
}

/**
 * Stores a looking-glass query for one of the request's route servers and queues it for the
 * worker, which alone reaches the route server. What runs there is decided by the worker from
 * the request's own desired state: only this member's sessions.
 */
export async function createLookingGlassQuery(
  deps: WorkflowDeps,
  viewer: Viewer,
  requestId: string,
  input: LookingGlassQueryInput,
  options: { correlationId?: string } = {},
): Promise<{ queryId: string }> {
  const request = await requestForViewer(deps, viewer, requestId);
  const rs = routeServersOfRequest(deps, request).find((r) => r.id === input.route_server_id);
  if (!rs) {
    throw new AppError("not_found", "no such route server for this request", {
      route_server_id: input.route_server_id,
    });
  }
  if (!ON_ROUTE_SERVERS.has(request.status)) {
    throw new AppError(
      "invalid_transition",
      `the looking glass shows a membership on the route servers; this request is ${request.status}`,
      { status: request.status },
    );
  }
  let prefix: string | undefined;
  if (input.view === "lookup") {
    try {
      const target = parseLookupTarget(input.prefix);
      prefix = target.kind === "prefix" ? target.prefix : target.address;
    } catch (e) {
      if (!(e instanceof LookingGlassError)) throw e;
      throw new AppError("validation_failed", "the request is invalid", { fields: { prefix: [e.message] } });
    }
  }
  await reserveQuery(deps, viewer.userId);
  const now = deps.now();
  const queryId = randomUUID();
  const { lookingGlassQuery } = statusEntities(deps.data);
  await lookingGlassQuery
    .create({
      queryId,
      requestId: request.requestId,
      userId: viewer.userId,
      routeServerId: rs.id,
      view: input.view,
      ...(prefix ? { prefix } : {}),
      status: "pending",
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      ttl: Math.floor(now.getTime() / 1000) + LOOKING_GLASS_TTL_SECONDS,
    })
    .go({ response: "none" });
  await enqueueLookingGlass(deps.sqs, deps.queueUrl, {
    kind: "looking_glass",
    queryId,
    requestId: request.requestId,
    routeServerId: rs.id,
    requestedAt: now.toISOString(),
    ...(options.correlationId ? { correlationId: options.correlationId } : {}),
  });
  return { queryId };
}

/** What an operator reads about a failed query, by code: never the SSH or BIRD detail. */
const operatorFailures: Record<string, { code: string; message: string }> = {
  looking_glass_timeout: {
    code: "looking_glass_timeout",
    message: "The route server did not answer in time. Try again in a minute.",
  },
  looking_glass_expired: {
    code: "looking_glass_expired",
    message: "The route server did not answer this query. Try again.",
  },
  not_on_route_servers: {
    code: "not_on_route_servers",
    message: "This membership is not on the route servers, so there is nothing to show.",
  },
};
const operatorFallback = {
  code: "looking_glass_unavailable",
  message: "The route server cannot be read right now. Try again in a few minutes.",
};

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** A query of this request (404 for any other, or one that expired). */
export async function lookingGlassQueryView(
  deps: WorkflowDeps,
  viewer: Viewer,
  requestId: string,
  queryId: string,
) {
  const request = await requestForViewer(deps, viewer, requestId);
  const notFound = () => new AppError("not_found", "no such looking-glass query", { query_id: queryId });
  if (!isUuid(queryId)) throw notFound();
  const { lookingGlassQuery } = statusEntities(deps.data);
  const item = (await lookingGlassQuery.get({ queryId: queryId.toLowerCase() }).go({ consistent: true }))
    .data;
  if (!item || item.requestId !== request.requestId) throw notFound();
  const now = deps.now().getTime();
  let status = item.status;
  let errorCode = item.errorCode;
  let errorMessage = item.errorMessage;
  if (status === "pending" && now - Date.parse(item.createdAt) > LOOKING_GLASS_PENDING_LIMIT_SECONDS * 1000) {
    status = "failed";
    errorCode = "looking_glass_expired";
    errorMessage = `no answer from the worker within ${LOOKING_GLASS_PENDING_LIMIT_SECONDS} s`;
  }
  const error =
    status !== "failed"
      ? null
      : viewer.kind === "admin"
        ? { code: errorCode ?? "internal_error", message: errorMessage ?? "the query failed" }
        : (operatorFailures[errorCode ?? ""] ?? operatorFallback);
  return {
    query_id: item.queryId,
    status,
    view: item.view as LookingGlassView,
    route_server_id: item.routeServerId,
    prefix: item.prefix ?? null,
    routes: status === "done" ? decodeLookingGlassRoutes(item) : [],
    truncated: item.truncated ?? false,
    collected_at: item.collectedAt ?? null,
    error,
  };
}
