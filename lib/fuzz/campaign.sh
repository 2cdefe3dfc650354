#!/usr/bin/env bash
# The fuzzing campaign: each family's libFuzzer binary (built by build.sh)
# runs FUZZ_RUNS executions, one family at a time at the lowest priority,
# starting from the committed corpus, and one line per family is appended to
# OUT_DIR/campaign.txt: family, executions, seconds, corpus size, findings.
# Usage: lib/fuzz/campaign.sh [OUT_DIR] [FAMILY...]     (see lib/fuzz/FUZZING.md)
#   FUZZ_RUNS (default 1000000), FUZZ_MAX_TIME (seconds per family, default 7200)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/build/fuzz}" && cd "${1:-$ROOT/build/fuzz}" && pwd)"
shift || true
RUNS="${FUZZ_RUNS:-1000000}"
MAX_TIME="${FUZZ_MAX_TIME:-7200}"
fams=("$@")
if [ ${#fams[@]} -eq 0 ]; then
  for f in "$OUT"/fuzz_*; do fams+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
for fam in "${fams[@]}"; do
  bin="$OUT/fuzz_$fam"
  [ -x "$bin" ] || { echo "campaign: $bin missing (run lib/fuzz/build.sh first)" >&2; exit 1; }
  work="$OUT/campaign-$fam"
  mkdir -p "$work/corpus" "$work/findings"
  log="$work/fuzz.log"
  start=$(date +%s)
  set +e
  ( cd "$work/findings" && ASAN_OPTIONS=detect_leaks=1 nice -n 19 "$bin" -runs="$RUNS" \
      -max_total_time="$MAX_TIME" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 "$work/corpus" "$ROOT/lib/fuzz/corpus/$fam" ) >"$log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  units=$(ls "$work/corpus" | wc -l)
  found=$(ls "$work/findings" | grep -cE '^(crash|leak|timeout|oom)-' || true)
  line="$fam | ${execs:-?} executions | ${secs} s | corpus $units | findings $found | exit $rc"
  echo "$line" | tee -a "$OUT/campaign.txt"
done
