#!/bin/sh
# tests/demo_test.sh - the demo's drain deadline: an overloaded iothread
# that is still draining at the deadline is a missed deadline (exit 3),
# never an invariant failure; with the default deadline it finishes
# (exit 0); a lost kick stays an invariant failure (exit 1).
# Usage: demo_test.sh KVMSIM
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail=0

# expect NAME CODE GREP-PATTERN ARGS...: run kvmsim ARGS, check the exit
# code and that stderr matches the pattern (empty: not checked).
expect() {
    name=$1 code=$2 pat=$3
    shift 3
    "$bin" "$@" --quiet >out.txt 2>err.txt
    rc=$?
    if [ $rc -ne "$code" ]; then
        echo "FAIL $name: kvmsim $* exited $rc, expected $code"
        sed 's/^/    /' err.txt
        fail=1
    elif [ -n "$pat" ] && ! grep -q "$pat" err.txt; then
        echo "FAIL $name: stderr lacks '$pat':"
        sed 's/^/    /' err.txt
        fail=1
    else
        echo "ok   $name"
    fi
}

big="--set vm.vcpus=8 --set workload.items=1000"
# shellcheck disable=SC2086
expect overloaded_default_deadline_time 0 '' run demo $big
# shellcheck disable=SC2086
expect overloaded_default_deadline_pct 0 '' run demo $big --strategy pct
# shellcheck disable=SC2086
expect overloaded_short_deadline_exit_3 3 \
    '^kvmsim: demo: deadline: [0-9]* of 8000 items still queued' \
    run demo $big --set workload.drain_timeout_ns=100000
if grep -q 'invariant failed' err.txt; then
    echo "FAIL overloaded_short_deadline_is_no_invariant"
    fail=1
fi
expect racy_lost_kick_exit_1 1 \
    'all_processed: 206 of 400 items never processed.*lost kick' \
    run demo --variant racy --strategy pct --seed 27
# A longer deadline does not hide the lost kick.
expect racy_lost_kick_long_deadline_exit_1 1 'lost kick' \
    run demo --variant racy --strategy pct --seed 27 \
    --set workload.drain_timeout_ns=50000000
exit $fail
