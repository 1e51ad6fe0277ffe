#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, then
# type-checks, lints, checks formatting and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1; then
  npm install -g pnpm@10
fi
bash scripts/install-test-deps.sh
pnpm install --frozen-lockfile
pnpm tsc -b
pnpm eslint .
pnpm prettier --check .
pnpm vitest run
