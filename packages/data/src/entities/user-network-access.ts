import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/** Restricts a user to listed IX networks. A user with no rows may request any active network. */
export const userNetworkAccessEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "userNetworkAccess", version: "1", service },
      attributes: {
        userId: { type: "string", required: true },
        networkId: { type: "string", required: true },
        createdAt: { type: "string", required: true },
      },
      indexes: {
        byUser: { pk: { field: "pk", composite: ["userId"] }, sk: { field: "sk", composite: ["networkId"] } },
      },
    },
    config,
  );
export type UserNetworkAccessItem = EntityItem<ReturnType<typeof userNetworkAccessEntity>>;
