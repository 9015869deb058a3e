#!/bin/sh
# scripts/test.sh - the whole test suite, as CI runs it: unit and scenario
# tests in the default, asan and tsan builds, the ThreadSanitizer stress
# tests, a bounded run of every fuzzer and the OSS-Fuzz build.sh check
# (fuzz preset), the coverage gate (coverage preset), the mutation suite
# and the ThreadSanitizer mutants, a cross-build check that one seed gives
# one trace hash in every build, and plain Release builds (no preset) with
# gcc and clang.  The presets turn -Werror on (KVMSIM_WERROR, off in a
# plain build); so does this script for the plain builds.  Exits non-zero
# on any failure.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
status=0

build() {
    cmake --preset "$1" >/dev/null
    cmake --build --preset "$1" -j "$jobs"
}

run_ctest() {
    preset=$1
    shift
    echo "== ctest: $preset $* =="
    if ! ctest --preset "$preset" -j "$jobs" "$@"; then
        status=1
    fi
}

build default
run_ctest default -L 'unit|scenario|readme|bench-smoke'

build asan
run_ctest asan -L 'unit|scenario'

build tsan
# ThreadSanitizer needs a compatible mmap layout; disable randomisation if
# this kernel's layout is refused.
if build/tsan/tests/test_tape >/dev/null 2>&1; then
    run_ctest tsan -L 'unit|scenario|tsan'
else
    echo "tsan: running under setarch -R"
    setarch "$(uname -m)" -R ctest --preset tsan -j "$jobs" \
        -L 'unit|scenario|tsan' || status=1
fi

build fuzz
run_ctest fuzz -L fuzz-smoke

echo "== coverage gate: core/ >= 95% lines, >= 85% branches =="
if ! sh coverage/run.sh 95 85; then
    status=1
fi

echo "== mutation suite: every planted defect must be caught =="
# One line per mutant in build/mutants.log; here only what was not caught
# and the totals.
mkdir -p build
if sh tests/mutants/run.sh >build/mutants.log 2>&1; then
    grep -v '^caught ' build/mutants.log
else
    grep -v '^caught ' build/mutants.log
    status=1
fi

echo "== ThreadSanitizer mutants: every planted race must be reported =="
# Built with the tsan preset in a scratch copy; each mutant must end an
# exploration with a ThreadSanitizer report.
tsan_run=""
build/tsan/tests/test_tape >/dev/null 2>&1 || tsan_run="setarch $(uname -m) -R"
if $tsan_run sh tests/mutants/tsan/run.sh >build/mutants-tsan.log 2>&1; then
    grep -v '^caught ' build/mutants-tsan.log
else
    grep -v '^caught ' build/mutants-tsan.log
    status=1
fi

echo "== one seed, one trace hash, in every build =="
h=""
for b in default asan tsan; do
    hb=$(build/$b/kvmsim run demo --seed 7 --quiet --metrics /dev/stdout |
         sed -n 's/.*"trace_hash": "\([0-9a-f]*\)".*/\1/p')
    echo "  $b: $hb"
    if [ -z "$hb" ] || { [ -n "$h" ] && [ "$hb" != "$h" ]; }; then
        echo "FAIL: trace hash differs between builds"
        status=1
    fi
    h=$hb
done

echo "== plain Release builds, as packagers configure, with -Werror =="
# No preset: the flags a distribution's build uses, with gcc and clang;
# -DKVMSIM_WERROR=ON so that a new warning fails CI, not the packager.
for cc in gcc clang; do
    log=build/plain-$cc.log
    if ! { cmake -S . -B "build/plain-$cc" -G Ninja -DCMAKE_C_COMPILER=$cc \
               -DCMAKE_BUILD_TYPE=Release -DKVMSIM_WERROR=ON >/dev/null &&
           cmake --build "build/plain-$cc" -j "$jobs" >"$log" 2>&1; }; then
        grep -E 'error|warning' "$log" | head -n 20
        echo "FAIL: plain Release build with $cc"
        status=1
    fi
done

if [ $status -eq 0 ]; then
    echo "kvmsim: all test stages passed"
else
    echo "kvmsim: some test stage FAILED"
fi
exit $status
