#!/bin/sh
# tests/trace_test.sh - the --trace JSON of a failing run: it parses, names
# every simulated CPU and thread, carries the failed invariant as a global
# instant with its message, shows the wait that never ended, and
# scripts/trace_view.py reads it.  The failing run is the racy demo under
# PCT, seed 27 (a lost kick).  Usage: trace_test.sh KVMSIM SRCDIR
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() {
    echo "FAIL: $*"
    exit 1
}

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
