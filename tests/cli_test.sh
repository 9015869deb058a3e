#!/bin/sh
# tests/cli_test.sh - the kvmsim command line end to end: determinism per
# seed, exit codes, file:line errors, saved tapes and replay, metrics and
# trace files, docs/KEYS.md.  Usage: cli_test.sh KVMSIM_BINARY [SRCDIR]
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
hash_of() { sed -n 's/.*"trace_hash": "\([0-9a-f]*\)".*/\1/p' "$1"; }

# Same seed, same hash; another seed, another hash.
"$bin" run demo --seed 7 --metrics a.json --quiet
"$bin" run demo --seed 7 --metrics b.json --quiet
"$bin" run demo --seed 8 --metrics c.json --quiet
check run_demo_seed7_twice_same_trace_hash \
    test "$(hash_of a.json)" = "$(hash_of b.json)" -a -n "$(hash_of a.json)"
check run_demo_seed8_different_trace_hash \
    test "$(hash_of a.json)" != "$(hash_of c.json)"

# Metrics JSON has the documented fields.
check run_metrics_json_has_fields /usr/bin/python3 -c '
import json, sys
m = json.load(open("a.json"))
for k in ("scenario", "variant", "seed", "trace_hash", "virtual_ns", "metrics"):
    assert k in m, k
assert m["seed"] == 7 and m["variant"] == "correct"
assert m["metrics"]["items_processed"] == m["metrics"]["items_submitted"]
'

# A malformed scenario file: exit 2 and file:line.
printf '[scenario]\ndriver = demo\n[vm]\nvcpus = many\n' > bad.ini
"$bin" run bad.ini 2> err.txt
rc=$?
check run_bad_file_exits_2 test $rc -eq 2
check run_bad_file_names_line grep -q '^bad.ini:4: ' err.txt
printf '[scenario]\ndriver = demo\n[vm]\nvcpus = 5000\n' > range.ini
"$bin" run range.ini 2> err.txt
check run_out_of_range_names_line grep -q '^range.ini:4: ' err.txt
"$bin" run demo --set nosuchkey=1 2> err.txt
rc=$?
check run_unknown_set_key_exits_2 test $rc -eq 2
check run_unknown_set_key_names_position grep -q '^--set:1: ' err.txt
"$bin" run demo --bogus 1 2>/dev/null
check run_unknown_flag_exits_2 test $? -eq 2
"$bin" run no-such-scenario 2>/dev/null
check run_unknown_scenario_exits_2 test $? -eq 2
"$bin" run demo --variant nope 2>/dev/null
check run_unknown_variant_exits_2 test $? -eq 2

# A failing invariant: exit 1, a replay command, and the replay fails the
# same way with the same trace hash.
# PCT finds the racy variant's lost kick within 300 seeds.
seed=0
rc=0
for s in $(seq 1 300); do
    "$bin" run demo --seed "$s" --variant racy --strategy pct --quiet \
        --metrics f1.json --save-tape fail.tape 2> err.txt
    rc=$?
    if [ $rc -ne 0 ]; then
        seed=$s
        break
    fi
done
echo "     (racy variant first fails under pct at seed $seed)"
check run_racy_pct_some_seed_exits_1 test $rc -eq 1
check run_failure_prints_replay_command \
    grep -q 'reproduce with: kvmsim replay fail.tape' err.txt
"$bin" replay fail.tape --metrics f2.json --quiet 2>/dev/null
check replay_failing_tape_exits_1 test $? -eq 1
check replay_failing_tape_same_trace_hash \
    test "$(hash_of f1.json)" = "$(hash_of f2.json)"
# Tapes of pos, surw (whose profile run is taken from the seed again) and
# portfolio runs replay with their trace hash.
for st in pos surw portfolio; do
    "$bin" run demo --variant racy --strategy $st --seed 11 --quiet \
        --set run.step_limit=3000 --save-tape $st.tape --metrics s1.json \
        2>/dev/null
    "$bin" replay $st.tape --metrics s2.json --quiet 2>/dev/null
    check replay_${st}_tape_same_trace_hash test -n "$(hash_of s1.json)" \
        -a "$(hash_of s1.json)" = "$(hash_of s2.json)"
done

# explore: many seeds in parallel, failures grouped with a replay command.
"$bin" explore demo --variant racy --strategy pct --seeds 400 --jobs 2 \
    --quiet > ex.txt
check explore_racy_pct_400_seeds_exits_1 test $? -eq 1
check explore_groups_failure_with_reproduce_line \
    grep -q 'reproduce: kvmsim run demo .* --seed [0-9]' ex.txt
check explore_names_where_the_invariant_failed \
    grep -q '^    failed at: after the run$' ex.txt
"$bin" explore demo --seeds 100 --jobs 2 --shard 1/2 --quiet > ex2.txt
check explore_correct_sharded_exits_0 test $? -eq 0
check explore_shard_runs_half_the_seeds grep -q '50 of 50 seeds' ex2.txt
"$bin" explore demo --seeds 10 --shard 2/2 2>/dev/null
check explore_bad_shard_exits_2 test $? -eq 2

# The step bound: exit 3.
"$bin" run demo --set run.step_limit=1000 --quiet 2>/dev/null
check run_step_limit_exits_3 test $? -eq 3

# The trace opens as Chrome Trace Event JSON with CPU and thread tracks.
"$bin" run demo --seed 3 --trace t.json --quiet
check run_trace_json_has_tracks /usr/bin/python3 -c '
import json
t = json.load(open("t.json"))["traceEvents"]
names = {e["args"]["name"] for e in t if e["ph"] == "M"}
assert "simulated CPUs" in names and "simulated threads" in names, names
assert {"CPU 0", "vcpu", "iothread"} <= names, names
assert any(e["ph"] == "X" and e["pid"] == 1 for e in t)
assert any(e["ph"] == "X" and e["name"] == "submit" for e in t)
'

# docs/KEYS.md is what `kvmsim keys --markdown` prints.
if [ -n "${2:-}" ]; then
    "$bin" keys --markdown > keys.md
    check keys_markdown_matches_docs_keys_md cmp -s keys.md "$2/docs/KEYS.md"
fi

# list and keys.
"$bin" list | grep -q '^demo '
check list_shows_demo test $? -eq 0
"$bin" keys demo | grep -q 'items'
check keys_demo_lists_workload_keys test $? -eq 0

# A former scenario name (lpi-storm, now its-lpi-storm) still runs, as a
# name and as a file's driver (an old saved tape embeds both); list shows
# only the current name.
"$bin" list > list.txt
check list_shows_its_lpi_storm_not_lpi_storm sh -c \
    "grep -q '^its-lpi-storm ' list.txt && ! grep -q '^lpi-storm ' list.txt"
"$bin" run lpi-storm --variant global --seed 2 --metrics old.json --quiet
"$bin" run its-lpi-storm --variant global --seed 2 --metrics new.json --quiet
check run_lpi_storm_alias_same_trace_hash \
    test "$(hash_of old.json)" = "$(hash_of new.json)" -a -n "$(hash_of old.json)"
printf '[scenario]\ndriver = lpi-storm\n' > old_driver.ini
"$bin" run ./old_driver.ini --variant global --seed 2 --quiet
check run_file_with_former_driver_name_exits_0 test $? -eq 0

# compare --report: the seed table as rows, the error computed; --report
# belongs to compare and --out to report.
"$bin" compare iobus-200-ioeventfds --report r.json > cmp.txt
check compare_report_exits_0 test $? -eq 0
check compare_report_json_has_computed_error /usr/bin/python3 -c '
import json
s = json.load(open("r.json"))["sections"]
assert [x["seed"] for x in s] == ["004"], s
r = [x for x in s[0]["rows"] if x["role"] == "predicted"][0]
e = 100 * (r["model"] - r["published"]) / r["published"]
assert abs(r["error_pct"] - e) < 1e-9, (r, e)
'
check compare_report_keeps_terminal_table grep -q '^seed 004' cmp.txt
"$bin" compare iobus-200-ioeventfds --report r.md > /dev/null
check compare_report_md_has_summary grep -q '^| 004 |' r.md
"$bin" run demo --report x.json 2>/dev/null
check run_with_report_exits_2 test $? -eq 2
"$bin" report 2>/dev/null
check report_without_out_exits_2 test $? -eq 2

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
