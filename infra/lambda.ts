import { LAMBDA_RUNTIME_CONFIG_PATH, type StageConfig } from "./config.ts";

/**
 * Settings every ZT-IX Lambda shares: the Node runtime the bundles target, the stage's runtime
 * config copied into the bundle, and the environment that selects the AWS backends.
 */
export function lambdaDefaults(stage: string, config: StageConfig) {
  return {
    runtime: "nodejs22.x",
    architecture: "arm64",
    memory: "512 MB",
    environment: {
      ZTIX_MODE: "aws",
      ZTIX_STAGE: stage,
      ZTIX_RUNTIME_CONFIG: LAMBDA_RUNTIME_CONFIG_PATH,
    },
    copyFiles: [{ from: config.source, to: "runtime-config.yaml" }],
    nodejs: {
      format: "esm",
      minify: true,
      // ssh2 loads the optional native `cpu-features` and `sshcrypto.node` inside try/catch and
      // falls back to pure JS; native builds from the build machine would not fit Lambda anyway.
      // Same list as functions/scripts/src/bundle.ts.
      esbuild: { external: ["cpu-features", "*.node"] },
      // Relative to sst.config.ts; the same list functions/scripts/src/bundle.ts uses.
      plugins: "./infra/esbuild-plugins.mjs",
    },
  } satisfies Partial<sst.aws.FunctionArgs>;
}
