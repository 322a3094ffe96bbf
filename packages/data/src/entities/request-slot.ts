import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * Holds a ZeroTier node's place on a network for the one live request that may use it.
 * Created in the same transaction as the request (attribute_not_exists), deleted when it is
 * rejected or cancelled: DynamoDB itself enforces "at most one live request per (network,
 * node)", which implies one per (asn, network, node). Keyed without the ASN because a
 * controller member has one set of addresses: a second ASN must never take over a node.
 */
export const requestSlotEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "requestSlot", version: "2", service },
      attributes: {
        asn: { type: "number", required: true },
        networkId: { type: "string", required: true },
        nodeId: { type: "string", required: true },
        requestId: { type: "string", required: true },
        createdAt: { type: "string", required: true },
      },
      indexes: {
        bySlot: {
          pk: { field: "pk", composite: ["networkId", "nodeId"] },
          sk: { field: "sk", composite: [] },
        },
      },
    },
    config,
  );
export type RequestSlotItem = EntityItem<ReturnType<typeof requestSlotEntity>>;
