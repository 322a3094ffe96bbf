#!/usr/bin/env bash
# `npm run typecheck:infra`: type-checks sst.config.ts, infra/ and localstack/ against the SST
# platform that `npm run sst:install` puts in .sst/platform. Without it: a notice locally, a
# failure in CI (ZTIX_REQUIRE_SYSTEM_TESTS=1), like the other system-dependent checks.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .sst/platform/config.d.ts ]; then
  if [ "${ZTIX_REQUIRE_SYSTEM_TESTS:-}" = "1" ]; then
    echo "typecheck:infra: .sst/platform is missing; run npm run sst:install first" >&2
    exit 1
  fi
  echo "[skip] typecheck:infra: .sst/platform is missing (npm run sst:install installs it)" >&2
  exit 0
fi
exec npx tsc -p tsconfig.infra.json
