/**
 * Bench section `bundles`: the size of each Lambda bundle and how long a fresh Node process
 * takes to import it (module evaluation plus the handler's cold-start setup), median of
 * several runs. Each import runs with linked resources and a runtime config like a deployed
 * function has, pointed at unreachable local endpoints: nothing is called at import time.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { resourceEnv } from "@ztix/aws";
import { bundleLambdas, repoRoot } from "../bundle.ts";

const RUNS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Imports `file` in a new process and returns the milliseconds the import took. */
export function coldImportMs(file: string, env: NodeJS.ProcessEnv): number {
  const script = [
    "const t = performance.now();",
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    "process.stdout.write(String(performance.now() - t));",
  ].join("\n");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return Number(out.trim().split("\n").pop());
}

/**
 * The environment a deployed function has at import (linked resources, runtime config, mode),
 * with every endpoint unreachable so nothing real is touched.
 */
export function importEnv(dir: string): NodeJS.ProcessEnv {
  const secretsPath = join(dir, "secrets.json");
  writeFileSync(secretsPath, "{}", { mode: 0o600 });
  return {
    PATH: process.env.PATH,
    NODE_NO_WARNINGS: "1",
    ZTIX_MODE: "local",
    ZTIX_STAGE: "bench",
    ZTIX_RUNTIME_CONFIG: join(repoRoot, "runtime-config.example.yaml"),
    ZTIX_DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
    ZTIX_SQS_ENDPOINT: "http://127.0.0.1:9",
    ZTIX_S3_ENDPOINT: "http://127.0.0.1:9",
    AWS_REGION: "us-east-1",
    ...resourceEnv({
      tableName: "ztix-bench",
      queueUrl: "http://127.0.0.1:9/000000000000/ztix-bench.fifo",
      dlqUrl: "http://127.0.0.1:9/000000000000/ztix-bench-dlq.fifo",
      bucketName: "ztix-bench",
      secrets: { backend: "file", path: secretsPath },
      stage: "bench",
    }),
  };
}

/** The error line of a failed import's stderr (minified bundles print a huge source line too). */
export function importError(e: unknown): string {
  const stderr = String((e as { stderr?: string }).stderr ?? (e as Error).message);
  const line = stderr.split("\n").find((l) => /^\w*Error\b/.test(l.trim())) ?? stderr.split("\n")[0] ?? "";
  return line.trim().slice(0, 300);
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "ztix-bundles-"));
  const outcome = await bundleLambdas({ outDir: join(dir, "lambda") });
  const env = importEnv(dir);
  const figures: Record<string, unknown> = { runs_per_bundle: RUNS };
  for (const b of outcome.bundles) {
    const file = join(dir, "lambda", b.name, "index.mjs");
    try {
      const times = Array.from({ length: RUNS }, () => coldImportMs(file, env));
      figures[b.name] = {
        size_kib: Number((b.bytes / 1024).toFixed(1)),
        gzip_kib: Number((b.gzipBytes / 1024).toFixed(1)),
        cold_import_ms_median: Number(median(times).toFixed(1)),
        cold_import_ms_min: Number(Math.min(...times).toFixed(1)),
      };
    } catch (e) {
      figures[b.name] = {
        size_kib: Number((b.bytes / 1024).toFixed(1)),
        gzip_kib: Number((b.gzipBytes / 1024).toFixed(1)),
        cold_import_error: importError(e),
      };
    }
  }
  for (const s of outcome.skipped) figures[s.name] = { skipped: s.reason };
  return figures;
}
