export * from "./client.ts";
export * from "./errors.ts";
export * from "./refresh.ts";
export * from "./schema.ts";
export { cleanText, MAX_AS_SETS, normaliseIrrAsSets } from "./text.ts";
