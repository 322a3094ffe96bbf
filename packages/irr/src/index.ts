export * from "./bgpq4.ts";
export * from "./bird.ts";
export * from "./errors.ts";
export { type IrrTarget, isPrivateAsn, normalizeSources, parseIrrTarget } from "./names.ts";
