#!/bin/sh
# tests/mutants/run_virtio_mutant.sh - shows that the start/stop race
# exploration of seed 001 (tests/test_virtio_race.c) finds the lost kick
# when the post-stop test-and-clear is removed from core/virtio_pci.c.
#
# Copies the tree (without build directories or .git) to a scratch
# directory, applies tests/mutants/virtio_no_post_stop_clear.patch there,
# builds test_virtio_race and runs it over KVMSIM_RACE_SEEDS seeds
# (default 10000).  Exit 0 when the mutant is killed (the exploration
# fails and reports seeds that lost a kick), 1 when it survives, 2 when the
# patch does not apply or the build fails.  The checkout is never touched.
# Usage: run_virtio_mutant.sh [SRCDIR]
set -u
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
seeds=${KVMSIM_RACE_SEEDS:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
(cd "$src" && tar --exclude=./build --exclude=./.git -cf - .) |
    tar -C "$work/src" -xf - || exit 2
if ! (cd "$work/src" &&
      patch -p1 --quiet --no-backup-if-mismatch \
          < "$src/tests/mutants/virtio_no_post_stop_clear.patch"); then
    echo "mutant: the patch does not apply to $src" >&2
    exit 2
fi
if ! cmake -S "$work/src" -B "$work/build" -G Ninja \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/cmake.log" 2>&1 ||
   ! cmake --build "$work/build" --target test_virtio_race \
        >"$work/build.log" 2>&1; then
    echo "mutant: build failed" >&2
    tail -n 20 "$work/cmake.log" "$work/build.log" >&2
    exit 2
fi
start=$(date +%s)
KVMSIM_RACE_SEEDS=$seeds "$work/build/tests/test_virtio_race" \
    >"$work/run.log" 2>&1
rc=$?
end=$(date +%s)
grep -E '^(race|first failing seed)' "$work/run.log"
lost=$(sed -n 's/.*; \([0-9][0-9]*\) seeds lost a kick.*/\1/p' \
           "$work/run.log")
echo "mutant: exploration exit $rc after $((end - start)) s," \
     "${lost:-0} of $seeds seeds lost a kick"
if [ "$rc" -ne 0 ] && [ "${lost:-0}" -gt 0 ]; then
    echo "mutant killed: the exploration finds the lost kick"
    exit 0
fi
echo "mutant SURVIVED: the exploration did not find the lost kick"
exit 1
