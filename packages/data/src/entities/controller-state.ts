import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service, ttlAttribute } from "./config.ts";

/**
 * The controller gate and lifecycle facts: one item. Provisioning waits while the gate is closed.
 * `version` goes up by one on every write, and gate writes are conditional on the version they
 * read, so two writers racing (a preflight and a restore) never overwrite each other blindly.
 * Items written before it existed have none: read as 0.
 */
export const controllerStateEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "controllerState", version: "1", service },
      attributes: {
        singleton: { type: "string", required: true, default: "controller" },
        gateOpen: { type: "boolean", required: true },
        reasonCode: { type: "string" },
        reasonMessage: { type: "string" },
        controllerAddress: { type: "string" },
        controllerVersion: { type: "string" },
        lastPreflightAt: { type: "string" },
        version: { type: "number" },
        /** The backup a restore is pushing, while the restore holds the gate. */
        restoreKey: { type: "string" },
        /**
         * The member a restore wrote on the controller just before pushing the archive (which
         * cannot contain it): restore-validate requires it gone, which only a restart achieves.
         */
        restoreSentinel: {
          type: "map",
          properties: {
            networkId: { type: "string", required: true },
            memberId: { type: "string", required: true },
            name: { type: "string", required: true },
            writtenAt: { type: "string", required: true },
          },
        },
        lastBackupKey: { type: "string" },
        lastBackupAt: { type: "string" },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        singleton: { pk: { field: "pk", composite: ["singleton"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type ControllerStateItem = EntityItem<ReturnType<typeof controllerStateEntity>>;

/** A named lease (e.g. one route server's apply lock). Held until `expiresAt`, then free to take. */
export const leaseEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "lease", version: "1", service },
      attributes: {
        name: { type: "string", required: true },
        owner: { type: "string", required: true },
        expiresAt: { type: "number", required: true },
        ttl: ttlAttribute,
      },
      indexes: {
        byName: { pk: { field: "pk", composite: ["name"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type LeaseItem = EntityItem<ReturnType<typeof leaseEntity>>;
