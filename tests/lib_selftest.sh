#!/bin/sh
# tests/lib_selftest.sh - the assertions of tests/lib.h can fail: `test_lib
# fail` runs one deliberately failing case per assertion, a fault loop
# that never runs clean, a parameterised case and two death tests (one
# that does not panic, one with another message); each must fail, printing
# the expression, both values and the variant (set by test_variant, or the
# case name of TEST_CASE_VARIANT).  Usage: lib_selftest.sh TEST_LIB
set -u
out=$("$1" fail 2>&1)
rc=$?
bad=0
if [ "$rc" -ne 8 ]; then
    echo "FAIL: test_lib fail exited $rc, want 8 (eight failed cases)" >&2
    bad=1
fi
while IFS= read -r want; do
    if ! printf '%s\n' "$out" | grep -qF -- "$want"; then
        echo "FAIL: no line with: $want" >&2
        bad=1
    fi
done <<'LINES'
ASSERT_LT(a, b): a < b is false
    a = 5
    b = 3
ASSERT_GE(live, before): live >= before is false
    live = 7 (0x7)
    before = 256 (0x100)
ASSERT_LE(ratio, 1.25): ratio <= 1.25 is false
    ratio = 1.5
ASSERT_GT(hits, 0): hits > 0 is false
    variant: lookup bsearch, seed 7
fault loop on alloc, single failure, n = 6: the operation still reaches call n
[  FAILED  ] must_fail_variant_case/three
EXPECT_PANIC(plat_lock_destroy(&l)): returned, want a panic with "destroyed"
EXPECT_PANIC(plat_unlock(&l)): panic message
    "thread 'outside a run' unlocks lock 'unheld' held by 'nobody'"
    "a message it does not print"
[  FAILED  ] 8 test(s), listed below:
LINES
if [ $bad -ne 0 ]; then
    printf '%s\n' "$out" >&2
else
    echo "lib self-test: every deliberate failure failed with its values"
fi
exit $bad
