#!/usr/bin/env bash
# Runs one of the slow suites kept out of scripts/test.sh, by its vitest
# config (scripts/test-drills.sh, scripts/test-e2e.sh). Installs what it
# needs when run on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:?usage: run-slow-suite.sh <vitest config>}"

if ! command -v pnpm >/dev/null 2>&1; then
  npm install -g pnpm@10
fi
bash scripts/install-test-deps.sh
pnpm install --frozen-lockfile
pnpm tsc -b
pnpm vitest run --config "$config"
