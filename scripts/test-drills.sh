#!/usr/bin/env bash
# The failure drills: processes killed and restarted under traffic (see
# vitest.drills.config.ts). Slow, so not part of scripts/test.sh; CI runs
# both.
set -euo pipefail
exec bash "$(dirname "$0")/run-slow-suite.sh" vitest.drills.config.ts
