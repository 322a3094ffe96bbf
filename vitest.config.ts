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
    // Metric lines are asserted where they matter (with their own sink); elsewhere they are noise.
    env: { ZTIX_METRICS: "off", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: more workers only contend with DynamoDB Local and BIRD for CPU.
    maxWorkers: 2,
  },
});
