#!/bin/sh
# tests/check_layering.sh - fail when core/ includes anything outside core/
# and the C library, or core/ or sim/ reads the wall clock or unseeded
# randomness, or the tool and the mechanisms reach into each other.
# Usage: check_layering.sh SRCDIR
src=${1:-.}
bad=0
if grep -nE '#include[[:space:]]*"(sim|model|host|scenarios)/' "$src"/core/*.[ch]; then
    echo "core/ must include only core/ headers" >&2
    bad=1
fi
if grep -nE '\b(time|gettimeofday|clock_gettime|rand|random|srand|getpid)[[:space:]]*\(' \
        "$src"/core/*.[ch] "$src"/sim/*.[ch]; then
    echo "core/ and sim/ must not read the wall clock or unseeded randomness" >&2
    bad=1
fi
# The kvmsim tool (scenarios/tool/) knows no mechanism: it includes nothing
# from scenarios/<mech>/ or model/<mech>/, and from core/ only the platform
# and the fault enum.  Checks (model/<mech>/) and worlds
# (scenarios/<mech>/*_world.*) never include the tool; only drivers, the
# tool's plug-ins, include its driver interface (scenario.h and the
# headers it needs).
if grep -nE '#include[[:space:]]*"(scenarios/[a-z]+|model/[a-z]+)/' \
        "$src"/scenarios/tool/*.[ch] | grep -v '"scenarios/tool/'; then
    echo "scenarios/tool/ must not include a mechanism's headers" >&2
    bad=1
fi
if grep -nE '#include[[:space:]]*"core/' "$src"/scenarios/tool/*.[ch] |
        grep -vE '"core/(platform|fault)\.h"'; then
    echo "scenarios/tool/ includes only core/platform.h and core/fault.h" >&2
    bad=1
fi
if grep -nE '#include[[:space:]]*"scenarios/tool/' \
        "$src"/model/*/*.[ch] "$src"/scenarios/*/*_world.[ch]; then
    echo "checks and worlds must not include the tool (scenarios/tool/)" >&2
    bad=1
fi
# An opcode fuzzer reaches its mechanism's harness directly, not through
# the tool (the tape fuzzers run scenarios through the runner).
for f in "$src"/fuzz/fuzz_*.c; do
    case $f in */fuzz_tape_*|*/fuzz_scenario_load.c) continue ;; esac
    if grep -nE '#include[[:space:]]*"scenarios/tool/' "$f"; then
        echo "$f: an opcode fuzzer must not include the tool" >&2
        bad=1
    fi
done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
