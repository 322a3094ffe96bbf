export * from "./session.ts";
export * from "./tokens.ts";
