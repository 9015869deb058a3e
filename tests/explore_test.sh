#!/bin/sh
# tests/explore_test.sh - `kvmsim explore` loses nothing: a worker killed
# from outside (SIGSEGV, SIGABRT, again and again, or stopped) is a [crash]
# naming the signal, the seed and a reproduce command, with exit 4; the
# time budget bounds the whole command; --tapes creates its directory and
# prints replay paths that exist and replay; stuck seeds exit 3.
# Usage: explore_test.sh KVMSIM_BINARY
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
now() { date +%s.%N; }
# elapsed START: seconds since START, as an integer (rounded up).
elapsed() {
    awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%d", b - a + 0.999 }'
}

# wait_workers PID N: until PID has N children (at most 20 s); prints them.
wait_workers() {
    i=0
    while [ $i -lt 200 ]; do
        w=$(pgrep -P "$1" | tr '\n' ' ')
        set -- "$1" "$2" $w
        if [ $(($# - 2)) -ge "$2" ]; then
            echo "$w"
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# kill_one SIGNAL LOG [ARG...]: run explore in the background, wait until both
# workers run seeds, send SIGNAL to one, check a new worker takes over.
kill_one() {
    sig=$1
    out=$2
    shift 2
    "$bin" explore msix-resume-8vf --seeds 1000000000 --jobs 2 \
        --time-budget 4 --quiet "$@" > "$out.txt" 2> "$out.err" &
    p=$!
    ws=$(wait_workers $p 2)
    sleep 0.5
    victim=${ws%% *}
    kill -"$sig" "$victim"
    replaced=no
    i=0
    while [ $i -lt 30 ]; do
        for w in $(pgrep -P $p); do
            case " $ws " in
            *" $w "*) ;;
            *) replaced=yes ;;
            esac
        done
        [ $replaced = yes ] && break
        sleep 0.1
        i=$((i + 1))
    done
    wait $p
    rc=$?
    echo "$replaced" > "$out.replaced"
    return $rc
}

kill_one SEGV segv
check explore_worker_sigsegv_exits_4 test $? -eq 4
# The worker's crash handler names the signal and exits 4; under a
# sanitizer the sanitizer reports it instead, and its summary is kept.
segv='^  \[crash\] 1 seed, first seed [0-9]+: worker crashed: signal 11 '
segv="$segv"'\(Segmentation fault\)$'
segv="$segv"'|^    it printed: SUMMARY: [A-Za-z]*Sanitizer: SEGV '
# ThreadSanitizer reports an outside SIGSEGV in its own words (or, under
# load, only through its exit code): a crash group of the worker is enough.
if grep -q -a __tsan_init "$bin"; then
    segv="$segv"'|^  \[crash\] 1 seed, first seed [0-9]+: worker crashed'
fi
check explore_worker_sigsegv_names_the_signal grep -Eq "$segv" segv.txt
check explore_worker_sigsegv_names_the_seed \
    grep -Eq '^    when: (while running|before starting) seed [0-9]+' segv.txt
repro='^    reproduce: kvmsim run msix-resume-8vf --seed [0-9][0-9]*$'
check explore_worker_sigsegv_prints_reproduce grep -q "$repro" segv.txt
check explore_worker_sigsegv_summary_shows_crash_kind \
    grep -q 'failing in 1 distinct way (\[crash\] 1)$' segv.txt
check explore_worker_sigsegv_seeds_go_to_a_new_worker \
    grep -q yes segv.replaced
check explore_worker_sigsegv_budget_stop_reported \
    grep -q '^  stopped by the time budget after 4 s: [0-9]* seeds not run$' \
    segv.txt

# ThreadSanitizer defers an asynchronous signal to its next interceptor
# call, so on a loaded machine the budget's SIGTERM can overtake a SIGABRT
# sent from outside; the SIGSEGV case above covers that build.
if grep -q -a __tsan_init "$bin"; then
    echo "skip explore_worker_sigabrt_*: ThreadSanitizer build"
else
    kill_one ABRT abrt
    check explore_worker_sigabrt_exits_4 test $? -eq 4
    check explore_worker_sigabrt_names_the_signal \
        grep -q 'worker crashed: signal 6 (Aborted)$' abrt.txt
    check explore_worker_sigabrt_prints_reproduce grep -q "$repro" abrt.txt
fi

# The worst code wins: a crash (4) over stuck seeds (3).
kill_one SEGV mixed --set run.step_limit=1000
check explore_crash_and_stuck_exits_4 test $? -eq 4
check explore_crash_and_stuck_summary_shows_both_kinds \
    grep -q 'failing in 2 distinct ways (\[crash\] 1, \[stuck\] [0-9]*)$' \
    mixed.txt

# Workers that keep dying: bounded restarts, the rest listed as not run.
"$bin" explore demo --seeds 1000000000 --jobs 2 --time-budget 60 --quiet \
    > again.txt 2>&1 &
p=$!
t0=$(now)
wait_workers $p 2 > /dev/null
i=0
while ! grep -q '^explore ' again.txt && [ $i -lt 300 ]; do
    for w in $(pgrep -P $p); do
        kill -KILL "$w" 2>/dev/null
    done
    sleep 0.05
    i=$((i + 1))
done
wait $p
check explore_workers_dying_again_exit_4 test $? -eq 4
check explore_workers_dying_again_stop_before_the_budget \
    test "$(elapsed "$t0")" -lt 50
check explore_workers_dying_again_list_seeds_not_run \
    grep -q '^  [0-9]* seeds not run: their worker died 9 times; seeds [0-9]' \
    again.txt
check explore_workers_dying_again_group_the_kills grep -q \
    '^  \[crash\] 18 seeds, first seed [0-9]*: worker killed by signal 9 '\
'(Killed)$' again.txt

# The budget bounds the whole command, however many seeds.
t0=$(now)
"$bin" explore demo --seeds 1000000000000 --time-budget 2 --quiet > big.txt
rc=$?
check explore_huge_seeds_budget_2_exits_0 test $rc -eq 0
check explore_huge_seeds_budget_2_returns_in_5_s test "$(elapsed "$t0")" -le 5
check explore_huge_seeds_budget_2_reports_not_run \
    grep -q '^  stopped by the time budget after 2 s: [0-9]* seeds not run$' \
    big.txt
check explore_huge_seeds_budget_2_counts_in_closed_form \
    grep -q 'of 1000000000000 seeds' big.txt

# A worker that stops writing does not block the parent past the budget.
"$bin" explore demo --seeds 1000000000 --time-budget 2 --quiet > hung.txt &
p=$!
t0=$(now)
ws=$(wait_workers $p 2)
kill -STOP "${ws%% *}"
wait $p
rc=$?
check explore_stopped_worker_budget_still_ends_the_run \
    test "$(elapsed "$t0")" -le 6
check explore_stopped_worker_killed_at_budget_exits_0 test $rc -eq 0

# Seed counts: [5, 106) with s % 3 == 2 is 5, 8, ..., 104.
"$bin" explore demo --first-seed 5 --seeds 101 --shard 2/3 --jobs 4 \
    --quiet > shard.txt
check explore_shard_counts_seeds_in_closed_form \
    grep -q '34 of 34 seeds' shard.txt

# Stuck seeds: exit 3 and a [stuck] group; their tapes replay stuck.
"$bin" explore demo --seeds 20 --set run.step_limit=1000 --tapes st \
    --quiet > stuck.txt 2>&1
check explore_step_limit_exits_3 test $? -eq 3
check explore_step_limit_groups_as_stuck \
    grep -q '^  \[stuck\] 20 seeds, first seed 1: step limit at' stuck.txt
check explore_step_limit_summary_shows_kind grep -q '(\[stuck\] 20)$' stuck.txt
tape=$(sed -n 's/^    or: kvmsim replay //p' stuck.txt)
"$bin" replay "$tape" --quiet --save-tape /dev/null 2>/dev/null
check explore_stuck_tape_replays_with_exit_3 test $? -eq 3

# --tapes DIR/ that does not exist: created; the replay path exists,
# has no double slash and replays the same failure.
"$bin" explore demo --variant racy --strategy pct --seeds 400 --jobs 2 \
    --tapes "$dir/new/nested/" --quiet > tapes.txt 2>&1
check explore_tapes_racy_exits_1 test $? -eq 1
tape=$(sed -n 's/^    or: kvmsim replay //p' tapes.txt)
check explore_tapes_creates_nested_dir test -d "$dir/new/nested"
check explore_tapes_replay_path_printed test -n "$tape"
check explore_tapes_replay_path_exists test -f "$tape"
check explore_tapes_replay_path_no_double_slash \
    sh -c "case '$tape' in *//*) exit 1;; esac"
"$bin" replay "$tape" --quiet --save-tape /dev/null 2>/dev/null
check explore_tapes_replay_exits_1_like_explore test $? -eq 1

# A tape that cannot be saved is reported; the group still reproduces.
mkdir -p busy/demo-correct-1.tape
"$bin" explore demo --seeds 3 --set run.step_limit=1000 --tapes busy \
    --quiet > busy.txt 2>&1
check explore_tape_not_saved_keeps_worst_code_3 test $? -eq 3
check explore_tape_not_saved_names_path \
    grep -q '^    tape not saved: busy/demo-correct-1.tape: Is a directory$' \
    busy.txt
check explore_tape_not_saved_still_reproduces grep -q \
    '^    reproduce: kvmsim run demo --set run.step_limit=1000 --seed 1$' \
    busy.txt
check explore_tape_not_saved_counted grep -q '^  1 tape could not be saved '\
'(the first: busy/demo-correct-1.tape: Is a directory)$' busy.txt

# --tapes where no directory can be made: exit 2 before any seed runs.
"$bin" explore demo --seeds 10 --tapes /proc/no-such/dir 2> proc.err \
    > proc.txt
check explore_tapes_under_proc_exits_2 test $? -eq 2
check explore_tapes_under_proc_names_dir \
    grep -q '^/proc/no-such/dir:0: cannot create the directory: ' proc.err
check explore_tapes_under_proc_runs_nothing test ! -s proc.txt
: > plain
"$bin" explore demo --seeds 10 --tapes plain/sub 2> file.err > /dev/null
check explore_tapes_under_a_file_exits_2 test $? -eq 2
check explore_tapes_under_a_file_names_dir \
    grep -q '^plain/sub:0: cannot create the directory: Not a directory$' \
    file.err

echo "$pass passed, $fail failed"
test $fail -eq 0
