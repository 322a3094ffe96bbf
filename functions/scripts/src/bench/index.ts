/**
 * `npm run bench`: runs every benchmark section (or those named: `npm run bench -- api web`)
 * and prints their figures. Each section is a module here exporting `run()`; sections whose
 * prerequisites are missing return `{ skipped: "why" }`.
 */
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

type Section = { run: () => Promise<Record<string, unknown>> };

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const sections = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "index.ts" && !f.startsWith("_"))
  .map((f) => basename(f, ".ts"))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

function print(value: unknown, indent = "  "): void {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        console.log(`${indent}${k}:`);
        print(v, `${indent}  `);
      } else {
        console.log(`${indent}${k}: ${Array.isArray(v) ? JSON.stringify(v) : String(v)}`);
      }
    }
  }
}

const results: Record<string, unknown> = {};
let failed = false;
for (const name of sections) {
  const started = performance.now();
  console.log(`\n# ${name}`);
  try {
    const mod = (await import(join(here, `${name}.ts`))) as Section;
    const figures = await mod.run();
    results[name] = figures;
    print(figures);
  } catch (e) {
    failed = true;
    console.log(`  failed: ${(e as Error).stack ?? e}`);
  }
  console.log(`  (section took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
if (process.env.ZTIX_BENCH_JSON) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.env.ZTIX_BENCH_JSON, JSON.stringify(results, null, 2));
}
process.exit(failed ? 1 : 0);
