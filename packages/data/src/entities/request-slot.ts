import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * Holds the (asn, network, node) slot for the one request that may use it. Created in the
 * same transaction as the request (attribute_not_exists), deleted when it is rejected or
 * cancelled: DynamoDB itself enforces "at most one live request per slot".
 */
export const requestSlotEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "requestSlot", version: "1", service },
      attributes: {
        asn: { type: "number", required: true },
        networkId: { type: "string", required: true },
        nodeId: { type: "string", required: true },
        requestId: { type: "string", required: true },
        createdAt: { type: "string", required: true },
      },
      indexes: {
        bySlot: {
          pk: { field: "pk", composite: ["asn", "networkId", "nodeId"] },
          sk: { field: "sk", composite: [] },
        },
      },
    },
    config,
  );
export type RequestSlotItem = EntityItem<ReturnType<typeof requestSlotEntity>>;
