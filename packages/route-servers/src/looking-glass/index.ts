export * from "./collector.ts";
export * from "./decode.ts";
export * from "./inputs.ts";
export * from "./reply.ts";
export * from "./routes.ts";
export * from "./status.ts";
export * from "./time.ts";
