#!/usr/bin/env bash
# Parley single-node benchmarks: idle connections, chat at fixed offered
# rates, and the highest sustainable chat rate. Each run spawns a fresh
# server (temporary LMDB data dir, PLAIN allowed without TLS on loopback)
# and imports its users first.
#
#   bash loadtest/run-benchmarks.sh > results.txt     # figures on stdout, progress on stderr
#
# Knobs (environment): CONNECTIONS (10000), PAIRS (500), RATES (2000,5000,10000),
# DURATION (20 s per rate), FIND_MAX_START (2000), FIND_MAX_DURATION (10 s).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-10000}"
PAIRS="${PAIRS:-500}"
RATES="${RATES:-2000,5000,10000}"
DURATION="${DURATION:-20}"
FIND_MAX_START="${FIND_MAX_START:-2000}"
FIND_MAX_DURATION="${FIND_MAX_DURATION:-10}"

# Every connection is a file descriptor in the load generator and another in
# the server: raise the soft limit (the hard limit caps it).
hard="$(ulimit -Hn)"
want=20000
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then want="$hard"; fi
ulimit -n "$want"

if ! command -v pnpm >/dev/null 2>&1; then
  echo "pnpm is required (see scripts/quickstart.sh)" >&2
  exit 1
fi
pnpm exec tsc -b services/server loadtest >&2 || echo "warning: the build failed; running the existing dist/ files" >&2

bench() {
  echo "\$ node loadtest/dist/src/main.js $*"
  local code=0
  node loadtest/dist/src/main.js "$@" || code=$?
  if [ "$code" -ne 0 ]; then echo "(exit code $code: failed connections, lost messages or an error; see above)"; fi
  echo
}

cat <<EOF
Parley single-node benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')
host: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(free -m | awk '/^Mem:/ {print $2}') MiB RAM, node $(node --version), open files limit $(ulimit -n)
NOTE: the load generator and the server run on this same machine and share
its CPUs; figures are lower bounds for a server with the machine to itself.
Check the "other CPU" column: CPU used by unrelated processes during a run.

EOF

bench idle --spawn --connections "$CONNECTIONS"
bench chat --spawn --pairs "$PAIRS" --rate "$RATES" --duration "$DURATION"
bench chat --spawn --pairs "$PAIRS" --find-max --rate "$FIND_MAX_START" --duration "$FIND_MAX_DURATION"
