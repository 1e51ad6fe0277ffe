#!/usr/bin/env bash
# The multi-process end-to-end runs: the local cluster (gateways, registry,
# MUC and S2S workers over NATS and Redis) and restarts of the server
# processes (see vitest.e2e.config.ts). Slow, so not part of scripts/test.sh;
# CI runs both. Installs what it needs when run on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  npm install -g pnpm@10
fi
bash scripts/install-test-deps.sh
pnpm install --frozen-lockfile
pnpm tsc -b
pnpm vitest run --config vitest.e2e.config.ts
