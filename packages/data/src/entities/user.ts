import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * A person who signs in. PeeringDB users get the id `pdb-<peeringdb id>`, so "user by
 * PeeringDB id" is a GetItem and two concurrent first logins cannot create two users.
 */
export const userEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "user", version: "1", service },
      attributes: {
        userId: { type: "string", required: true },
        username: { type: "string" },
        displayName: { type: "string", required: true },
        email: { type: "string" },
        peeringdbId: { type: "number" },
        source: { type: ["local", "peeringdb"] as const, required: true },
        isAdmin: { type: "boolean", required: true, default: false },
        disabled: { type: "boolean", required: true, default: false },
        createdAt: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
        lastLoginAt: { type: "string" },
      },
      indexes: {
        byId: { pk: { field: "pk", composite: ["userId"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type UserItem = EntityItem<ReturnType<typeof userEntity>>;

export const peeringDbUserId = (peeringdbId: number) => `pdb-${peeringdbId}`;
