#!/bin/sh
# coverage/run.sh - build the coverage preset, run the unit and scenario
# tests, and write an lcov/genhtml report of core/ and sim/ to
# build/coverage/html.  Prints the line and branch rates of core/.
# Usage: coverage/run.sh [MIN_LINE_PCT MIN_BRANCH_PCT]  (fails below them)
set -eu
cd "$(dirname "$0")/.."
min_line=${1:-0}
min_branch=${2:-0}
cmake --preset coverage >/dev/null
cmake --build --preset coverage
find build/coverage -name '*.gcda' -delete
ctest --preset coverage -L 'unit|scenario' >/dev/null || true
out=build/coverage
lcov --quiet --capture --directory "$out" --rc lcov_branch_coverage=1 \
    --output-file "$out/all.info"
lcov --quiet --extract "$out/all.info" "$PWD/core/*" "$PWD/sim/*" \
    --rc lcov_branch_coverage=1 --output-file "$out/kvmsim.info"
lcov --quiet --extract "$out/all.info" "$PWD/core/*" \
    --rc lcov_branch_coverage=1 --output-file "$out/core.info"
genhtml --quiet --branch-coverage --output-directory "$out/html" \
    "$out/kvmsim.info"
summary=$(lcov --summary "$out/core.info" --rc lcov_branch_coverage=1 2>&1)
line=$(echo "$summary" | sed -n 's/.*lines\.*: \([0-9.]*\)%.*/\1/p')
branch=$(echo "$summary" | sed -n 's/.*branches\.*: \([0-9.]*\)%.*/\1/p')
echo "coverage of core/: lines ${line}%, branches ${branch}%"
echo "report: $out/html/index.html"
awk -v l="$line" -v b="$branch" -v ml="$min_line" -v mb="$min_branch" \
    'BEGIN { exit !(l + 0 >= ml && b + 0 >= mb) }'
