#!/usr/bin/env bash
# The multi-process end-to-end runs: the local cluster (gateways, registry,
# MUC and S2S workers over NATS and Redis) and restarts of the server
# processes (see vitest.e2e.config.ts). Slow, so not part of scripts/test.sh;
# CI runs both.
set -euo pipefail
exec bash "$(dirname "$0")/run-slow-suite.sh" vitest.e2e.config.ts
