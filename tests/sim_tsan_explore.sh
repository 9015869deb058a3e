#!/bin/sh
# tests/sim_tsan_explore.sh - the clean tree explores silent under
# ThreadSanitizer on simulated schedules: every built-in scenario and
# variant, SEEDS seeds under each strategy, no failing seed (a TSan report
# would be a [crash]).  Skipped (exit 77) unless TSAN is ON.
# Usage: sim_tsan_explore.sh KVMSIM_BINARY TSAN SEEDS
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [ "$2" != "ON" ]; then
    echo "not a ThreadSanitizer build: skipped"
    exit 77
fi
seeds=$3
# No second of sleep at each exit (ThreadSanitizer's default): the runs
# are 120 processes.
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}atexit_sleep_ms=0"
export TSAN_OPTIONS
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail=0
runs=0
# `kvmsim list`: a scenario name opens a line, its variants follow.
"$bin" list | awk '
    /^[^ ]/ { name = $1 }
    /variants:/ {
        on = 0
        for (i = 1; i <= NF; i++) {
            if ($i == "variants:") { on = 1; continue }
            if (on && $i != "(default)") print name, $i
        }
    }' > variants.txt
if [ ! -s variants.txt ]; then
    echo "FAIL no scenario variants listed by $bin list"
    exit 1
fi
while read -r scn variant; do
    for st in time random pct pos surw portfolio; do
        runs=$((runs + 1))
        "$bin" explore "$scn" --variant "$variant" --strategy "$st" \
            --seeds "$seeds" --jobs 2 > out.txt 2>&1
        rc=$?
        if [ $rc -ne 0 ] || ! grep -q " 0 failing" out.txt; then
            fail=$((fail + 1))
            echo "FAIL $scn $variant $st: exit $rc, expected 0 failing:"
            tail -n 40 out.txt
        else
            echo "ok   $scn $variant $st: $(tail -n 1 out.txt)"
        fi
    done
done < variants.txt
echo "$runs explorations, $fail failing"
[ $fail -eq 0 ]
