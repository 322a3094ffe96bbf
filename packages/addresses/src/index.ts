export * from "./allocate.ts";
export * from "./claims.ts";
export * from "./member-addresses.ts";
export * from "./plan.ts";
export { type PoolUsage, poolHasRoom, poolUsage } from "./pool.ts";
export * from "./release.ts";
