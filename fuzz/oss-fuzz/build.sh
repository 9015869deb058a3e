#!/bin/bash -eu
# fuzz/oss-fuzz/build.sh - build every fuzz/fuzz_*.c the OSS-Fuzz way and
# put into $OUT, per fuzzer fuzz_NAME:
#   fuzz_NAME                   the binary (libinih linked statically)
#   fuzz_NAME_seed_corpus.zip   fuzz/corpus/NAME/ plus fuzz/regress/NAME/
#   fuzz_NAME.dict              a copy of fuzz/NAME.dict, where one exists
#   fuzz_NAME.options           fuzz/NAME.options, plus dict = fuzz_NAME.dict
#
# Takes what OSS-Fuzz and ClusterFuzzLite give a build script: $CC, $CXX,
# $CFLAGS, $CXXFLAGS (sanitizers and coverage: CMake adds none of its own),
# $LIB_FUZZING_ENGINE (-fsanitize=fuzzer, or an engine archive for AFL++
# and honggfuzz), $OUT, $SRC and $WORK.  The fuzzers are linked with $CXX.
# If $SRC/inih holds the inih sources, they are compiled with the same
# flags (instrumented like the rest); otherwise the system's libinih.a is
# linked, which MemorySanitizer builds ($SANITIZER=memory) refuse, as
# uninstrumented code makes MSan report false positives.  KVMSIM_JOBS sets
# the build parallelism (default: nproc).
#
# The kvmsim tree is the one this script sits in, else the current
# directory (the Dockerfile's WORKDIR), else $SRC/kvmsim.

for v in CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE OUT SRC WORK; do
    if [ -z "${!v+set}" ]; then
        echo "build.sh: \$$v is not set (run under OSS-Fuzz, or see" \
             "fuzz/oss-fuzz/test_build.sh)" >&2
        exit 2
    fi
done

here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$here/../CMakeLists.txt" ] && [ -f "$here/../../CMakeLists.txt" ]; then
    tree=$(cd "$here/../.." && pwd)
elif [ -f fuzz/CMakeLists.txt ]; then
    tree=$(pwd)
else
    tree=$SRC/kvmsim
fi
fz=$tree/fuzz
jobs=${KVMSIM_JOBS:-$(nproc)}
mkdir -p "$OUT" "$WORK"

# libinih from source, as instrumented as kvmsim itself, with inih's
# default settings (the ones config.c is written against).
if [ -f "$SRC/inih/ini.c" ]; then
    inih=$WORK/inih
    mkdir -p "$inih/include"
    # shellcheck disable=SC2086
    $CC $CFLAGS -c "$SRC/inih/ini.c" -o "$inih/ini.o"
    rm -f "$inih/libinih.a"
    ar rcs "$inih/libinih.a" "$inih/ini.o"
    cp "$SRC/inih/ini.h" "$inih/include/"
    cat >"$inih/inih.pc" <<EOF
Name: inih
Description: simple .INI file parser (built for fuzzing)
Version: source
Libs: -L$inih -linih
Cflags: -I$inih/include
EOF
    export PKG_CONFIG_PATH="$inih${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
elif [ "${SANITIZER:-}" = memory ]; then
    echo "build.sh: MemorySanitizer needs every library instrumented;" \
         "put the inih sources at \$SRC/inih" >&2
    exit 2
fi

gen=()
if command -v ninja >/dev/null 2>&1; then
    gen=(-G Ninja)
fi
# A fresh tree each time: a second run with other compiler settings in
# the environment (AFL++'s CMPLOG pass) must not reuse objects.
build=$WORK/kvmsim-build
rm -rf "$build"
# No build type: $CFLAGS carries the optimisation level.  Warnings stay
# warnings: OSS-Fuzz's clang is newer than the ones kvmsim is checked with.
cmake -S "$tree" -B "$build" "${gen[@]}" \
    -DCMAKE_BUILD_TYPE= \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
    -DKVMSIM_FUZZ=ON -DKVMSIM_OSSFUZZ=ON -DKVMSIM_WERROR=OFF \
    -DKVMSIM_SANITIZE= \
    -DKVMSIM_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$build" --target fuzzers -j "$jobs"

for src in "$fz"/fuzz_*.c; do
    name=$(basename "$src" .c)
    short=${name#fuzz_}
    cp "$build/fuzz/$name" "$OUT/"

    # Seeds and regression inputs, flat (regression files get a prefix so
    # a name in both directories cannot collide).
    stage=$WORK/seeds/$name
    rm -rf "$stage"
    mkdir -p "$stage"
    if [ -d "$fz/corpus/$short" ]; then
        find "$fz/corpus/$short" -maxdepth 1 -type f -exec cp {} "$stage/" \;
    fi
    if [ -d "$fz/regress/$short" ]; then
        find "$fz/regress/$short" -maxdepth 1 -type f \
            -exec sh -c 'cp "$1" "$2/regress-$(basename "$1")"' _ {} "$stage" \;
    fi
    rm -f "$OUT/${name}_seed_corpus.zip"
    if [ -n "$(ls -A "$stage")" ]; then
        (cd "$stage" && zip -q -X -r "$OUT/${name}_seed_corpus.zip" .)
    fi

    # Options: the checked-in [libfuzzer] settings, and the dictionary.
    opts=$OUT/$name.options
    if [ -f "$fz/$short.options" ]; then
        cp "$fz/$short.options" "$opts"
    else
        printf '[libfuzzer]\n' >"$opts"
    fi
    rm -f "$OUT/$name.dict"
    if [ -f "$fz/$short.dict" ]; then
        cp "$fz/$short.dict" "$OUT/$name.dict"
        if ! grep -Eq '^[[:space:]]*dict[[:space:]]*=' "$opts"; then
            sed -i "s/^\[libfuzzer\][[:space:]]*\$/&\ndict = $name.dict/" "$opts"
        fi
    fi
done
