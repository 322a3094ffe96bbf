import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service, ttlAttribute } from "./config.ts";

/** A signed-in session. Stored under the SHA-256 of the cookie value, never the value itself. */
export const sessionEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "session", version: "1", service },
      attributes: {
        sessionHash: { type: "string", required: true },
        userId: { type: "string", required: true },
        csrfToken: { type: "string", required: true },
        authMethod: { type: ["local", "peeringdb"] as const, required: true },
        createdAt: { type: "string", required: true },
        lastSeenAt: { type: "string", required: true },
        idleExpiresAt: { type: "number", required: true },
        absoluteExpiresAt: { type: "number", required: true },
        ttl: ttlAttribute,
      },
      indexes: {
        byHash: { pk: { field: "pk", composite: ["sessionHash"] }, sk: { field: "sk", composite: [] } },
        /** A user's sessions, to end them all when the password changes or the user is disabled. */
        byUser: {
          index: "gsi1",
          pk: { field: "gsi1pk", composite: ["userId"] },
          sk: { field: "gsi1sk", composite: ["createdAt"] },
        },
      },
    },
    config,
  );
export type SessionItem = EntityItem<ReturnType<typeof sessionEntity>>;

/** A pending OpenID Connect sign-in: consumed once (conditional delete), expires quickly. */
export const oauthStateEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "oauthState", version: "1", service },
      attributes: {
        stateHash: { type: "string", required: true },
        codeVerifier: { type: "string", required: true },
        nonce: { type: "string", required: true },
        createdAt: { type: "string", required: true },
        expiresAt: { type: "number", required: true },
        ttl: ttlAttribute,
      },
      indexes: {
        byHash: { pk: { field: "pk", composite: ["stateHash"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type OauthStateItem = EntityItem<ReturnType<typeof oauthStateEntity>>;

/** Failed-login counter per username or client address, for one window. */
export const loginThrottleEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "loginThrottle", version: "1", service },
      attributes: {
        key: { type: "string", required: true },
        windowStart: { type: "number", required: true },
        failures: { type: "number", required: true, default: 0 },
        ttl: ttlAttribute,
      },
      indexes: {
        byKey: { pk: { field: "pk", composite: ["key", "windowStart"] }, sk: { field: "sk", composite: [] } },
      },
    },
    config,
  );
export type LoginThrottleItem = EntityItem<ReturnType<typeof loginThrottleEntity>>;
