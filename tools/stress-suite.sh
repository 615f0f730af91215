#!/usr/bin/env bash
# Issue 12's acceptance run: the whole suite, N times in a row, each from a fresh clone, while `stress-ng --cpu 2`
# loads both cores. Stops at the first failing run (its log is kept) and prints one summary line per run.
#
#   tools/stress-suite.sh [runs=3] [commit=HEAD]
#
# Each run clones this checkout at <commit> into $STRESS_DIR/run<i>/main (default /tmp/slipway-stress), with the
# checkout's ../shared copied beside it as the tests expect, and runs `CI=true .ci/run` there with no stdin (as CI
# does). Needs stress-ng (apt-get install stress-ng). The summary is also written to $STRESS_DIR/summary.
set -uo pipefail
runs="${1:-3}"
here="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$here" rev-parse "${2:-HEAD}")"
out="${STRESS_DIR:-/tmp/slipway-stress}"
command -v stress-ng >/dev/null || { echo "stress-ng is not installed (apt-get install stress-ng)" >&2; exit 2; }
mkdir -p "$out"
: > "$out/summary"
stress-ng --cpu 2 --timeout 0 > "$out/stress-ng.log" 2>&1 &
stress=$!
trap 'kill "$stress" 2>/dev/null' EXIT
say() { echo "$*" | tee -a "$out/summary"; }
say "commit $commit, $runs run(s), stress-ng --cpu 2 (pid $stress)"
for i in $(seq 1 "$runs"); do
  dir="$out/run$i"
  rm -rf "$dir" && mkdir -p "$dir"
  [ -d "$here/../shared" ] && cp -r "$here/../shared" "$dir/shared"
  git clone -q "$here" "$dir/main" && git -C "$dir/main" checkout -q "$commit"
  start=$(date +%s)
  (cd "$dir/main" && CI=true bash .ci/run > "$dir/log" 2>&1 < /dev/null)
  rc=$?
  files=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/log" | grep -E '^ +Test Files ' | tail -1 | sed 's/^ *//')
  dirty=$(git -C "$dir/main" status --short | wc -l)
  say "run $i: exit $rc in $(( $(date +%s) - start )) s; $files; $dirty changed file(s) in the checkout; load $(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$rc" -eq 0 ] || { say "run $i failed: see $dir/log"; exit 1; }
done
say "all $runs run(s) passed"
