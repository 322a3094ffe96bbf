import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/** web/ (this file is web/test/support/build.ts). */
export const WEB_DIR = resolve(import.meta.dirname, "../..");
export const BUILD_DIR = join(WEB_DIR, "build");
const REPO_ROOT = resolve(WEB_DIR, "..");

const INPUTS = ["src", "static", "svelte.config.js", "vite.config.ts", "package.json"];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when web/build is missing or older than any source or config file of the SPA. */
export function buildIsStale(): boolean {
  const index = join(BUILD_DIR, "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const inputs = INPUTS.map((p) => join(WEB_DIR, p));
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built);
}

/**
 * Builds the SPA when web/build is missing or stale, so the browser tests always drive the
 * current code. The build runs under a file lock: two test files starting together build once
 * (the second re-checks after waiting) instead of writing web/build at the same time.
 */
export function ensureWebBuild(): void {
  if (!buildIsStale()) return;
  // The same staleness test in shell, evaluated again once the lock is held.
  const script = `cd ${JSON.stringify(WEB_DIR)} && if [ ! -f build/index.html ] || [ -n "$(find ${INPUTS.join(" ")} -newer build/index.html -print -quit 2>/dev/null)" ]; then cd .. && npm run build -w @ztix/web; fi`;
  execFileSync("flock", ["/tmp/ztix-web-build.lock", "sh", "-c", script], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    // vitest sets NODE_ENV=test, which would make Vite build Svelte's development runtime.
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (buildIsStale()) throw new Error("web/build is still missing or stale after building the SPA");
}
