#!/bin/sh
# tests/mutants/run.sh - the mutation suite: shows that the tests catch
# realistic defects planted in core/.  Every tests/mutants/*.patch plants
# one defect; each must compile and each must be caught.
#
# The tree is copied once (without build/ and .git) to a scratch directory
# and built once (gcc, -O1, Ninja).  Then for each patch: apply it
# (patch -p1 --fuzz=2; a patch that does not apply is an error, never a
# catch), rebuild, run the checks cheapest first and stop at the first that
# fails, revert (patch -R, checked against a pristine copy).  The checks:
#   1. the mechanism's unit tests, one by one (ctest -R '^NAME$');
#   2. the rest of `ctest -L 'unit|scenario'`;
#   3. bounded explorations (`kvmsim explore ...`).
# A build failure is an error, not a catch.  A test that times out counts
# as a catch (the mutant hung it).
#
# The mechanism is the patch name's prefix; it names the default checks:
#   iobus_       test_iobus test_iobus_ioeventfd test_iobus_coalesced_mmio
#   msix_        test_msix
#   virtio_      test_virtio test_virtio_race
#   its_         test_its test_its_lpi_storm
#   switchover_  test_switchover_vmstate test_switchover
# Header lines before the diff (patch ignores them) may override them:
#   # tests: test_a test_b              stage-1 tests, in order
#   # explore: SCENARIO --seeds N ...   one exploration per line (stage 3)
#
# Usage: run.sh [--quick] [--keep] [--work DIR] [PATCH|NAME ...]
#   PATCH|NAME   only these mutants (a path, or a name under tests/mutants/)
#   --quick      stage 1 only: a mutant must be caught by its mechanism's
#                unit tests (only those are checked on the unmutated tree)
#   --work DIR   scratch directory; reused (incremental build) when it
#                holds a previous run's build
#   --keep       keep the scratch directory (kept anyway on a failure)
# Environment: KVMSIM_MUTANT_JOBS (default 2), KVMSIM_MUTANT_TIMEOUT
# (seconds per test, default 120).
# Output: one line per mutant (`caught    NAME  by CHECK`, `SURVIVED  NAME`,
# `ERROR     NAME  (why)`) and `mutants: caught C/T`.  Exit 0 when every
# mutant was caught, 1 when one survived or failed to apply or build, 2
# for a usage error or when the unmutated tree fails its own checks.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
jobs=${KVMSIM_MUTANT_JOBS:-2}
timeout=${KVMSIM_MUTANT_TIMEOUT:-120}
quick=0
keep=0
work=""
list=""

usage() {
    sed -n 's/^# \{0,1\}//; /^Usage:/,/^Output:/p' "$0" | sed '$d' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    --work)
        [ $# -ge 2 ] || usage
        work=$2
        keep=1
        shift
        ;;
    -h | --help) usage ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *)
        if [ -f "$1" ]; then
            p=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
        elif [ -f "$here/$1" ]; then
            p=$here/$1
        elif [ -f "$here/$1.patch" ]; then
            p=$here/$1.patch
        else
            echo "run.sh: no mutant $1" >&2
            exit 2
        fi
        list="$list $p"
        ;;
    esac
    shift
done
if [ -z "$list" ]; then
    list=$(ls "$here"/*.patch 2>/dev/null | sort)
fi
if [ -z "$list" ]; then
    echo "run.sh: no patches in $here" >&2
    exit 2
fi

t_start=$(date +%s)
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/kvmsim-mutants.XXXXXX")
fi
mkdir -p "$work/logs" || exit 2
wsrc=$work/src
wbuild=$work/build
pristine=$work/pristine
log=$work/logs

# ---- the scratch tree ------------------------------------------------------

copy_tree() { # $1: destination; tar keeps the source's mtimes
    mkdir -p "$1" &&
        (cd "$src" && tar --warning=no-file-changed --exclude=./build \
            --exclude=./.git -cf - .) |
        tar -C "$1" -xf -
}

rm -rf "$pristine" "$wsrc"
copy_tree "$pristine" || { echo "run.sh: cannot copy $src" >&2; exit 2; }
copy_tree "$wsrc" || { echo "run.sh: cannot copy $src" >&2; exit 2; }
# Files a mutant changed in an earlier run of this scratch directory have
# the source's (older) mtime again, but their objects may still be the
# mutant's: make them newer than their objects.
if [ -f "$work/touched" ]; then
    sort -u "$work/touched" | while read -r f; do
        [ -f "$wsrc/$f" ] && touch "$wsrc/$f"
    done
    rm -f "$work/touched"
fi

if [ ! -f "$wbuild/build.ninja" ]; then
    if ! cmake -S "$wsrc" -B "$wbuild" -G Ninja -DCMAKE_C_COMPILER=gcc \
            -DKVMSIM_WERROR=ON \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
            >"$log/configure.log" 2>&1; then
        echo "run.sh: configure failed, see $log/configure.log" >&2
        exit 2
    fi
fi
if ! cmake --build "$wbuild" -j "$jobs" >"$log/build.log" 2>&1; then
    echo "run.sh: the unmutated tree does not build:" >&2
    tail -n 20 "$log/build.log" >&2
    exit 2
fi

# ---- per-mechanism defaults and header metadata -----------------------------

mech_of() { # patch path -> mechanism prefix
    basename "$1" .patch | sed 's/_.*//'
}

default_tests() {
    case $1 in
    iobus) echo "test_iobus test_iobus_ioeventfd test_iobus_coalesced_mmio" ;;
    msix) echo "test_msix" ;;
    virtio) echo "test_virtio test_virtio_race" ;;
    its) echo "test_its test_its_lpi_storm" ;;
    switchover) echo "test_switchover_vmstate test_switchover" ;;
    *) echo "" ;;
    esac
}

default_explore() {
    case $1 in
    iobus)
        echo "iobus-200-ioeventfds --variant bsearch --seeds 200 --strategy pct"
        echo "iobus-200-ioeventfds --variant eytzinger --seeds 200 --strategy pct"
        ;;
    msix)
        echo "msix-resume-8vf --variant batched --seeds 200 --strategy pct"
        ;;
    virtio)
        echo "virtio-blk-mq --variant ioeventfd --seeds 200 --strategy pct"
        echo "virtio-net-tx --variant ioeventfd --seeds 200 --strategy pct"
        ;;
    its)
        echo "its-lpi-storm --variant sharded --seeds 200 --strategy pct"
        echo "its-lpi-storm --variant lockless --seeds 200 --strategy pct"
        ;;
    switchover)
        echo "switchover-vfio --variant parallel --seeds 200 --strategy pct"
        ;;
    esac
}

header() { # $1 patch, $2 key: the values of `# key:` lines, one a line
    sed -n "s/^# $2:[[:space:]]*//p" "$1"
}

tests_of() {
    t=$(header "$1" tests | tr '\n' ' ')
    [ -n "$t" ] || t=$(default_tests "$(mech_of "$1")")
    echo "$t"
}

explore_of() {
    e=$(header "$1" explore)
    [ -n "$e" ] || e=$(default_explore "$(mech_of "$1")")
    echo "$e"
}

files_of() { # the files a patch changes, relative to the tree
    sed -n 's/^+++ b\/\([^[:space:]]*\).*/\1/p' "$1"
}

# ---- checks ------------------------------------------------------------------

failed_tests() { # the tests the last ctest run saw fail, comma-separated
    f=$wbuild/Testing/Temporary/LastTestsFailed.log
    [ -f "$f" ] && sed 's/^[0-9]*://' "$f" | paste -sd, -
}

failed_cases() { # the cmocka cases the last ctest run saw fail (first 3)
    sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_]*\)$/\1/p' \
        "$wbuild/Testing/Temporary/LastTest.log" 2>/dev/null |
        sort -u | head -n 3 | paste -sd, -
}

run_ctest() { # $1 logfile, rest: ctest arguments.  0 pass, 1 fail, 2 error
    rm -f "$wbuild/Testing/Temporary/LastTestsFailed.log"
    if ctest --test-dir "$wbuild" --timeout "$timeout" --no-tests=error \
            "$@" >>"$1" 2>&1; then
        return 0
    fi
    cat "$wbuild/Testing/Temporary/LastTest.log" >>"$1" 2>/dev/null
    [ -n "$(failed_tests)" ] && return 1
    return 2
}

explore() { # $1 logfile, $2 tape dir, $3 spec.  0 pass, 1 fail, 2 error
    mkdir -p "$2"
    # shellcheck disable=SC2086 # the spec is a word list by design
    (cd "$work" && "$wbuild/kvmsim" explore $3 --jobs "$jobs" --tapes "$2") \
        >>"$1" 2>&1
    case $? in
    0) return 0 ;;
    1 | 3) return 1 ;;
    *) return 2 ;;
    esac
}

build() { # $1 logfile, rest: targets (none: everything)
    lf=$1
    shift
    if [ $# -eq 0 ]; then
        cmake --build "$wbuild" -j "$jobs" >>"$lf" 2>&1
    else
        cmake --build "$wbuild" -j "$jobs" --target "$@" >>"$lf" 2>&1
    fi
}

# The unmutated tree must pass every check a mutant can be caught by.  A
# catch after stage 1 is also confirmed on the reverted tree (below), so a
# flaky test cannot pass for a catch.
bl=$log/baseline.log
: >"$bl"
if [ $quick -eq 1 ]; then
    for t in $(for p in $list; do tests_of "$p"; done | tr ' ' '\n' |
               sort -u); do
        if ! run_ctest "$bl" -R "^$t\$"; then
            echo "run.sh: the unmutated tree fails $t; see $bl" >&2
            exit 2
        fi
    done
else
    if ! run_ctest "$bl" -L 'unit|scenario' -j "$jobs"; then
        echo "run.sh: the unmutated tree fails: $(failed_tests);" \
             "see $bl" >&2
        exit 2
    fi
    for p in $list; do
        explore_of "$p"
    done | sort -u >"$work/explore.list"
    while read -r spec; do
        [ -n "$spec" ] || continue
        if ! explore "$bl" "$work/tapes/baseline" "$spec"; then
            echo "run.sh: the unmutated tree fails: explore $spec;" \
                 "see $bl" >&2
            exit 2
        fi
    done <"$work/explore.list"
fi
t_ready=$(date +%s)

# ---- the mutants ---------------------------------------------------------------

total=0
caught=0
failed=0

for p in $list; do
    name=$(basename "$p" .patch)
    lf=$log/$name.log
    : >"$lf"
    total=$((total + 1))
    t0=$(date +%s)
    result=""
    why=""
    cases=""
    stage=0
    catch_spec=""
    files=$(files_of "$p")
    if [ -z "$files" ] ||
       ! patch -p1 --fuzz=2 --force --dry-run --reject-file=- \
            -d "$wsrc" -i "$p" >>"$lf" 2>&1 ||
       ! patch -p1 --fuzz=2 --force --no-backup-if-mismatch \
            --reject-file=- -d "$wsrc" -i "$p" >>"$lf" 2>&1; then
        for f in $files; do
            [ -f "$pristine/$f" ] && cp "$pristine/$f" "$wsrc/$f"
        done
        printf 'ERROR     %s  (the patch does not apply; see %s)\n' \
            "$name" "$lf"
        failed=$((failed + 1))
        continue
    fi
    echo "$files" >>"$work/touched"

    # Building the stage-1 tests compiles all of core/ (where every
    # mutant lives); the rest is linked when stage 2 needs it.
    tests=$(tests_of "$p")
    # A unit test is its own target; a scenario test runs kvmsim.
    targets=$(for t in $tests; do
                  case $t in
                  test_*) echo "$t" ;;
                  *) echo kvmsim ;;
                  esac
              done | sort -u)
    # shellcheck disable=SC2086 # a word list by design
    if ! build "$lf" $targets; then
        result=error
        why="does not build; see $lf"
    fi

    # 1. the mechanism's unit tests, cheapest first
    if [ -z "$result" ]; then
        for t in $tests; do
            run_ctest "$lf" -R "^$t\$"
            case $? in
            1) result=caught; by=$t; cases=$(failed_cases); stage=1
               break ;;
            2) result=error; why="ctest could not run $t; see $lf"; break ;;
            esac
        done
    fi
    # 2. the rest of the unit and scenario tests
    if [ -z "$result" ] && [ $quick -eq 1 ]; then
        result=survived
        why="stage 1 only"
    fi
    if [ -z "$result" ] && ! build "$lf"; then
        result=error
        why="does not build; see $lf"
    fi
    if [ -z "$result" ]; then
        ex=$(echo $tests | tr ' ' '|')
        if [ -n "$ex" ]; then
            set -- -E "^($ex)\$"
        else
            set --
        fi
        run_ctest "$lf" -L 'unit|scenario' -j "$jobs" --stop-on-failure "$@"
        case $? in
        1) result=caught; by=$(failed_tests); cases=$(failed_cases)
           stage=2 ;;
        2) result=error; why="ctest failed to run; see $lf" ;;
        esac
    fi
    # 3. bounded explorations
    if [ -z "$result" ]; then
        explore_of "$p" >"$work/explore.cur"
        while read -r spec; do
            [ -n "$spec" ] || continue
            explore "$lf" "$work/tapes/$name" "$spec"
            case $? in
            1) result=caught; by="explore ${spec%% *}"; stage=3
               catch_spec=$spec; break ;;
            2) result=error; why="explore $spec: usage error; see $lf"
               break ;;
            esac
        done <"$work/explore.cur"
    fi

    if ! patch -R -p1 --fuzz=2 --force --no-backup-if-mismatch --reject-file=- \
            -d "$wsrc" -i "$p" >>"$lf" 2>&1; then
        result=error
        why="does not revert; restored from the pristine copy"
    fi
    for f in $files; do
        if ! cmp -s "$wsrc/$f" "$pristine/$f"; then
            cp "$pristine/$f" "$wsrc/$f"
            result=error
            why="does not revert cleanly; restored from the pristine copy"
        fi
    done

    # A catch after stage 1 must not fail on the reverted tree too.
    if [ "$result" = caught ] && [ $stage -gt 1 ]; then
        echo "== confirm on the reverted tree" >>"$lf"
        if ! build "$lf"; then
            result=error
            why="the reverted tree does not build; see $lf"
        elif [ $stage -eq 2 ]; then
            if ! run_ctest "$lf" -R "^($(echo "$by" | tr ',' '|'))\$"; then
                result=error
                why="$by fails without the mutant too; see $lf"
            fi
        elif ! explore "$lf" "$work/tapes/$name.confirm" "$catch_spec"; then
            result=error
            why="explore $catch_spec fails without the mutant too; see $lf"
        fi
    fi

    dt=$(($(date +%s) - t0))
    case $result in
    caught)
        caught=$((caught + 1))
        printf 'caught    %s  by %s%s  (%ss)\n' "$name" "$by" \
            "${cases:+ [$cases]}" "$dt"
        ;;
    error)
        failed=$((failed + 1))
        printf 'ERROR     %s  (%s)\n' "$name" "$why"
        ;;
    *)
        failed=$((failed + 1))
        printf 'SURVIVED  %s  (%s%ss; see %s)\n' "$name" \
            "${why:+$why, }" "$dt" "$lf"
        ;;
    esac
done

t_end=$(date +%s)
echo "mutants: setup $((t_ready - t_start)) s, mutants $((t_end - t_ready)) s"
echo "mutants: caught $caught/$total"
if [ $failed -ne 0 ]; then
    echo "mutants: logs in $log" >&2
    exit 1
fi
if [ $keep -eq 0 ]; then
    rm -rf "$work"
fi
exit 0
