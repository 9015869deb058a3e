#!/bin/sh
# scripts/main.sh - the main job: install what is missing, build the
# optimised tree, and run the headline scenarios (their seed report is
# written to build/report/) and the engine benchmark.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
bin=build/default/kvmsim
echo
echo "== kvmsim scenarios =="
"$bin" list
# Every seed scenario's `kvmsim compare` (the seed's table beside the
# model's), also written as build/report/seeds.{json,md,html}.
"$bin" report --out build/report
echo
echo "== demo: every variant, seed 7 =="
"$bin" compare demo --seed 7
echo
echo "== demo: a lost kick found by PCT and replayed from its tape =="
out=$(mktemp -d)
for s in $(seq 1 300); do
    if ! "$bin" run demo --variant racy --strategy pct --seed "$s" \
            --save-tape "$out/racy.tape" --quiet 2>"$out/err"; then
        echo "seed $s:"
        cat "$out/err"
        echo "replaying the saved tape:"
        "$bin" replay "$out/racy.tape" --quiet 2>&1 | head -1 || true
        break
    fi
done
rm -rf "$out"
echo
echo "== engine benchmark =="
build/default/bench/bench_switch 5
