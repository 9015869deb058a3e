#!/bin/sh
# coverage/run.sh - the coverage gate: build the coverage preset (gcc,
# --coverage, -O0), run the unit and scenario tests (ctest -L
# 'unit|scenario'), write an lcov/genhtml report of core/ and sim/ to
# BUILD/html, print the line and branch rates of core/ and sim/, and fail
# when core/ is below MIN_LINE % of lines or MIN_BRANCH % of branches.
#
# Usage: coverage/run.sh [MIN_LINE [MIN_BRANCH]]   (default 95 85; 0 0
#        only reports)
# Environment: KVMSIM_COVERAGE_DIR  build directory (default build/coverage,
#                                   configured from the coverage preset)
#              KVMSIM_JOBS          build and test parallelism (nproc)
# Exit: 0 gate passed; 1 core/ below a threshold; 2 a test failed, a tool
#       is missing or lcov produced no usable data.
#
# Works with lcov 1.x (branch data needs --rc lcov_branch_coverage=1) and
# 2.x (--rc branch_coverage=1, --filter branch drops the branches gcc emits
# on lines with no condition).  Exception branches are excluded either way
# (there are none in C unless built with -fexceptions).  The rates are
# summed from the tracefile's LF/LH/BRF/BRH records, not parsed from lcov's
# summary text, which differs between versions.
set -eu
cd "$(dirname "$0")/.."
min_line=${1:-95}
min_branch=${2:-85}
out=${KVMSIM_COVERAGE_DIR:-build/coverage}
jobs=${KVMSIM_JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$(date +%s)

die() {
    echo "coverage: FAIL: $*" >&2
    exit 2
}

for tool in lcov genhtml gcov; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found (Debian: apt-get install lcov)"
done

# ---- build and run the tests -------------------------------------------
echo "coverage: building $out"
cmake --preset coverage -B "$out" >/dev/null
cmake --build "$out" -j "$jobs" >"$out/build.log" 2>&1 ||
    { tail -n 30 "$out/build.log" >&2; die "build failed ($out/build.log)"; }
find "$out" -name '*.gcda' -delete
echo "coverage: running ctest -L 'unit|scenario'"
if ! ctest --test-dir "$out" -L 'unit|scenario' -j "$jobs" \
        --output-on-failure >"$out/ctest.log" 2>&1; then
    sed -n '/tests failed out of/,$p' "$out/ctest.log" >&2
    die "unit/scenario tests failed in the coverage build" \
        "($out/ctest.log); coverage is measured on passing tests only"
fi

# ---- lcov, whatever its version ------------------------------------------
lcov_major=$(lcov --version 2>/dev/null |
             sed -n 's/.*[Vv]ersion[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -n 1)
[ -n "$lcov_major" ] || die "cannot tell the lcov version"
if [ "$lcov_major" -ge 2 ]; then
    rc="--rc branch_coverage=1 --rc geninfo_no_exception_branch=1"
    capture_extra="--filter branch --ignore-errors mismatch,unused"
    extract_extra="--ignore-errors unused"
else
    rc="--rc lcov_branch_coverage=1 --rc geninfo_no_exception_branch=1"
    capture_extra=""
    extract_extra=""
fi
# The gcov that matches the compiler (gcc-12 -> gcov-12), when there is one.
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$out/CMakeCache.txt")
cc=$(command -v "$cc" 2>/dev/null || echo "$cc")
gcov_tool=$(echo "$cc" | sed 's/gcc\(-[0-9.]*\)\{0,1\}$/gcov\1/')
if [ "$gcov_tool" != "$cc" ] && [ -x "$gcov_tool" ]; then
    capture_extra="$capture_extra --gcov-tool $gcov_tool"
fi

log="$out/lcov.log"
# shellcheck disable=SC2086 # the option strings are meant to split
{
    lcov --quiet $rc $capture_extra --capture --directory "$out" \
        --output-file "$out/all.info" &&
    lcov --quiet $rc $extract_extra --extract "$out/all.info" \
        "$PWD/core/*" "$PWD/sim/*" --output-file "$out/kvmsim.info" &&
    lcov --quiet $rc $extract_extra --extract "$out/all.info" \
        "$PWD/core/*" --output-file "$out/core.info" &&
    lcov --quiet $rc $extract_extra --extract "$out/all.info" \
        "$PWD/sim/*" --output-file "$out/sim.info" &&
    genhtml --quiet $rc --branch-coverage --legend --prefix "$PWD" \
        --title "kvmsim core/ and sim/" --output-directory "$out/html" \
        "$out/kvmsim.info"
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "lcov/genhtml failed ($log)"; }

# "files lines_hit lines branches_hit branches" of a tracefile.
totals() {
    awk -F: '
        /^SF:/ { files++ }
        /^LF:/ { lf += $2 } /^LH:/ { lh += $2 }
        /^BRF:/ { bf += $2 } /^BRH:/ { bh += $2 }
        END { printf "%d %d %d %d %d\n", files, lh, lf, bh, bf }' "$1"
}

pct() {
    awk -v h="$1" -v n="$2" 'BEGIN { printf "%.1f", n ? 100 * h / n : 0 }'
}

for dir in core sim; do
    set -- $(totals "$out/$dir.info")
    [ "$1" -gt 0 ] || die "the report holds no file of $dir/"
    [ "$5" -gt 0 ] || die "no branch data for $dir/ (lcov $lcov_major:" \
                          "branch coverage not enabled?)"
    echo "coverage of $dir/: lines $(pct "$2" "$3")% ($2 of $3)," \
         "branches $(pct "$4" "$5")% ($4 of $5), $1 files"
    if [ "$dir" = core ]; then
        line=$(pct "$2" "$3")
        branch=$(pct "$4" "$5")
    fi
done
echo "report: $out/html/index.html"
echo "coverage: $(($(date +%s) - start)) s (build, tests, lcov)"

if awk -v l="$line" -v b="$branch" -v ml="$min_line" -v mb="$min_branch" \
        'BEGIN { exit !(l + 0 >= ml && b + 0 >= mb) }'; then
    echo "coverage: gate passed: core/ lines ${line}% >= ${min_line}%," \
         "branches ${branch}% >= ${min_branch}%"
    exit 0
fi
echo "coverage: FAIL: core/ lines ${line}% (need ${min_line}%)," \
     "branches ${branch}% (need ${min_branch}%)"
echo "core/ files with the most uncovered lines (uncovered/lines," \
     "uncovered branches):"
awk -F: '
    /^SF:/ { f = $2; sub(".*/core/", "core/", f) }
    /^LF:/ { lf = $2 } /^LH:/ { lh = $2 }
    /^BRF:/ { bf = $2 } /^BRH:/ { bh = $2 }
    /^end_of_record/ { printf "%6d/%-6d %6d  %s\n", lf - lh, lf, bf - bh, f;
                       lf = lh = bf = bh = 0 }' "$out/core.info" |
    sort -rn | head -n 8
echo "see $out/html/index.html; add tests that reach those lines"
exit 1
