import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/** Where a running `npm run dev` publishes its endpoints, links and config path. */
export const DEV_ENV_FILE = ".ztix/dev-env.json";

/** Written by the dev launcher at start (mode 600), removed when it stops. */
export function publishDevEnvironment(env: Record<string, string>, path = DEV_ENV_FILE): () => void {
  writeFileSync(path, `${JSON.stringify(env, null, 2)}\n`, { mode: 0o600 });
  return () => rmSync(path, { force: true });
}

/**
 * Lets the ops scripts (`npm run users`, `controller`, `sweeper`) talk to a running
 * `npm run dev`: when no SST links are set (no `sst shell`), adopt the launcher's environment.
 * Returns whether it did.
 */
export function adoptDevEnvironment(
  path = process.env.ZTIX_DEV_ENV ?? DEV_ENV_FILE,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.SST_RESOURCE_Table || !existsSync(path)) return false;
  const published = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
  // The published values win: stale endpoint variables would point at some other stack.
  for (const [k, v] of Object.entries(published)) env[k] = v;
  return true;
}
