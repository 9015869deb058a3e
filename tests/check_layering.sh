#!/bin/sh
# tests/check_layering.sh - fail when core/ includes anything outside core/
# and the C library, or core/ or sim/ reads the wall clock or unseeded
# randomness.  Usage: check_layering.sh SRCDIR
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
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
