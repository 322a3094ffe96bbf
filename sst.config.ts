/// <reference path="./.sst/platform/config.d.ts" />

// Production stages keep their data on removal and refuse `sst remove`; see infra/stage.ts
// (duplicated here because app() runs before any import is allowed).
const PRODUCTION_STAGES = ["production", "prod"];

export default $config({
  app(input) {
    const production = PRODUCTION_STAGES.includes(input?.stage ?? "");
    return {
      name: "ztix",
      home: "aws",
      removal: production ? "retain" : "remove",
      protect: production,
    };
  },
  async run() {
    const { deploy } = await import("./infra/index.ts");
    return deploy({ root: $cli.paths.root, stage: $app.stage });
  },
});
