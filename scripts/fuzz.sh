#!/usr/bin/env bash
# The long fuzzing run (docs/security.md, "Fuzzing"): every property test
# (*.property.test.ts) with many more runs than the main suite gives it,
# each property bounded in time, one test file at a time. Prints the runs
# each property made; a failure prints its counterexample and the
# PARLEY_FUZZ_SEED / PARLEY_FUZZ_PATH that replay it.
#
#   bash scripts/fuzz.sh [--runs N] [--seconds S] [vitest filters...]
#   pnpm fuzz -- --seconds 60 libs/xml
set -euo pipefail
cd "$(dirname "$0")/.."

runs=100000
seconds=20
filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    --) shift ;;
    *) filters+=("$1"); shift ;;
  esac
done
[ ${#filters[@]} -eq 0 ] && filters=(.property.test.ts)

report="$(mktemp -t parley-fuzz.XXXXXX)"
trap 'rm -f "$report"' EXIT
export PARLEY_FUZZ_RUNS="$runs"
export PARLEY_FUZZ_TIME_MS=$((seconds * 1000))
export PARLEY_FUZZ_REPORT="$report"

echo "fuzz: up to $runs runs or ${seconds}s per property; ${filters[*]}"
status=0
pnpm vitest run --no-file-parallelism "${filters[@]}" || status=$?

node - "$report" <<'NODE'
const lines = require('node:fs').readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
const rows = lines.map((l) => JSON.parse(l));
let total = 0;
console.log('\nruns     seconds  result       property');
for (const r of rows) {
  total += r.runs;
  const result = r.failed ? 'FAILED' : r.interrupted ? 'time limit' : 'all runs';
  const where = `${r.file} > ${r.test.split(' > ').slice(1).join(' > ') || r.test}`;
  console.log(`${String(r.runs).padStart(7)}  ${(r.ms / 1000).toFixed(1).padStart(7)}  ${result.padEnd(11)}  ${where}`);
  if (r.failed) console.log(`         replay: PARLEY_FUZZ_SEED=${r.seed} (the test's output gives the path)`);
}
console.log(`${rows.length} properties, ${total} runs, ${rows.filter((r) => r.failed).length} failed`);
NODE
exit $status
