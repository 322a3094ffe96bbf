#!/usr/bin/env bash
# `npm run dev:localstack`: LocalStack in Docker, the SDK bootstrap (table, FIFO queue + DLQ,
# bucket, secrets), then the usual dev launcher (`npm run dev`) against LocalStack. The launcher
# learns the mode from ZTIX_MODE and LOCALSTACK_ENDPOINT only.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! docker info >/dev/null 2>&1; then
  echo "npm run dev:localstack needs a running Docker engine (docker info failed)." >&2
  echo "Without Docker, use npm run dev (DynamoDB Local + fauxqs, no cloud account)." >&2
  exit 1
fi

export ZTIX_MODE=localstack
export LOCALSTACK_ENDPOINT="${LOCALSTACK_ENDPOINT:-http://localhost:4566}"
export AWS_REGION="${AWS_REGION:-us-east-1}"

docker compose -f localstack/docker-compose.yml up -d
npx tsx localstack/bootstrap.ts
exec npm run dev
