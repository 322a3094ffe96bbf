#!/usr/bin/env bash
# CI step for the SST infra (called by .ci/run after `npm ci`):
#   1. installs the SST platform offline into .sst/platform (npm registry only, no AWS account),
#      which `npm run typecheck:infra` and infra/test need;
#   2. bundles the Lambda handlers with esbuild and prints their sizes.
# `--platform-only` does step 1 alone: infra/typecheck.sh runs it when `npm test` finds no
# platform (a fresh clone), so the README's `npm ci && npm test` works without this step.
#
# Caching: npm's own cache (~/.npm) makes a repeat install fast. Set ZTIX_SST_CACHE_DIR to a
# directory your CI keeps between runs to also reuse the installed platform (~323 MB) as a
# tarball keyed by the pinned sst version (the providers are fixed by sst.config.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
platform_only=false
if [ "${1:-}" = "--platform-only" ]; then platform_only=true; fi

# The CLI would otherwise try to download Pulumi and Bun from GitHub and send telemetry.
export SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1

version=$(node -p 'JSON.parse(require("fs").readFileSync("node_modules/sst/package.json", "utf8")).version')
cache_tar=""
if [ -n "${ZTIX_SST_CACHE_DIR:-}" ]; then
  cache_tar="$ZTIX_SST_CACHE_DIR/sst-platform-$version.tar"
  if [ ! -d .sst/platform/node_modules ] && [ -f "$cache_tar" ]; then
    echo "restoring .sst/platform from $cache_tar"
    mkdir -p .sst && tar -xf "$cache_tar" -C .sst
  fi
fi

started=$(date +%s)
# `sst install` evaluates sst.config.ts's app() and npm-installs the platform; the stage only
# names the evaluation (no stage is created anywhere).
log=$(mktemp)
if ! npx sst install --stage ci >"$log" 2>&1; then
  cat "$log" >&2
  echo "sst install failed" >&2
  exit 1
fi
grep -v -e '^posthog ' -e 'Unknown user config' "$log" || true
rm -f "$log"
test -f .sst/platform/config.d.ts || { echo ".sst/platform/config.d.ts missing after sst install" >&2; exit 1; }
echo "sst $version platform ready in $(( $(date +%s) - started ))s ($(du -sh .sst/platform | cut -f1))"

if [ -n "$cache_tar" ] && [ ! -f "$cache_tar" ]; then
  mkdir -p "$ZTIX_SST_CACHE_DIR"
  tar -cf "$cache_tar" -C .sst platform
  echo "cached .sst/platform as $cache_tar"
fi

if [ "$platform_only" = false ]; then npm run --silent bundle; fi
