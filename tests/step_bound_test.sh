#!/bin/sh
# tests/step_bound_test.sh - every scenario of `kvmsim list`, every variant,
# stopped by the step bound at its very first steps (1, 50), at 2000 and
# half-way through its full run: each run must exit 3 with the step-limit
# message and one report line per live thread, without an engine panic, a
# sanitizer report or a leak (LeakSanitizer is on when the binary has it).
# Usage: step_bound_test.sh KVMSIM_BINARY
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
# ThreadSanitizer otherwise sleeps a second at every exit.
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}atexit_sleep_ms=0"
export ASAN_OPTIONS TSAN_OPTIONS
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; sed 's/^/    /' err.txt | head -20; }

# "SCENARIO VARIANT" pairs from `kvmsim list`.
"$bin" list > list.txt || { echo "FAIL kvmsim list"; exit 1; }
awk '/^[a-z]/ { s = $1 }
     /variants:/ { for (i = 2; i <= NF; i++) { v = $i
                   sub(/\(default\)/, "", v); if (v != "") print s, v } }' \
    list.txt > pairs.txt
test -s pairs.txt || { echo "FAIL no scenarios listed"; exit 1; }

# One bounded run: exit 3, the message, a thread report, nothing else.
bounded() {
    s=$1 v=$2 n=$3
    name="run_${s}_${v}_step_limit_$n"
    "$bin" run "$s" --variant "$v" --set run.step_limit="$n" --quiet \
        --save-tape /dev/null > out.txt 2> err.txt
    rc=$?
    if [ "$rc" -ne 3 ]; then
        bad "$name: exit $rc, expected 3"
    elif ! grep -q ": step limit at .* after .* steps" err.txt; then
        bad "$name: no step-limit message"
    elif ! grep -q "^  thread [0-9]* '.*' on CPU" err.txt; then
        bad "$name: no per-thread report"
    elif grep -q "engine:" err.txt; then
        bad "$name: engine panic"
    elif grep -qE "Sanitizer|runtime error" err.txt; then
        bad "$name: sanitizer report"
    else
        ok
    fi
}

while read -r s v; do
    # The full run's length, for a bound that stops it half-way.
    "$bin" run "$s" --variant "$v" --save-tape /dev/null > out.txt 2> err.txt
    rc=$?
    steps=$(sed -n 's/.* \([0-9][0-9]*\) steps, .*/\1/p' out.txt)
    if [ "$rc" -ne 0 ] || [ -z "$steps" ]; then
        bad "run_${s}_${v}_full: exit $rc"
        continue
    fi
    ok
    for n in 1 50 2000 $((steps / 2)); do
        if [ "$n" -ge 1 ] && [ "$n" -lt $((steps - 1)) ]; then
            bounded "$s" "$v" "$n"
        fi
    done
done < pairs.txt

echo "step_bound_test: $pass passed, $fail failed"
test "$fail" -eq 0 -a "$pass" -gt 0
