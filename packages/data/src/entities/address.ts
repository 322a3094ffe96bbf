import { Entity, type EntityItem } from "electrodb";
import { type EntityConfig, service } from "./config.ts";

/**
 * One address given out on a network. The primary key is (network, family, ip), so a
 * conditional create makes DynamoDB refuse a second holder of the same address.
 */
export const addressAllocationEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "addressAllocation", version: "1", service },
      attributes: {
        networkId: { type: "string", required: true },
        family: { type: ["ipv4", "ipv6"] as const, required: true },
        ip: { type: "string", required: true },
        asn: { type: "number", required: true },
        nodeId: { type: "string", required: true },
        requestId: { type: "string", required: true },
        createdAt: { type: "string", required: true },
      },
      indexes: {
        byNetwork: {
          pk: { field: "pk", composite: ["networkId"] },
          sk: { field: "sk", composite: ["family", "ip"] },
        },
      },
    },
    config,
  );
export type AddressAllocationItem = EntityItem<ReturnType<typeof addressAllocationEntity>>;

/** Which address an (asn, node) holds on a network, so retries and re-requests reuse it. */
export const addressClaimEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "addressClaim", version: "1", service },
      attributes: {
        networkId: { type: "string", required: true },
        asn: { type: "number", required: true },
        nodeId: { type: "string", required: true },
        family: { type: ["ipv4", "ipv6"] as const, required: true },
        ip: { type: "string", required: true },
        requestId: { type: "string", required: true },
        createdAt: { type: "string", required: true },
      },
      indexes: {
        byHolder: {
          pk: { field: "pk", composite: ["networkId", "asn", "nodeId"] },
          sk: { field: "sk", composite: ["family"] },
        },
      },
    },
    config,
  );
export type AddressClaimItem = EntityItem<ReturnType<typeof addressClaimEntity>>;
