#!/usr/bin/env bash
# `npm run typecheck:infra`: type-checks sst.config.ts, infra/ and localstack/ against the SST
# platform in .sst/platform. A fresh clone has none: it is installed here first, offline (npm
# registry only), the way CI's infra/ci-install.sh does it, cache included, so `npm test`
# needs no extra step. If that install fails: a failure in CI (ZTIX_REQUIRE_SYSTEM_TESTS=1),
# a notice locally, like the other system-dependent checks.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .sst/platform/config.d.ts ]; then
  echo "typecheck:infra: .sst/platform is missing; installing it (about a minute, once)" >&2
  if ! infra/ci-install.sh --platform-only >&2; then
    if [ "${ZTIX_REQUIRE_SYSTEM_TESTS:-}" = "1" ]; then
      echo "typecheck:infra: installing the SST platform failed (npm run sst:install retries it)" >&2
      exit 1
    fi
    echo "[skip] typecheck:infra: the SST platform could not be installed (npm run sst:install retries it)" >&2
    exit 0
  fi
fi
exec npx tsc -p tsconfig.infra.json
