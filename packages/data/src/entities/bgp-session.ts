import { Entity, type EntityItem } from "electrodb";
import type { DataService } from "../service.ts";
import { type EntityConfig, service, ttlAttribute } from "./config.ts";
import { lookingGlassQueryEntity } from "./looking-glass-query.ts";

export const sessionFamilies = ["ipv4", "ipv6"] as const;

/**
 * One member's BGP session of one family on one route server, as the worker last read it from
 * BIRD (`show protocols all`). Keyed by route server (a collection reads and replaces its own
 * rows with one Query) and by request (a member's sessions on every route server: one Query on
 * the index). Written at most once a minute per session; rows of protocols the route server no
 * longer has are deleted, and a row nobody refreshes expires after a day.
 */
export const bgpSessionEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "bgpSession", version: "1", service },
      attributes: {
        routeServerId: { type: "string", required: true },
        /** BIRD's protocol name (`m_as64501_000001_a000000001_v4`). */
        protocol: { type: "string", required: true },
        requestId: { type: "string", required: true },
        family: { type: sessionFamilies, required: true },
        network: { type: "string", required: true },
        asn: { type: "number", required: true },
        nodeId: { type: "string", required: true },
        /** BIRD's protocol state: `up`, `start`, `down`, `flush`. */
        birdState: { type: "string", required: true },
        /** The BGP state: `Established`, `Active`, `Idle`, `Connect`, `OpenSent`, … */
        bgpState: { type: "string", required: true },
        /** When the protocol last changed state (ISO 8601, our clock), when BIRD said. */
        since: { type: "string" },
        /** The info column of BIRD's protocol row. */
        info: { type: "string" },
        /** BIRD's `Last error` of the session. */
        lastError: { type: "string" },
        /** Routes as BIRD counts them: received = imported + filtered. */
        imported: { type: "number", required: true, default: 0 },
        filtered: { type: "number", required: true, default: 0 },
        exported: { type: "number", required: true, default: 0 },
        preferred: { type: "number", required: true, default: 0 },
        receiveLimit: { type: "number" },
        limitHit: { type: "boolean", required: true, default: false },
        limitAction: { type: "string" },
        neighborAddress: { type: "string" },
        /** When these values were read and written. */
        collectedAt: { type: "string", required: true },
        ttl: ttlAttribute,
      },
      indexes: {
        byRouteServer: {
          pk: { field: "pk", composite: ["routeServerId"] },
          sk: { field: "sk", composite: ["protocol"] },
        },
        byRequest: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["requestId"] },
          sk: { field: "gsi1sk", composite: ["routeServerId", "protocol"] },
        },
      },
    },
    config,
  );
export type BgpSessionItem = EntityItem<ReturnType<typeof bgpSessionEntity>>;

/**
 * What the session collection of one route server last saw: whether the route server could be
 * read, when, and why not (for admins). Kept apart from `routeServerState`, which the
 * reconciles own. `lastRequestedAt` throttles on-demand collections.
 */
export const sessionCollectionEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "sessionCollection", version: "1", service },
      attributes: {
        routeServerId: { type: "string", required: true },
        /** The last collection could read BIRD. */
        reachable: { type: "boolean" },
        /** When the last collection started (reachable or not). */
        lastAttemptAt: { type: "string" },
        /** When BIRD last answered a collection. */
        lastCollectedAt: { type: "string" },
        /** When a collection was last asked for on demand. */
        lastRequestedAt: { type: "string" },
        errorCode: { type: "string" },
        /** The raw failure (SSH, BIRD): for admins only. */
        error: { type: "string" },
        errorAt: { type: "string" },
        sessions: { type: "number" },
        birdVersion: { type: "string" },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["routeServerId"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type SessionCollectionItem = EntityItem<ReturnType<typeof sessionCollectionEntity>>;

function build(config: EntityConfig) {
  return {
    bgpSession: bgpSessionEntity(config),
    sessionCollection: sessionCollectionEntity(config),
    lookingGlassQuery: lookingGlassQueryEntity(config),
  };
}
export type StatusEntities = ReturnType<typeof build>;

const built = new WeakMap<DataService, StatusEntities>();

/**
 * The session and looking-glass entities, on the same client and table as `data` (built once
 * per service). They live beside the service's entities rather than in it.
 */
export function statusEntities(data: DataService): StatusEntities {
  let out = built.get(data);
  if (!out) {
    const any = data.entities.routeServerState as unknown as {
      client: EntityConfig["client"];
      getTableName(): string | undefined;
    };
    const table = any.getTableName();
    if (!table) throw new Error("the data service has no table name");
    out = build({ client: any.client, table });
    built.set(data, out);
  }
  return out;
}
