#!/bin/sh
# tests/trace_hashes.sh - the trace-hash table: every scenario of
# `kvmsim list`, every variant, seeds 1-20 under the default strategy
# (time) and seeds 1-5 under pct, as "scenario variant strategy seed exit
# hash" lines.  The table in tests/trace_hashes.txt is the behaviour a
# change that only moves code must keep: the test compares a fresh table
# with it line by line and prints every line that differs.
#
# Usage: trace_hashes.sh KVMSIM_BINARY [TABLE]      compare with TABLE
#        trace_hashes.sh KVMSIM_BINARY --write FILE  write the table
# A change that is meant to change behaviour regenerates the table with
# --write and says which scenario's hashes moved and why.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$(dirname "$0")" && pwd)
mode=compare
table=$src/trace_hashes.txt
if [ "${2:-}" = "--write" ]; then
    mode=write
    table=${3:?--write needs a FILE}
elif [ -n "${2:-}" ]; then
    table=$2
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}atexit_sleep_ms=0"
export TSAN_OPTIONS

"$bin" list > "$dir/list.txt" || { echo "FAIL kvmsim list"; exit 1; }
awk '/^[a-z]/ { s = $1 }
     /variants:/ { for (i = 2; i <= NF; i++) { v = $i
                   sub(/\(default\)/, "", v); if (v != "") print s, v } }' \
    "$dir/list.txt" > "$dir/pairs.txt"
test -s "$dir/pairs.txt" || { echo "FAIL no scenarios listed"; exit 1; }

# One line per run; a run that prints no hash records "-".
one() {
    "$bin" run "$1" --variant "$2" --strategy "$3" --seed "$4" \
        --save-tape /dev/null > "$dir/out.txt" 2>&1
    rc=$?
    h=$(sed -n 's/^ *trace hash \([0-9a-f]*\).*/\1/p' "$dir/out.txt" |
        tail -n 1)
    echo "$1 $2 $3 $4 $rc ${h:--}"
}

while read -r s v; do
    seed=1
    while [ "$seed" -le 20 ]; do
        one "$s" "$v" time "$seed"
        seed=$((seed + 1))
    done
    seed=1
    while [ "$seed" -le 5 ]; do
        one "$s" "$v" pct "$seed"
        seed=$((seed + 1))
    done
done < "$dir/pairs.txt" > "$dir/now.txt"

if [ "$mode" = write ]; then
    cp "$dir/now.txt" "$table" || exit 1
    echo "wrote $(wc -l < "$table") lines to $table"
    exit 0
fi
test -r "$table" || { echo "FAIL no table at $table"; exit 1; }
if diff "$table" "$dir/now.txt" > "$dir/diff.txt"; then
    echo "ok: $(wc -l < "$table") runs, every trace hash and exit as in" \
         "the table"
    exit 0
fi
echo "FAIL trace hashes differ from $table (< table, > now):"
cat "$dir/diff.txt"
exit 1
