#!/usr/bin/env bash
# The failure drills: processes killed and restarted under traffic (see
# vitest.drills.config.ts). Slow, so not part of scripts/test.sh; CI runs
# both. Installs what it needs when run on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  npm install -g pnpm@10
fi
bash scripts/install-test-deps.sh
pnpm install --frozen-lockfile
pnpm tsc -b
pnpm vitest run --config vitest.drills.config.ts
