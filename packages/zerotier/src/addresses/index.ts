export * from "./allocate.ts";
export * from "./member-addresses.ts";
export * from "./plan.ts";
