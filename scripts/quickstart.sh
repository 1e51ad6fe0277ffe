#!/usr/bin/env bash
# Quick start on a fresh machine with Node.js 20: installs pnpm and the
# dependencies, builds, and runs the single-node server (LMDB in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then npm install -g pnpm@10; else sudo npm install -g pnpm@10; fi
fi
pnpm install --frozen-lockfile
exec pnpm start
