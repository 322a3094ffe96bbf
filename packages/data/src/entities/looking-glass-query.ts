import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service, ttlAttribute } from "./config.ts";

export const lookingGlassViews = ["received", "filtered", "exported", "lookup"] as const;
export type LookingGlassView = (typeof lookingGlassViews)[number];
export const lookingGlassQueryStates = ["pending", "done", "failed"] as const;
export type LookingGlassQueryState = (typeof lookingGlassQueryStates)[number];

/**
 * One looking-glass query a member (or an admin) asked for: what, about which request and
 * route server, and once the worker ran it, its answer. The query belongs to its request: it
 * is read back only through that request. The answer is stored as gzip'd JSON of the routes as
 * the API shows them (bounded in count and bytes), and the item expires after about an hour.
 */
export const lookingGlassQueryEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "lookingGlassQuery", version: "1", service },
      attributes: {
        queryId: { type: "string", required: true },
        requestId: { type: "string", required: true },
        /** Who asked (the throttle counts per user). */
        userId: { type: "string", required: true },
        routeServerId: { type: "string", required: true },
        view: { type: lookingGlassViews, required: true },
        /** The canonical prefix or address of a lookup. */
        prefix: { type: "string" },
        status: { type: lookingGlassQueryStates, required: true },
        /** base64 of gzip'd JSON: the routes as the API shows them. */
        routesGz: { type: "string" },
        routeCount: { type: "number" },
        truncated: { type: "boolean" },
        /** When the route server answered (our clock). */
        collectedAt: { type: "string" },
        errorCode: { type: "string" },
        /** The raw failure (SSH, BIRD): for admins only. */
        errorMessage: { type: "string" },
        createdAt: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
        ttl: ttlAttribute,
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["queryId"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type LookingGlassQueryItem = EntityItem<ReturnType<typeof lookingGlassQueryEntity>>;
