export * from "./auth.ts";
export * from "./controller.ts";
export * from "./networks.ts";
export * from "./parse.ts";
export * from "./route-server-scope.ts";
export * from "./route-servers.ts";
export * from "./schema.ts";
export * from "./secret-ref.ts";
