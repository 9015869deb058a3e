#!/bin/sh
# tests/explain_mutants.sh - `kvmsim explain` on one schedule-dependent
# mutant of each family (iobus, msix, virtio, its, switchover): the
# mutant is planted in a scratch copy of the tree (as tests/mutants/run.sh
# does), a bounded exploration finds a failing seed, and explain must
# exit 0 with at most 3 decisions, each labelled, and a minimal tape that
# still fails on replay with the same exit code.  Prints one line per
# mutant with the decision count, the replays and the seconds it took.
#
# Not part of ctest (it rebuilds kvmsim once per mutant, about a minute
# each on two cores); run it by hand or next to the mutation suite.
#
# Usage: explain_mutants.sh [--work DIR] [NAME ...]
#   NAME     only these cases (mutant names from the table below)
#   --work   scratch directory, reused when it holds a previous build
# Exit 0 when every case holds, 1 when one does not, 2 for a setup error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
work=""
only=""
while [ $# -gt 0 ]; do
    case $1 in
    --work) work=$2; shift ;;
    -h | --help) sed -n 's/^# \{0,1\}//; /^Usage:/,/^Exit/p' "$0"; exit 0 ;;
    *) only="$only $1" ;;
    esac
    shift
done
if [ -z "$work" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/tree" || exit 2
(cd "$src" && tar --exclude=./build --exclude=./.git -cf - .) |
    (cd "$work/tree" && tar xf -) || exit 2
cd "$work/tree" || exit 2
if [ ! -f b/build.ninja ]; then
    cmake -S . -B b -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null ||
        exit 2
fi

# NAME|EXPLORE ARGUMENTS: the exploration that finds a failing tape
# (a line may go on after a backslash).
cases='iobus_reset_unrecorded|iobus-200-ioeventfds --variant bsearch --seeds 5
msix_unmask_pending_not_cleared|msix-resume-8vf --variant batched --seeds 1
virtio_grab_while_stopped_unrecorded|virtio-blk-mq --variant ioeventfd \
    --first-seed 2 --seeds 1 --strategy pct
its_mapc_unmap_no_invalidate|its-lpi-storm --variant global --seeds 3 \
    --set invariants.race_cost=false
switchover_join_without_wait|switchover-vfio --seeds 50 --strategy pct'

fail=0
# shellcheck disable=SC2162
echo "$cases" | while IFS='|' read name args; do
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then
        continue
    fi
    patch=tests/mutants/$name.patch
    if ! patch -p1 -s --fuzz=2 <"$patch"; then
        echo "ERROR $name: the patch does not apply"
        exit 1
    fi
    if ! cmake --build b --target kvmsim >build.log 2>&1; then
        echo "ERROR $name: build failed"
        patch -p1 -R -s <"$patch"
        exit 1
    fi
    rm -rf tapes x && mkdir tapes
    # shellcheck disable=SC2086
    b/kvmsim explore $args --jobs 1 --tapes tapes --quiet >/dev/null 2>&1
    tape=$(ls tapes | sed -n 's/.*-\([0-9]*\)\.tape$/\1 &/p' | sort -n |
           sed -n '1s/^[0-9]* //p')
    if [ -z "$tape" ]; then
        echo "FAIL  $name: explore $args found no failing tape"
        patch -p1 -R -s <"$patch"
        exit 1
    fi
    b/kvmsim explain "tapes/$tape" --out x >out.txt 2>err.txt
    rc=$?
    code=$(sed -n 's/^  fails with exit \([0-9]*\).*/\1/p' out.txt)
    n=$(sed -n 's/^  shrunk to \([0-9]*\) decision.*/\1/p' out.txt)
    how=$(sed -n 's/^  shrunk to [0-9]* decisions* in \(.*\):$/\1/p' out.txt)
    b/kvmsim replay x/min.tape --quiet >/dev/null 2>&1
    rrc=$?
    patch -p1 -R -s <"$patch"
    if [ $rc -ne 0 ] || [ -z "$n" ] || [ "$n" -gt 3 ] ||
       [ "$n" -lt 1 ] || [ "$rrc" != "$code" ] ||
       grep -q 'did not label' out.txt; then
        echo "FAIL  $name: explain exit $rc, $n decisions, min tape exit \
$rrc (expected $code)"
        sed 's/^/    /' out.txt err.txt
        exit 1
    fi
    echo "ok    $name: $tape: $n decisions in $how; min tape exit $rrc"
    grep '^  [0-9]*\. ' out.txt
done || fail=1
exit $fail
