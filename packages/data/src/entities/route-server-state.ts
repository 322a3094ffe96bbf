import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

export const routeServerConditions = ["unknown", "in_sync", "drifted", "in_doubt", "error"] as const;
export type RouteServerCondition = (typeof routeServerConditions)[number];

/**
 * One route server as its reconciles observed it (the status half of desired state): what it
 * runs, when it was last reconciled, what went wrong, and the apply in flight. `applyTxn`
 * doubles as the guard against two applies overlapping on one server: it is taken with a
 * condition before anything on the box changes, and while it is held (until `applyUntil`,
 * past BIRD's undo window) no other apply starts there.
 */
export const routeServerStateEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "routeServerState", version: "1", service },
      attributes: {
        routeServerId: { type: "string", required: true },
        condition: { type: routeServerConditions, required: true, default: "unknown" },
        /** Confirmed applies so far. */
        revision: { type: "number", required: true, default: 0 },
        /** Digest of the generated tree BIRD was last seen running. */
        runningDigest: { type: "string" },
        memberCount: { type: "number" },
        /** When the last successful reconcile read the desired state (changes before it are in). */
        observedAt: { type: "string" },
        lastReconcileAt: { type: "string" },
        lastChange: {
          type: "map",
          properties: {
            added: { type: "number" },
            changed: { type: "number" },
            removed: { type: "number" },
            policy: { type: "boolean" },
          },
        },
        /** The last time a change asked for a reconcile (pending while newer than observedAt). */
        requestedAt: { type: "string" },
        lastError: { type: "string" },
        lastErrorCode: { type: "string" },
        lastErrorStage: { type: "string" },
        lastErrorAt: { type: "string" },
        /** A rollback that did not finish: what failed, kept until a reconcile converges. */
        rollbackError: { type: "string" },
        rollbackErrorAt: { type: "string" },
        applyTxn: { type: "string" },
        /** Epoch ms until which the apply `applyTxn` may still be live on the box. */
        applyUntil: { type: "number" },
        inDoubtReason: { type: "string" },
        /** The chain of waiting reconcile copies that is current (older ones end when they arrive). */
        waitToken: { type: "string" },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["routeServerId"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type RouteServerStateItem = EntityItem<ReturnType<typeof routeServerStateEntity>>;
