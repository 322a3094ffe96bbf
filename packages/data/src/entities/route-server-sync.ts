import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

export const routeServerSyncStates = ["pending", "applying", "in_sync", "failed", "removed"] as const;

/** Per request and route server: what should be there, what was applied, and how it went. */
export const routeServerSyncEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "routeServerSync", version: "1", service },
      attributes: {
        requestId: { type: "string", required: true },
        routeServerId: { type: "string", required: true },
        desiredHash: { type: "string" },
        appliedHash: { type: "string" },
        state: { type: routeServerSyncStates, required: true },
        lastErrorStage: { type: "string" },
        lastError: { type: "string" },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        byRequest: {
          pk: { field: "pk", composite: ["requestId"] },
          sk: { field: "sk", composite: ["routeServerId"] },
        },
      },
    },
    config,
  );
export type RouteServerSyncItem = EntityItem<ReturnType<typeof routeServerSyncEntity>>;
