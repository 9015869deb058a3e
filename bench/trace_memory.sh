#!/bin/sh
# bench/trace_memory.sh - peak resident memory of traced runs against the
# same runs without --trace, the trace file sizes and the wall time: the
# streamed trace should keep memory flat however long the run.  Runs:
# its-lpi-storm as shipped, its-lpi-storm over 2 s of virtual time, and
# virtio-net-tx with 10M requests, which hits the default step limit
# (50M steps; exit 3 is expected there).  A benchmark, not a test: it
# prints figures and never fails on them.  Needs GNU time (/usr/bin/time).
# Usage: trace_memory.sh [KVMSIM] [TMPDIR]
set -u
bin=${1:-build/default/kvmsim}
dir=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/kvmsim-trace-mem.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
if [ ! -x /usr/bin/time ]; then
    echo "trace_memory: needs GNU time at /usr/bin/time" >&2
    exit 2
fi

# run LABEL TRACE(yes|no) ARGS...: one line of figures.
run() {
    label=$1 traced=$2
    shift 2
    rm -f "$dir/t.json"
    if [ "$traced" = yes ]; then
        set -- "$@" --trace "$dir/t.json"
    fi
    /usr/bin/time -v -o "$dir/time.txt" "$bin" run "$@" --quiet \
        --save-tape /dev/null >/dev/null 2>"$dir/err.txt"
    rc=$?
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time.txt")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' \
               "$dir/time.txt")
    code=$(sed -n 's/.*Exit status: //p' "$dir/time.txt")
    size=-
    if [ -f "$dir/t.json" ]; then
        size=$(wc -c <"$dir/t.json" | tr -d ' ')
    fi
    printf '%-34s %6s %14s %14s %10s %5s\n' "$label" "$traced" \
        "${rss:-?}" "$size" "${wall:-?}" "${code:-$rc}"
}

printf '%-34s %6s %14s %14s %10s %5s\n' run trace "peak RSS KiB" \
    "trace bytes" wall exit
for t in no yes; do
    run "its-lpi-storm" "$t" its-lpi-storm
done
for t in no yes; do
    run "its-lpi-storm duration_ms=2000" "$t" its-lpi-storm \
        --set duration_ms=2000
done
for t in no yes; do
    run "virtio-net-tx requests=10M" "$t" virtio-net-tx \
        --set requests=10000000
done
