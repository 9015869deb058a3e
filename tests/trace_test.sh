#!/bin/sh
# tests/trace_test.sh - the streamed --trace JSON.  CASE (default failing):
#   failing    a failing run's trace parses, names every simulated CPU and
#              thread, carries the failed invariant as a global instant with
#              its message, shows the wait that never ended, and
#              scripts/trace_view.py reads it.  The failing run is the racy
#              demo under PCT, seed 27 (a lost kick).
#   streamed   a passing run with many tracks (switchover-vfio without its
#              race phase: 16 CPUs, 18 threads) gives valid JSON, every
#              track named, run slices,
#              spans and waits, and the same trace hash as without --trace.
#   unwritable --trace /dev/full exits 5 naming the path and the error; a
#              path that cannot be opened exits 5 before the run (no
#              summary printed).
# Usage: trace_test.sh KVMSIM SRCDIR [CASE]
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
case=${3:-failing}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() {
    echo "FAIL: $*"
    exit 1
}

case_streamed() {
    "$bin" run switchover-vfio --quiet --trace t.json --metrics m1.json \
        --set race_rounds=0 ||
        fail "switchover-vfio with --trace did not pass"
    "$bin" run switchover-vfio --quiet --metrics m0.json --set race_rounds=0 ||
        fail "switchover-vfio without --trace did not pass"
    python3 - t.json m0.json m1.json <<'PY2' || fail "streamed trace content"
import json, sys
doc = json.load(open(sys.argv[1]))
h0 = json.load(open(sys.argv[2]))["trace_hash"]
h1 = json.load(open(sys.argv[3]))["trace_hash"]
assert h0 == h1, ("--trace changed the trace hash", h0, h1)
ev = doc["traceEvents"]
procs = {e["pid"]: e["args"]["name"] for e in ev
         if e.get("ph") == "M" and e["name"] == "process_name"}
assert procs == {1: "simulated CPUs", 2: "simulated threads"}, procs
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e.get("ph") == "M" and e["name"] == "thread_name"}
cpus = sorted(t for (p, t) in names if p == 1)
assert cpus == list(range(16)), cpus
assert all(names[(1, c)] == "CPU %d" % c for c in cpus), names
threads = sorted(n for (p, _), n in names.items() if p == 2)
assert len(threads) == 18 and threads.count("vfio-state") == 8, threads
cats = {(e["ph"], e.get("cat"), e["pid"]) for e in ev}
for want in [("X", "cpu", 1), ("X", "op", 2), ("X", "wait", 2),
             ("i", "event", 2)]:
    assert want in cats, (want, cats)
for e in ev:
    if e.get("ph") == "X":
        assert (e["pid"], e["tid"]) in names, e
        assert e["dur"] >= 0 and e["ts"] >= 0, e
assert not [e for e in ev if e.get("cat") in ("invariant", "trace")]
PY2
    python3 "$src/scripts/trace_view.py" t.json >view.txt ||
        fail "trace_view.py summary"
    grep -q "^CPU 15$" view.txt || fail "trace_view.py lost CPU 15"
    echo "trace streamed: ok"
}

case_unwritable() {
    "$bin" run demo --seed 7 --quiet --trace /dev/full 2>err.txt
    rc=$?
    [ $rc -eq 5 ] || fail "--trace /dev/full exited $rc, not 5"
    grep -q "^/dev/full:0: cannot write the trace: No space left on device$" \
        err.txt || fail "message for /dev/full: $(cat err.txt)"
    path=$work/no/such/dir/t.json
    "$bin" run demo --seed 7 --trace "$path" >out.txt 2>err.txt
    rc=$?
    [ $rc -eq 5 ] || fail "--trace into a missing directory exited $rc"
    grep -qx "$path:0: cannot write the trace: No such file or directory" \
        err.txt || fail "message for a missing directory: $(cat err.txt)"
    [ ! -s out.txt ] || fail "the run went ahead: $(cat out.txt)"
    echo "trace unwritable: ok"
}

case "$case" in
streamed) case_streamed; exit 0 ;;
unwritable) case_unwritable; exit 0 ;;
failing) ;;
*) fail "unknown case $case" ;;
esac

"$bin" run demo --variant racy --strategy pct --seed 27 --quiet \
    --trace t.json --save-tape t.tape 2>err.txt
[ $? -eq 1 ] || fail "racy demo seed 27 was expected to fail an invariant"
python3 - t.json <<'PY' || fail "trace content"
import json, sys
doc = json.load(open(sys.argv[1]))
ev = doc["traceEvents"]
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e.get("ph") == "M" and e["name"] == "thread_name"}
cpus = sorted(n for (p, _), n in names.items() if p == 1)
threads = sorted(n for (p, _), n in names.items() if p == 2)
assert cpus == ["CPU 0", "CPU 1", "CPU 2", "CPU 3"], cpus
assert threads == ["iothread", "supervisor", "vcpu", "vcpu"], threads
inv = [e for e in ev if e.get("cat") == "invariant"]
assert len(inv) == 1 and inv[0]["s"] == "g", inv
assert inv[0]["args"]["message"].startswith("all_processed: 206 of 400"), inv
last = max(e["ts"] + e.get("dur", 0) for e in ev if "ts" in e)
assert inv[0]["ts"] <= last, (inv, last)
open_waits = [e for e in ev if e.get("cat") == "wait" and "never" in e["name"]]
assert open_waits and all(
    names[(2, e["tid"])] == "iothread" for e in open_waits), open_waits
# every span sits on a named track
for e in ev:
    if e.get("ph") == "X":
        assert (e["pid"], e["tid"]) in names, e
PY
python3 "$src/scripts/trace_view.py" t.json --from 400 >view.txt ||
    fail "trace_view.py summary"
grep -q "^invariant all_processed failed at 1010.000 us: all_processed" view.txt ||
    fail "trace_view.py did not report the invariant: $(cat view.txt)"
grep -q "^iothread \[2\]" view.txt || fail "trace_view.py lost the iothread track"
echo "trace: ok"
