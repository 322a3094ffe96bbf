export * from "./connection.ts";
export * from "./errors.ts";
export * from "./fingerprint.ts";
export * from "./quote.ts";
