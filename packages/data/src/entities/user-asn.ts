import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/** An ASN a user may act for (from PeeringDB affiliations or assigned by ops). */
export const userAsnEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "userAsn", version: "1", service },
      attributes: {
        userId: { type: "string", required: true },
        asn: { type: "number", required: true },
        name: { type: "string" },
        /** PeeringDB perms bitmask (1 read, 2 update, 4 create, 8 delete); absent for local grants. */
        perms: { type: "number" },
        source: { type: ["local", "peeringdb"] as const, required: true },
        createdAt: { type: "string", required: true },
      },
      indexes: {
        byUser: { pk: { field: "pk", composite: ["userId"] }, sk: { field: "sk", composite: ["asn"] } },
      },
    },
    config,
  );
export type UserAsnItem = EntityItem<ReturnType<typeof userAsnEntity>>;
