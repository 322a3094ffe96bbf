export * from "./clients.ts";
export * from "./dev-env.ts";
export * from "./endpoints.ts";
export * from "./queue.ts";
export * from "./resources.ts";
export * from "./runtime-config.ts";
export * from "./secrets.ts";
