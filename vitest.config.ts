import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "functions/*/test/**/*.test.ts",
      "test/**/*.test.ts",
      "web/test/**/*.test.ts",
      "infra/test/**/*.test.ts",
    ],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: more workers only contend with DynamoDB Local and BIRD for CPU.
    maxWorkers: 2,
  },
});
