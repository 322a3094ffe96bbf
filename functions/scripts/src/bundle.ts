/**
 * `npm run bundle`: bundles every Lambda handler with esbuild the way the deployed functions
 * are built (Node 22, ESM, minified, everything inlined but the optional native
 * `cpu-features`), writes dist/lambda/<name>/index.mjs and prints each bundle's size.
 * Handlers whose entry file does not exist yet are skipped, with a notice.
 */

import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import lambdaPlugins from "../../../infra/esbuild-plugins.mjs";

export const repoRoot = resolve(import.meta.dirname, "../../..");

/** The deployed handlers (infra/*.ts references the same files). */
export const lambdaEntries = [
  { name: "api", entry: "functions/api/src/lambda.ts" },
  { name: "worker", entry: "functions/worker/src/handler.ts" },
  { name: "dlq-handler", entry: "functions/worker/src/dlq-handler.ts" },
  { name: "sweeper", entry: "functions/worker/src/sweeper-handler.ts" },
  { name: "reconcile-schedule", entry: "functions/worker/src/reconcile-schedule-handler.ts" },
  { name: "backup", entry: "functions/worker/src/backup-handler.ts" },
] as const;

export interface BundleReport {
  name: string;
  entry: string;
  outfile: string;
  bytes: number;
  gzipBytes: number;
  /** The biggest contributors by package (or workspace folder), so a regression points at its cause. */
  largestInputs: { path: string; bytes: number }[];
  /** Every npm package (and workspace folder) with code in the bundle. */
  packages: string[];
  /** The workspace's own source files in the bundle (not node_modules), for precise checks. */
  ownFiles: string[];
}

export interface BundleOutcome {
  bundles: BundleReport[];
  skipped: { name: string; entry: string; reason: string }[];
}

/**
 * Optional native add-ons stay out: ssh2 loads `cpu-features` and its own `sshcrypto.node`
 * inside try/catch and falls back to pure JS, which is what runs on Lambda (any architecture).
 * infra/lambda.ts passes the same list to SST's build.
 */
export const lambdaExternals = ["cpu-features", "*.node"];

// ESM bundles of CommonJS dependencies (ssh2, parts of the AWS SDK) still call `require` for
// Node built-ins and read `__dirname` at import time; give them real ones. SST's own Node
// build adds the same preamble to the deployed functions.
const esmPreamble = [
  'import { createRequire as __ztixCreateRequire } from "node:module";',
  'import { fileURLToPath as __ztixFileURLToPath } from "node:url";',
  "const require = __ztixCreateRequire(import.meta.url);",
  "const __filename = __ztixFileURLToPath(import.meta.url);",
  'const __dirname = __ztixFileURLToPath(new URL(".", import.meta.url));',
].join("\n");

export async function bundleLambdas(
  options: { outDir?: string; only?: string[] } = {},
): Promise<BundleOutcome> {
  const outDir = options.outDir ?? join(repoRoot, "dist/lambda");
  const outcome: BundleOutcome = { bundles: [], skipped: [] };
  for (const { name, entry } of lambdaEntries) {
    if (options.only && !options.only.includes(name)) continue;
    const entryPath = join(repoRoot, entry);
    if (!existsSync(entryPath)) {
      outcome.skipped.push({ name, entry, reason: "entry file does not exist yet" });
      continue;
    }
    const outfile = join(outDir, name, "index.mjs");
    mkdirSync(join(outDir, name), { recursive: true });
    const result = await build({
      entryPoints: [entryPath],
      // Metafile paths are relative to this: keeps `packages/data` style names stable.
      absWorkingDir: repoRoot,
      outfile,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "esm",
      // Prefer the ESM builds of dependencies (the AWS SDK's tree-shake far better).
      mainFields: ["module", "main"],
      minify: true,
      external: lambdaExternals,
      plugins: lambdaPlugins,
      banner: { js: esmPreamble },
      legalComments: "none",
      metafile: true,
      logLevel: "error",
    });
    const bytes = statSync(outfile).size;
    outcome.bundles.push({
      name,
      entry,
      outfile: relative(repoRoot, outfile),
      bytes,
      gzipBytes: gzipSync(readFileSync(outfile)).length,
      ...contributors(result.metafile, outfile),
    });
  }
  return outcome;
}

function contributors(
  metafile: Metafile,
  outfile: string,
): Pick<BundleReport, "largestInputs" | "packages" | "ownFiles"> {
  const output = Object.entries(metafile.outputs).find(([path]) => resolve(repoRoot, path) === outfile)?.[1];
  if (!output) return { largestInputs: [], packages: [], ownFiles: [] };
  const byPackage = new Map<string, number>();
  for (const [path, info] of Object.entries(output.inputs)) {
    byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + info.bytesInOutput);
  }
  const largestInputs = [...byPackage]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  const ownFiles = Object.keys(output.inputs)
    .filter((path) => !path.includes("node_modules/"))
    .sort();
  return { largestInputs, packages: [...byPackage.keys()].sort(), ownFiles };
}

/** `node_modules/@aws-sdk/client-s3/dist-es/x.js` → `@aws-sdk/client-s3`; `packages/data/src/x.ts` → `packages/data`. */
function packageOf(path: string): string {
  const nm = path.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = path.slice(nm + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  return path.split("/").slice(0, 2).join("/");
}

export function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const outcome = await bundleLambdas(only.length ? { only } : {});
  for (const s of outcome.skipped) console.log(`skip  ${s.name.padEnd(12)} ${s.entry}: ${s.reason}`);
  for (const b of outcome.bundles) {
    console.log(
      `built ${b.name.padEnd(12)} ${formatKiB(b.bytes).padStart(11)} (${formatKiB(b.gzipBytes)} gzipped)  ${b.outfile}`,
    );
    for (const i of b.largestInputs) console.log(`        ${formatKiB(i.bytes).padStart(11)}  ${i.path}`);
  }
  mkdirSync(join(repoRoot, "dist/lambda"), { recursive: true });
  writeFileSync(join(repoRoot, "dist/lambda/sizes.json"), `${JSON.stringify(outcome, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await main();
}
