#!/bin/sh
# tests/install_test.sh - `cmake --install` into a scratch prefix, then the
# installed tool used from outside the tree: bin/kvmsim runs `list`; every
# scenario it lists has its file in share/kvmsim/scenarios/; one installed
# file, run by path, gives the trace hash of the compiled-in scenario of
# the same name; the README and docs/KEYS.md are in share/doc/kvmsim/.
# Usage: install_test.sh BUILDDIR
set -u
build=$(cd "$1" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmsim-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
bad=0

fail() {
    echo "FAIL: $*" >&2
    bad=1
}

if ! cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1
then
    cat "$tmp/install.log" >&2
    fail "cmake --install exited non-zero"
    exit 1
fi
k=$prefix/bin/kvmsim
scn=$prefix/share/kvmsim/scenarios
doc=$prefix/share/doc/kvmsim
[ -x "$k" ] || { fail "no executable $k"; exit 1; }

cd "$tmp" || exit 1
if ! "$k" list >list.txt 2>&1; then
    fail "installed kvmsim list exited non-zero"
    cat list.txt >&2
fi
names=$(sed -n 's/^\([a-z0-9][a-z0-9-]*\)[[:space:]].*/\1/p' list.txt)
[ -n "$names" ] || fail "installed kvmsim list names no scenario"
for n in $names; do
    [ -f "$scn/$n.ini" ] || fail "scenario $n listed but $scn/$n.ini missing"
done

hash_of() {
    "$k" run "$1" --seed 7 --quiet --metrics /dev/stdout |
        sed -n 's/.*"trace_hash": "\([0-9a-f]*\)".*/\1/p'
}
by_path=$(hash_of "$scn/demo.ini")
by_name=$(hash_of demo)
if [ -z "$by_path" ] || [ "$by_path" != "$by_name" ]; then
    fail "run $scn/demo.ini --seed 7: trace hash '$by_path'," \
         "run demo --seed 7: '$by_name'"
fi

for f in README.md docs/KEYS.md; do
    [ -s "$doc/$f" ] || fail "$doc/$f missing or empty"
done

[ $bad -eq 0 ] && echo "install: ok ($(echo $names | wc -w) scenarios," \
    "demo.ini by path = demo, trace hash $by_path)"
exit $bad
