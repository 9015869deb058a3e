#!/bin/sh
# tests/shard_test.sh - sharded exploration: K shards run as separate
# processes, each taking its index from a batch engine's environment
# (Kubernetes JOB_COMPLETION_INDEX, Slurm SLURM_ARRAY_TASK_ID with
# SLURM_ARRAY_TASK_MIN), each writing --jsonl; `explore --merge` of their
# files prints the report of the unsharded run: the same groups, counts,
# first seeds and exit code, and the failure records name the same seeds.
# Cases: the demo's racy variant under PCT (a lost-kick race on some
# seeds) and its fixed variant (no failures).
# Usage: shard_test.sh KVMSIM_BINARY
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# The engines' variables this test sets itself; none may leak in from a
# CI runner that is itself a batch job.
E="env -u JOB_COMPLETION_INDEX -u SLURM_ARRAY_TASK_ID -u SLURM_ARRAY_TASK_MIN
   -u SLURM_ARRAY_TASK_MAX -u SLURM_ARRAY_TASK_COUNT -u SLURM_ARRAY_TASK_STEP"
K="$E $bin"

# The report without what differs by nature: wall time, rate, jobs.
norm() {
    sed -E 's/ in [0-9.]+ s \([0-9]+ seeds\/s, [0-9]+ jobs\)/ in T/' "$1"
}
# The failing seeds the records of FILE... name, sorted.
seeds() {
    cat "$@" | grep '"record":"failure"' |
        sed -E 's/.*"seed":([0-9]+).*/\1/' | sort -n
}

# same NAME UNSHARDED_RC MERGED_RC: report, exit code and seeds agree.
same() {
    name=$1
    if [ "$2" -ne "$3" ]; then
        bad "${name}: exit $3 merged, $2 unsharded"
        return
    fi
    norm whole.txt > whole.norm
    norm merged.txt > merged.norm
    if ! cmp -s whole.norm merged.norm; then
        bad "${name}: merged report differs from the unsharded one"
        diff whole.norm merged.norm | sed 's/^/     | /' | head -20
        return
    fi
    seeds whole.jsonl > whole.seeds
    seeds shard-*.jsonl > merged.seeds
    if ! cmp -s whole.seeds merged.seeds; then
        bad "${name}: failing seeds $(tr '\n' ' ' < merged.seeds)merged," \
            "$(tr '\n' ' ' < whole.seeds)unsharded"
        return
    fi
    ok "$name ($(wc -l < whole.seeds) failing seeds, exit $2)"
}

# k8s_shards K ARGS...: K shards as a Kubernetes Indexed Job runs them,
# JOB_COMPLETION_INDEX 0..K-1, each its own process.
k8s_shards() {
    k=$1
    shift
    i=0
    while [ $i -lt "$k" ]; do
        $E JOB_COMPLETION_INDEX=$i $bin explore "$@" --jobs 1 --quiet \
            --tapes tapes --shard "auto/$k" --jsonl "shard-$i.jsonl" \
            > /dev/null 2>> shards.err &
        i=$((i + 1))
    done
    wait
}

# slurm_shards K ARGS...: as `sbatch --array=1-K` runs them:
# SLURM_ARRAY_TASK_ID 1..K, SLURM_ARRAY_TASK_MIN 1.
slurm_shards() {
    k=$1
    shift
    i=0
    while [ $i -lt "$k" ]; do
        $E SLURM_ARRAY_TASK_ID=$((i + 1)) SLURM_ARRAY_TASK_MIN=1 \
            SLURM_ARRAY_TASK_COUNT="$k" $bin explore "$@" --jobs 1 --quiet \
            --tapes tapes --shard "auto/$k" --jsonl "shard-$i.jsonl" \
            > /dev/null 2>> shards.err &
        i=$((i + 1))
    done
    wait
}

# run_case NAME ENGINE K ARGS...: the unsharded run, then K shards under
# ENGINE (k8s or slurm), then the merge of their files.
run_case() {
    name=$1 engine=$2 k=$3
    shift 3
    rm -rf shard-*.jsonl whole.* merged.* tapes shards.err
    $K explore "$@" --jobs 2 --quiet --tapes tapes --jsonl whole.jsonl \
        > whole.txt 2> whole.err
    rc_whole=$?
    "${engine}_shards" "$k" "$@"
    $K explore --merge shard-*.jsonl > merged.txt 2> merged.err
    same "$name" "$rc_whole" $?
}

racy="demo --variant racy --strategy pct --first-seed 5 --seeds 301"
fixed="demo --strategy pct --seeds 240"
# A step bound that stops most runs: several groups of two kinds.
mixed="demo --variant racy --strategy pct --seeds 150 --set step_limit=4000"

# shellcheck disable=SC2086
run_case merge_k8s_3_shards_equals_unsharded_demo_racy k8s 3 $racy
# shellcheck disable=SC2086
run_case merge_k8s_3_shards_equals_unsharded_demo_fixed k8s 3 $fixed
# shellcheck disable=SC2086
run_case merge_k8s_3_shards_equals_unsharded_demo_stuck_groups k8s 3 $mixed
if grep -q '^  \[stuck\]' merged.txt && grep -q '^  \[invariant\]' merged.txt
then
    ok demo_stuck_groups_merged_has_two_kinds
else
    bad "demo_stuck_groups_merged_has_two_kinds: $(head -1 merged.txt)"
fi
# shellcheck disable=SC2086
run_case merge_slurm_4_shards_equals_unsharded_demo_racy slurm 4 $racy
# shellcheck disable=SC2086
run_case merge_slurm_4_shards_equals_unsharded_demo_fixed slurm 4 $fixed
if grep -q ' 0 failing in 0 distinct ways$' merged.txt; then
    ok demo_fixed_merged_has_no_failures
else
    bad "demo_fixed_merged_has_no_failures: $(head -1 merged.txt)"
fi

# The racy case has failures (else the comparison above proves little).
rm -rf shard-*.jsonl tapes
# shellcheck disable=SC2086
k8s_shards 2 $racy
n=$(seeds shard-*.jsonl | wc -l)
if [ "$n" -ge 3 ]; then
    ok "demo_racy_shards_find_failures ($n seeds)"
else
    bad "demo_racy_shards_find_failures: $n failing seeds, expected >= 3"
fi
# Every line is one JSON object (when a JSON parser is at hand).
if command -v python3 > /dev/null; then
    if python3 -c 'import json, sys
for f in sys.argv[1:]:
    for line in open(f):
        assert isinstance(json.loads(line), dict)' shard-*.jsonl; then
        ok jsonl_every_line_is_a_json_object
    else
        bad jsonl_every_line_is_a_json_object
    fi
fi
# A merge of the one unsharded file is that run's report.
rm -f whole.jsonl
# shellcheck disable=SC2086
$K explore $racy --quiet --jsonl whole.jsonl > whole.txt 2>&1
rc_whole=$?
$K explore --merge whole.jsonl > merged.txt 2> merged.err
rc=$?
rm -f shard-*.jsonl
cp whole.jsonl shard-0.jsonl
same merge_of_one_unsharded_file_is_its_report $rc_whole $rc

# Shards stopped by their time budget: the merge says so and sums the
# seeds left, which by themselves do not fail the run.
rm -rf shard-*.jsonl tapes
k8s_shards 2 demo --seeds 1000000000 --time-budget 0.5
$K explore --merge shard-*.jsonl > merged.txt 2> merged.err
rc=$?
if [ "$rc" -eq 0 ] &&
   grep -Eq '^  stopped by the time budget after 0.5 s: [0-9]+ seeds not run$' \
       merged.txt; then
    ok merge_time_budget_hit_reported
else
    bad "merge_time_budget_hit_reported: exit $rc: $(cat merged.txt \
        merged.err | head -3)"
fi

# The shipped Slurm script, its tasks run by hand as the array would.
rm -rf shard-*.jsonl res
# shellcheck disable=SC2086
$K explore $racy --quiet --tapes "$dir/res/tapes" --jsonl whole.jsonl \
    > whole.txt 2>&1
rc_whole=$?
for t in 1 2 3; do
    $E KVMSIM="$bin" SHARDS=3 RESULTS="$dir/res" EXPLORE="$racy" \
        SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_TASK_MIN=1 \
        sh "$src/deploy/slurm/explore-array.sh" shard > /dev/null 2>&1
done
$E KVMSIM="$bin" RESULTS="$dir/res" \
    sh "$src/deploy/slurm/explore-array.sh" merge > merged.txt 2> merged.err
rc=$?
cp res/shard-*.jsonl .
same slurm_script_3_tasks_merge_equals_unsharded $rc_whole $rc
# The shipped Kubernetes Job: K in completions, SHARDS and the index in
# the shard's file name (when a YAML parser is at hand).
if command -v python3 > /dev/null && python3 -c 'import yaml' 2>/dev/null
then
    if python3 - "$src/deploy/k8s/explore-indexed-job.yaml" <<'PY'
import sys, yaml
job = [d for d in yaml.safe_load_all(open(sys.argv[1]))
       if d["kind"] == "Job"][0]
spec = job["spec"]
c = spec["template"]["spec"]["containers"][0]
env = {e["name"]: e["value"] for e in c["env"]}
script = c["args"][0]
assert spec["completionMode"] == "Indexed"
assert int(env["SHARDS"]) == spec["completions"] >= spec["parallelism"]
assert '--shard "auto/$SHARDS"' in script
assert "shard-$JOB_COMPLETION_INDEX.jsonl" in script
PY
    then
        ok k8s_indexed_job_shards_match_completions
    else
        bad k8s_indexed_job_shards_match_completions
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
