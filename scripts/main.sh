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
# The tape is kept in build/ so the printed replay command works later.
tape=build/demo-racy.tape
err=$(mktemp)
for s in $(seq 1 300); do
    if ! "$bin" run demo --variant racy --strategy pct --seed "$s" \
            --save-tape "$tape" --quiet 2>"$err"; then
        echo "seed $s:"
        cat "$err"
        echo "replaying the saved tape:"
        "$bin" replay "$tape" --quiet 2>&1 | head -1 || true
        break
    fi
done
rm -f "$err"
echo
echo "== engine benchmark =="
build/default/bench/bench_switch 5
