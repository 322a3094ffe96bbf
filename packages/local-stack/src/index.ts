export * from "./bird.ts";
export * from "./bootstrap.ts";
export * from "./dynamodb-local.ts";
export * from "./fauxqs.ts";
export * from "./netns.ts";
export * from "./ports.ts";
export * from "./processes.ts";
export * from "./sshd.ts";
