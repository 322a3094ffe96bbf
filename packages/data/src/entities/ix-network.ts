import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/** An IX network as reconciled on the controller; all of them share one small partition. */
export const ixNetworkEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "ixNetwork", version: "1", service },
      attributes: {
        networkId: { type: "string", required: true },
        suffix: { type: "string", required: true },
        name: { type: "string", required: true },
        description: { type: "string" },
        active: { type: "boolean", required: true, default: true },
        ipv4Prefix: { type: "string" },
        ipv6Prefix: { type: "string" },
        createdAt: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        all: { pk: { field: "pk", composite: [] }, sk: { field: "sk", composite: ["networkId"] } },
      },
    },
    config,
  );
export type IxNetworkItem = EntityItem<ReturnType<typeof ixNetworkEntity>>;
