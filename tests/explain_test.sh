#!/bin/sh
# tests/explain_test.sh - `kvmsim explain` on the demo's lost kick (the
# racy demo under PCT, seed 27): it exits 0, keeps at most 3 decisions and
# prints each in words, the minimal tape it writes still fails the same
# way on replay with the trace hash explain printed (so the decision log
# changes no hash), both traces are complete JSON and the first divergence
# is named.  Then the refusals: a tape that does not fail (exit 2), an
# output that cannot be written (exit 5), a raw tape without --scenario
# (exit 2).
# Usage: explain_test.sh KVMSIM
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail=0

# Under ThreadSanitizer every shrinking replay is a forked child that the
# runtime makes slow (about 2 s each: 3 minutes for this test); explain is
# a tool over the engine and is tested in the plain and ASan builds.
if grep -q -a __tsan_init "$bin"; then
    echo "skip: ThreadSanitizer build"
    exit 77
fi

bad() {
    echo "FAIL $1"
    shift
    for f in "$@"; do
        sed 's/^/    /' "$f"
    done
    fail=1
}

"$bin" run demo --variant racy --strategy pct --seed 27 --quiet \
    --save-tape lost-kick.tape >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ] || bad "demo_racy_pct_27_fails: exit $rc, expected 1"

"$bin" explain lost-kick.tape --out x >out.txt 2>err.txt
rc=$?
if [ $rc -ne 0 ]; then
    bad "explain_demo_lost_kick_exit_0: exit $rc" out.txt err.txt
else
    echo "ok   explain_demo_lost_kick_exit_0"
fi
n=$(sed -n 's/^  shrunk to \([0-9]*\) decision.*/\1/p' out.txt)
listed=$(grep -c '^  [0-9]*\. ' out.txt)
if [ -z "$n" ] || [ "$n" -lt 1 ] || [ "$n" -gt 3 ] || [ "$listed" -ne "$n" ]
then
    bad "explain_demo_lost_kick_at_most_3_decisions: kept '$n', listed \
$listed" out.txt
else
    echo "ok   explain_demo_lost_kick_at_most_3_decisions ($n)"
fi
# In words: every decision names what it did (no unlabelled read).
if grep '^  [0-9]*\. ' out.txt | grep -q 'did not label'; then
    bad "explain_demo_decisions_in_words" out.txt
elif ! grep -q "^  [0-9]*\. demote 'vcpu' #[0-9]" out.txt; then
    bad "explain_demo_decisions_in_words: no PCT demotion of a vCPU" \
        out.txt
else
    echo "ok   explain_demo_decisions_in_words"
fi

hash=$(sed -n 's/.*trace hash \([0-9a-f]*\);.*/\1/p' out.txt)
"$bin" replay x/min.tape >rout.txt 2>rerr.txt
rc=$?
got=$(sed -n 's/^  trace hash //p' rout.txt)
if [ $rc -ne 1 ] || ! grep -q 'invariant failed: all_processed' rerr.txt
then
    bad "explain_min_tape_replays_same_failure: exit $rc" rerr.txt
elif [ -z "$hash" ] || [ "$hash" != "$got" ]; then
    bad "explain_min_tape_hash_unchanged_by_log: explain '$hash', \
replay '$got'" out.txt rout.txt
else
    echo "ok   explain_min_tape_replays_same_failure ($hash)"
fi

for f in x/fail.json x/pass.json; do
    if ! head -c 40 "$f" | grep -q '^{"displayTimeUnit"' ||
       [ "$(tail -c 3 "$f" | tr -d '\n')" != "]}" ]; then
        bad "explain_trace_complete: $f"
    fi
done
if grep -q '^  nearest passing run: decision [0-9]* reverted' out.txt &&
   grep -q '^  first divergence: [0-9.]* us, thread ' out.txt; then
    echo "ok   explain_passing_run_and_divergence"
else
    bad "explain_passing_run_and_divergence" out.txt
fi

# Default paths: next to the tape, ".tape" cut off.
"$bin" explain lost-kick.tape >/dev/null 2>err.txt
rc=$?
if [ $rc -ne 0 ] || [ ! -s lost-kick.min.tape ] ||
   [ ! -s lost-kick.fail.json ] || [ ! -s lost-kick.pass.json ]; then
    bad "explain_files_next_to_tape: exit $rc" err.txt
else
    echo "ok   explain_files_next_to_tape"
fi

# A tape that passes: nothing to explain.
: >empty.tape
"$bin" explain empty.tape --scenario demo >out.txt 2>err.txt
rc=$?
if [ $rc -ne 2 ] || ! grep -q 'does not fail' err.txt; then
    bad "explain_passing_tape_exit_2: exit $rc" err.txt
else
    echo "ok   explain_passing_tape_exit_2"
fi
"$bin" explain empty.tape >out.txt 2>err.txt
rc=$?
if [ $rc -ne 2 ] || ! grep -q 'needs --scenario' err.txt; then
    bad "explain_raw_tape_without_scenario_exit_2: exit $rc" err.txt
else
    echo "ok   explain_raw_tape_without_scenario_exit_2"
fi
# An output that cannot be written.
"$bin" explain lost-kick.tape --out /dev/null/x >out.txt 2>err.txt
rc=$?
if [ $rc -ne 5 ] || ! grep -q 'cannot create' err.txt; then
    bad "explain_unwritable_out_exit_5: exit $rc" err.txt
else
    echo "ok   explain_unwritable_out_exit_5"
fi
exit $fail
