import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/** A local account's password hash, keyed by username: "user by local username" is a GetItem. */
export const localCredentialEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "localCredential", version: "1", service },
      attributes: {
        username: { type: "string", required: true },
        userId: { type: "string", required: true },
        /** `scrypt$N$r$p$salt$hash` (base64url): parameters travel with the hash. */
        passwordHash: { type: "string", required: true },
        createdAt: { type: "string", required: true },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        byUsername: { pk: { field: "pk", composite: ["username"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type LocalCredentialItem = EntityItem<ReturnType<typeof localCredentialEntity>>;
