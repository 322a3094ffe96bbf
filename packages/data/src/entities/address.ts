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

/**
 * The allocator's state for one (network, family) pool: the lowest never-used address
 * (`next`, an IPv4 address as an integer; 0 = the pool's start) and how many addresses of
 * the family are held (`allocated`). Every allocation and release of the family writes it
 * in the same transaction as the allocation item, so `allocated` stays exact and `next`
 * only moves forward.
 *
 * `completeUnder` is the fingerprint of the pool definition under which every free address
 * below `next` is known to be on the free list. While it matches the config in force, an
 * empty free list and a spent `next` mean "exhausted" with no further reads. Any write that
 * could leave a free address off the list (stepping `next` over excluded addresses,
 * dropping a free entry the config rejects) removes it and bumps `epoch`, so a scan that
 * started before such a write cannot set it afterwards.
 *
 * It shares the `addressPool` collection (one partition per network and family) with the
 * free list, so one Query returns the state and the lowest free addresses. Its entity name
 * sorts before `addressPoolFree`, so the state item always comes first in that Query.
 */
export const addressPoolEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "addressPool", version: "1", service },
      attributes: {
        networkId: { type: "string", required: true },
        family: { type: ["ipv4", "ipv6"] as const, required: true },
        next: { type: "number", required: true },
        allocated: { type: "number", required: true },
        epoch: { type: "number", required: true },
        completeUnder: { type: "string", required: false },
        updatedAt: { type: "string", required: true },
      },
      indexes: {
        byPool: {
          collection: "addressPool",
          pk: { field: "pk", composite: ["networkId", "family"] },
          sk: { field: "sk", composite: [] },
        },
      },
    },
    config,
  );
export type AddressPoolItem = EntityItem<ReturnType<typeof addressPoolEntity>>;

/**
 * A released address waiting to be given out again. Created in the same transaction that
 * deletes the allocation, deleted in the same transaction that re-creates one, so an entry
 * exists exactly while its address is free. `rank` is the address as fixed-width hex, so
 * the partition lists the free addresses lowest first.
 */
export const addressPoolFreeEntity = (config: EntityConfig) =>
  new Entity(
    {
      model: { entity: "addressPoolFree", version: "1", service },
      attributes: {
        networkId: { type: "string", required: true },
        family: { type: ["ipv4", "ipv6"] as const, required: true },
        rank: { type: "string", required: true },
        ip: { type: "string", required: true },
        releasedAt: { type: "string", required: true },
      },
      indexes: {
        byPool: {
          collection: "addressPool",
          pk: { field: "pk", composite: ["networkId", "family"] },
          sk: { field: "sk", composite: ["rank"] },
        },
      },
    },
    config,
  );
export type AddressPoolFreeItem = EntityItem<ReturnType<typeof addressPoolFreeEntity>>;
