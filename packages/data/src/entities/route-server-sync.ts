import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service, ttlAttribute } from "./config.ts";

export const routeServerSyncStates = ["pending", "in_sync", "failed", "removed"] as const;
export type RouteServerSyncState = (typeof routeServerSyncStates)[number];

/**
 * Observed state, per route server and request: what the last reconcile of that route server
 * found and did for the member (written only when it changes). Keyed by route server so a
 * reconcile reads its own records with one consistent Query; by request for detail pages.
 */
export const routeServerSyncEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "routeServerSync", version: "2", service },
      attributes: {
        routeServerId: { type: "string", required: true },
        requestId: { type: "string", required: true },
        fileName: { type: "string", required: true },
        /** sha256 of the member file BIRD confirmed. */
        appliedHash: { type: "string" },
        /** sha256 of a member file BIRD refused; not offered again while it stays the same. */
        failedHash: { type: "string" },
        state: { type: routeServerSyncStates, required: true },
        lastError: { type: "string" },
        /** When the reconcile that wrote this read the desired state. */
        observedAt: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
        ttl: ttlAttribute,
      },
      indexes: {
        byRouteServer: {
          pk: { field: "pk", composite: ["routeServerId"] },
          sk: { field: "sk", composite: ["requestId"] },
        },
        byRequest: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["requestId"] },
          sk: { field: "gsi1sk", composite: ["routeServerId"] },
        },
      },
    },
    config,
  );
export type RouteServerSyncItem = EntityItem<ReturnType<typeof routeServerSyncEntity>>;
