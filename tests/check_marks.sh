#!/bin/sh
# tests/check_marks.sh - every coverage mark of core/testcase.h is hit by the
# one test case tests/marks.txt names for it.
#
# Checks, in order:
#   1. the marks defined in TESTCASE_MARKS, the marks placed in core/*.c
#      (KVMSIM_MARK / KVMSIM_MARK_IF) and the marks of the manifest are the
#      same set, each mark on exactly one manifest line;
#   2. for each manifest line "MARK BINARY TEST_CASE", BINARY run with only
#      TEST_CASE (KVMSIM_TEST_FILTER, tests/harness.c) runs exactly that
#      case, passes, and leaves MARK's counter above zero (KVMSIM_MARKS_FILE).
# Usage: check_marks.sh SRCDIR TESTBINDIR [MANIFEST]
# Exits 1 with one line per problem; 2 on bad usage.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 SRCDIR TESTBINDIR [MANIFEST]" >&2
    exit 2
fi
src=$1
bin=$2
manifest=${3:-$src/tests/marks.txt}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmsim-marks.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
bad=0

fail() {
    echo "marks: FAIL: $*"
    bad=1
}

# ---- 1. one set of marks -----------------------------------------------
sed -n 's/^[[:space:]]*X(\([A-Z0-9_]*\)).*/\1/p' "$src/core/testcase.h" |
    sort >"$tmp/defined"
grep -ho 'KVMSIM_MARK\(_IF\)\{0,1\}(.*);' "$src"/core/*.c |
    sed -n 's/.*[(, ]\([A-Z][A-Z0-9_]*\));$/\1/p' | sort -u >"$tmp/placed"
sed 's/#.*//' "$manifest" | awk 'NF' >"$tmp/lines"
awk 'NF != 3 { print "line " NR ": want MARK BINARY TEST_CASE: " $0 }' \
    "$tmp/lines" >"$tmp/malformed"
while read -r line; do
    fail "$manifest: $line"
done <"$tmp/malformed"
awk '{ print $1 }' "$tmp/lines" | sort >"$tmp/listed"
for m in $(uniq -d "$tmp/listed"); do
    fail "$m is listed more than once in $manifest"
done
sort -u "$tmp/listed" -o "$tmp/listed"
if [ ! -s "$tmp/defined" ]; then
    fail "no marks found in $src/core/testcase.h"
fi
for m in $(comm -23 "$tmp/defined" "$tmp/placed"); do
    fail "$m is defined in core/testcase.h but placed nowhere in core/*.c"
done
for m in $(comm -13 "$tmp/defined" "$tmp/placed"); do
    fail "$m is placed in core/ but not defined in core/testcase.h"
done
for m in $(comm -23 "$tmp/defined" "$tmp/listed"); do
    fail "$m has no line in $manifest (name the test case that hits it)"
done
for m in $(comm -13 "$tmp/defined" "$tmp/listed"); do
    fail "$manifest lists $m, which core/testcase.h does not define"
done

# ---- 2. each named test case hits its mark -------------------------------
n=0
while read -r mark prog tcase; do
    [ -n "$tcase" ] || continue
    n=$((n + 1))
    key="$prog.$tcase"
    if [ ! -f "$tmp/$key.marks" ] && [ ! -f "$tmp/$key.failed" ]; then
        if [ ! -x "$bin/$prog" ]; then
            fail "$mark: no test binary $bin/$prog"
            : >"$tmp/$key.failed"
            continue
        fi
        CMOCKA_MESSAGE_OUTPUT=STDOUT KVMSIM_TEST_FILTER="$tcase" \
            KVMSIM_MARKS_FILE="$tmp/$key.marks" \
            "$bin/$prog" </dev/null >"$tmp/$key.out" 2>&1
        rc=$?
        ran=$(sed -n 's/^\[ RUN      \] //p' "$tmp/$key.out")
        if [ "$ran" != "$tcase" ]; then
            fail "$mark: $prog ran [$(echo $ran)] for filter $tcase," \
                 "want exactly that test case"
            : >"$tmp/$key.failed"
        elif [ $rc -ne 0 ]; then
            fail "$mark: $prog $tcase failed (exit $rc):"
            sed 's/^/    /' "$tmp/$key.out" | tail -n 20
            : >"$tmp/$key.failed"
        elif [ ! -f "$tmp/$key.marks" ]; then
            fail "$mark: $prog wrote no marks file (harness.c not linked?)"
            : >"$tmp/$key.failed"
        fi
    fi
    [ -f "$tmp/$key.failed" ] && continue
    hits=$(awk -v m="$mark" '$1 == m { print $2 }' "$tmp/$key.marks")
    if [ -z "$hits" ]; then
        fail "$mark: missing from $prog's marks dump (stale build?)"
    elif [ "$hits" -eq 0 ]; then
        fail "$mark: not hit by $prog $tcase"
    fi
done <"$tmp/lines"

if [ $bad -eq 0 ]; then
    echo "marks: ok: $(wc -l <"$tmp/defined") marks, each hit by its" \
         "named test case ($n manifest lines)"
fi
exit $bad
