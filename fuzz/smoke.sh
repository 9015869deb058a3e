#!/bin/sh
# fuzz/smoke.sh - run one fuzzer for a bounded time from its seed corpus.
# Usage: smoke.sh FUZZER FUZZDIR NAME SECONDS.  New inputs go to a scratch
# directory, never into the checked-in corpus; regression inputs in
# FUZZDIR/regress/NAME are replayed first.
set -eu
fuzzer=$1 dir=$2 name=$3 secs=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -d "$dir/regress/$name" ] && [ -n "$(ls -A "$dir/regress/$name")" ]; then
    "$fuzzer" -runs=0 "$dir/regress/$name"/*
fi
dict=""
[ -f "$dir/$name.dict" ] && dict="-dict=$dir/$name.dict"
# The [libfuzzer] settings of NAME.options (max_len, ...) as flags; the
# dictionary comes from NAME.dict above.
opts=""
if [ -f "$dir/$name.options" ]; then
    opts=$(awk '/^[[:space:]]*\[/ { sec = $0; next }
        sec ~ /^\[libfuzzer\]/ && /=/ && !/^[[:space:]]*[#;]/ {
            k = $0; sub(/[[:space:]]*=.*/, "", k); sub(/^[[:space:]]+/, "", k)
            v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); sub(/[[:space:]]+$/, "", v)
            if (k != "dict") printf "-%s=%s ", k, v
        }' "$dir/$name.options")
fi
seeds=""
[ -d "$dir/corpus/$name" ] && seeds="$dir/corpus/$name"
rc=0
# shellcheck disable=SC2086
"$fuzzer" $dict $opts -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 "$work" $seeds \
    >"$work/log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
    # What the target said about the failing input (its exit and replay
    # command) comes before libFuzzer's long report.
    grep -E '^(kvmsim|tape target|replay with)' "$work/log" | tail -n 8
fi
tail -n 30 "$work/log"
exit $rc
