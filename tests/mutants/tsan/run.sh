#!/bin/sh
# tests/mutants/tsan/run.sh - mutants caught by ThreadSanitizer on simulated
# schedules.  They live apart from tests/mutants/*.patch because the main
# suite builds with gcc, where a race that breaks no invariant on the
# schedules explored survives; here the tree is built with the `tsan`
# preset (clang) and a mutant is caught when one of its `# explore:` lines
# ends with a ThreadSanitizer report ([crash], exit 4).
#
# The tree is copied (without build/ and .git) to a scratch directory and
# `kvmsim` is built once.  The unmutated tree must explore every spec
# silent (exit 0).  Then for each patch: apply (patch -p1), rebuild kvmsim,
# run its explorations until one reports, revert.
#
# Patch header lines (patch ignores them):
#   # Defect: ...  # Realistic: ...  # Caught: ...
#   # explore: SCENARIO --variant V --seeds N --strategy S   (repeatable)
#
# Usage: run.sh [PATCH ...]   (default: every tests/mutants/tsan/*.patch)
# Environment: KVMSIM_MUTANT_JOBS (default 2), KVMSIM_MUTANT_WORK (scratch
# directory, default a new one under /tmp, kept when set).
# Output: `caught    NAME  by explore ... (N s)` or `SURVIVED  NAME`, then
# `tsan mutants: caught C/T`.  Exit 0 when every mutant was caught.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
jobs=${KVMSIM_MUTANT_JOBS:-2}
work=${KVMSIM_MUTANT_WORK:-}
keep=1
if [ -z "$work" ]; then
    work=$(mktemp -d)
    keep=0
fi
trap '[ $keep -eq 1 ] || rm -rf "$work"' EXIT
list=${*:-$(ls "$here"/*.patch)}
tree=$work/src
bin=$tree/build/tsan/kvmsim
log=$work/log
mkdir -p "$tree" "$log"
(cd "$src" && tar --exclude=./build --exclude=./.git -cf - .) |
    (cd "$tree" && tar -xf -) || exit 2
(cd "$tree" && cmake --preset tsan >"$log/configure.log" 2>&1 &&
    cmake --build --preset tsan -j "$jobs" --target kvmsim \
        >"$log/build.log" 2>&1) || {
    echo "tsan mutants: the unmutated tree does not build; see $log" >&2
    exit 2
}

specs() { sed -n 's/^# explore:[[:space:]]*//p' "$1"; }

explore() { # $1 spec; output in $log/explore.txt; exit code returned
    # shellcheck disable=SC2086 # the spec is a word list by design
    (cd "$work" && "$bin" explore $1 --jobs "$jobs") >"$log/explore.txt" 2>&1
}

for p in $list; do
    specs "$p"
done | sort -u | while read -r spec; do
    if ! explore "$spec"; then
        echo "tsan mutants: the unmutated tree fails: explore $spec" >&2
        tail -n 20 "$log/explore.txt" >&2
        exit 2
    fi
done || exit 2

total=0
caught=0
for p in $list; do
    name=$(basename "$p" .patch)
    total=$((total + 1))
    if ! patch -p1 -s -d "$tree" <"$p" >"$log/$name.log" 2>&1; then
        echo "ERROR     $name  (does not apply)"
        continue
    fi
    by=""
    t0=$(date +%s)
    if (cd "$tree" && cmake --build --preset tsan -j "$jobs" \
            --target kvmsim >>"$log/$name.log" 2>&1); then
        specs "$p" >"$log/specs"
        while read -r spec; do
            explore "$spec"
            # Caught: a report attributed to the seed that was running,
            # grouped as a crash; not only the runtime's exit status.
            if [ $? -eq 4 ] &&
               grep -q '^\[seed [0-9]*\] SUMMARY: ThreadSanitizer' \
                   "$log/explore.txt" &&
               grep -q '^  \[crash\] ' "$log/explore.txt"
            then
                by="explore $spec"
                break
            fi
        done <"$log/specs"
    else
        by="-"
        echo "ERROR     $name  (does not build)"
    fi
    patch -R -p1 -s -d "$tree" <"$p" >>"$log/$name.log" 2>&1
    if [ "$by" = "-" ]; then
        continue
    elif [ -n "$by" ]; then
        caught=$((caught + 1))
        echo "caught    $name  by $by ($(($(date +%s) - t0)) s)"
    else
        echo "SURVIVED  $name"
    fi
done
echo "tsan mutants: caught $caught/$total"
[ "$caught" -eq "$total" ]
