export * from "./bootstrap.ts";
export * from "./dynamodb-local.ts";
export * from "./fauxqs.ts";
export * from "./ports.ts";
