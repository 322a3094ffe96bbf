import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/** The controller member a request provisioned, with the addresses it was given. */
export const membershipEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "membership", version: "1", service },
      attributes: {
        requestId: { type: "string", required: true },
        networkId: { type: "string", required: true },
        nodeId: { type: "string", required: true },
        asn: { type: "number", required: true },
        memberName: { type: "string", required: true },
        ipv4: { type: "string" },
        ipv6: { type: "string" },
        authorized: { type: "boolean", required: true },
        controllerRevision: { type: "number" },
        createdAt: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        byRequest: { pk: { field: "pk", composite: ["requestId"] }, sk: { field: "sk", composite: [] } },
        byNetworkNode: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["networkId", "nodeId"] },
          sk: { field: "gsi1sk", composite: ["requestId"] },
        },
      },
    },
    config,
  );
export type MembershipItem = EntityItem<ReturnType<typeof membershipEntity>>;
