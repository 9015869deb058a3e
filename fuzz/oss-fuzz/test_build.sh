#!/bin/bash
# fuzz/oss-fuzz/test_build.sh - run fuzz/oss-fuzz/build.sh as OSS-Fuzz does
# for a libFuzzer build with AddressSanitizer and UndefinedBehaviorSanitizer
# (its compiler flags; build.sh copied to $SRC, run from $SRC/kvmsim), into
# scratch $SRC, $WORK and $OUT, then check what landed in $OUT:
#  - the compile commands carry no -fsanitize flag that $CFLAGS lacks;
#  - for every fuzz/fuzz_NAME.c: an executable fuzz_NAME whose dynamic
#    dependencies are system libraries only (libinih is linked in); a
#    seed corpus zip holding every file of fuzz/corpus/NAME and
#    fuzz/regress/NAME (and not empty); fuzz_NAME.options with a
#    [libfuzzer] section; where fuzz/NAME.dict exists, an identical
#    fuzz_NAME.dict that the options name;
#  - each fuzzer runs its unzipped seed corpus once (-runs=0, with the
#    flags of its .options) and exits 0 having read every seed.
# KVMSIM_ENGINE=archive instead links an engine archive, as AFL++ and
# honggfuzz builds do: a small C++ driver that runs each file argument
# once (it needs the C++ runtime, so it also checks that the fuzzers link
# with $CXX), with no libFuzzer coverage flags; the seed check then runs
# the driver over the seeds.
# KVMSIM_INIH_SRC=DIR puts DIR (the inih sources) at $SRC/inih, as the
# Dockerfiles do, and checks that the fuzzers link the libinih.a built
# from it.
# Needs clang, cmake, zip and unzip.  KVMSIM_JOBS (default 2) sets the
# build parallelism; KVMSIM_KEEP=1 keeps the scratch directory.
set -eu
tree=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kvmsim-ossfuzz.XXXXXX")
if [ "${KVMSIM_KEEP:-0}" = 1 ]; then
    echo "scratch: $scratch"
else
    trap 'rm -rf "$scratch"' EXIT
fi

export SRC=$scratch/src WORK=$scratch/work OUT=$scratch/out
mkdir -p "$SRC" "$WORK" "$OUT"
ln -s "$tree" "$SRC/kvmsim"
cp "$tree/fuzz/oss-fuzz/build.sh" "$SRC/build.sh"
if [ -n "${KVMSIM_INIH_SRC:-}" ]; then
    ln -s "$(cd "$KVMSIM_INIH_SRC" && pwd)" "$SRC/inih"
fi

# OSS-Fuzz's flags (base-builder's SANITIZER_FLAGS_address and _undefined,
# the libFuzzer coverage flags, and what its compile script adds).  One
# build with both sanitizers, where OSS-Fuzz makes one per sanitizer.
# CXXFLAGS lack OSS-Fuzz's -stdlib=libc++: the system clang links
# libstdc++.
san_address="-fsanitize=address -fsanitize-address-use-after-scope"
ubsan="array-bounds,bool,builtin,enum,float-divide-by-zero,function"
ubsan="$ubsan,integer-divide-by-zero,null,object-size,return"
ubsan="$ubsan,returns-nonnull-attribute,shift,signed-integer-overflow"
ubsan_all="$ubsan,unsigned-integer-overflow,unreachable,vla-bound,vptr"
ubsan_abort="$ubsan,unreachable,vla-bound,vptr"
san_undefined="-fsanitize=$ubsan_all -fno-sanitize-recover=$ubsan_abort"
engine=${KVMSIM_ENGINE:-libfuzzer}
export CC=clang CXX=clang++
CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only \
-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $san_address $san_undefined"
case $engine in
libfuzzer)
    CFLAGS="$CFLAGS -fsanitize=fuzzer-no-link"
    export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
    ;;
archive)
    cat >"$WORK/engine.cc" <<'EOF'
// Runs LLVMFuzzerTestOneInput once on each file argument.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        std::ifstream in(argv[i], std::ios::binary);
        if (!in) {
            std::perror(argv[i]);
            return 1;
        }
        std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(buf.data(), buf.size());
        std::printf("ran %s\n", argv[i]);
    }
    return 0;
}
EOF
    # shellcheck disable=SC2086
    $CXX $CFLAGS -c "$WORK/engine.cc" -o "$WORK/engine.o"
    ar rcs "$WORK/libStandaloneEngine.a" "$WORK/engine.o"
    export LIB_FUZZING_ENGINE=$WORK/libStandaloneEngine.a
    ;;
*)
    echo "KVMSIM_ENGINE is libfuzzer or archive" >&2
    exit 2
    ;;
esac
export CFLAGS
export CXXFLAGS="$CFLAGS"
export KVMSIM_JOBS=${KVMSIM_JOBS:-2}
# OSS-Fuzz's runtime setting: unsigned overflow is a coverage signal only.
export UBSAN_OPTIONS=silence_unsigned_overflow=1:print_stacktrace=1

t0=$(date +%s)
(cd "$SRC/kvmsim" && bash "$SRC/build.sh") >"$scratch/build.log" 2>&1 || {
    tail -n 40 "$scratch/build.log"
    echo "FAIL: build.sh exited non-zero"
    exit 1
}
echo "build.sh: $(( $(date +%s) - t0 )) s"

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# No sanitizer flag of CMake's own: every -fsanitize* token in the
# compile commands must come from $CFLAGS.
# shellcheck disable=SC2086  # split into flags on purpose
want=$(printf '%s\n' $CFLAGS | grep -- '^-fsanitize' | sort -u)
got=$(grep -o -- '-fsanitize[^ "]*' \
      "$WORK/kvmsim-build/compile_commands.json" | sort -u)
if [ "$got" = "$want" ]; then ok; else
    bad "compile commands' sanitizer flags differ from \$CFLAGS:" \
        "$(comm -13 <(echo "$want") <(echo "$got") | tr '\n' ' ')"
fi

# libinih: the archive built from $SRC/inih when that is there.
if [ -n "${KVMSIM_INIH_SRC:-}" ]; then
    if grep -q "^KVMSIM_INIH_ARCHIVE:FILEPATH=$WORK/inih/libinih.a\$" \
            "$WORK/kvmsim-build/CMakeCache.txt"; then ok; else
        bad "the fuzzers do not link \$WORK/inih/libinih.a"
    fi
fi

# Run options of an .options file's [libfuzzer] section as flags.
libfuzzer_flags() {
    awk -v out="$OUT" '/^[[:space:]]*\[/ { sec = $0; next }
        sec ~ /^\[libfuzzer\]/ && /=/ && !/^[[:space:]]*[#;]/ {
            k = $0; sub(/[[:space:]]*=.*/, "", k); sub(/^[[:space:]]+/, "", k)
            v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); sub(/[[:space:]]+$/, "", v)
            if (k == "dict") v = out "/" v
            printf "-%s=%s\n", k, v
        }' "$1"
}

system_libs='^(linux-vdso|libc|libm|libpthread|libdl|librt|libgcc_s|libstdc\+\+|ld-linux-x86-64|ld-linux-aarch64)\.so'
nfuzz=0
for src in "$tree"/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    short=${name#fuzz_}
    bin=$OUT/$name
    nfuzz=$((nfuzz + 1))
    if [ ! -x "$bin" ]; then
        bad "$name: no executable in \$OUT"
        continue
    fi
    ok

    needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    foreign=$(echo "$needed" | grep -Ev "$system_libs" || true)
    if [ -z "$foreign" ] && ! ldd "$bin" | grep -q inih; then ok; else
        bad "$name: dynamically linked to non-system libraries:" \
            "$(echo "$foreign" | tr '\n' ' ')"
    fi

    zipf=$OUT/${name}_seed_corpus.zip
    seeds=$scratch/seeds/$name
    nseed=0
    for d in "$tree/fuzz/corpus/$short" "$tree/fuzz/regress/$short"; do
        if [ -d "$d" ]; then
            nseed=$((nseed + $(find "$d" -maxdepth 1 -type f | wc -l)))
        fi
    done
    if [ ! -f "$zipf" ]; then
        bad "$name: no seed corpus zip"
        continue
    fi
    mkdir -p "$seeds"
    unzip -q "$zipf" -d "$seeds"
    nzip=$(find "$seeds" -type f | wc -l)
    if [ "$nzip" -gt 0 ] && [ "$nzip" -eq "$nseed" ]; then ok; else
        bad "$name: seed corpus zip has $nzip files, the tree $nseed"
    fi

    opts=$OUT/$name.options
    if [ -f "$opts" ] && grep -q '^\[libfuzzer\]' "$opts"; then ok; else
        bad "$name: no $name.options with a [libfuzzer] section"
        continue
    fi
    if [ -f "$tree/fuzz/$short.dict" ]; then
        if cmp -s "$tree/fuzz/$short.dict" "$OUT/$name.dict" &&
           grep -Eq "^dict[[:space:]]*=[[:space:]]*$name\.dict\$" "$opts"; then
            ok
        else
            bad "$name: $name.dict missing, different, or not in the options"
        fi
    fi

    log=$scratch/$name.run.log
    rc=0
    if [ "$engine" = archive ]; then
        (cd "$scratch" && find "$seeds" -type f -exec "$bin" {} +) \
            >"$log" 2>&1 || rc=$?
        read_n=$(grep -c '^ran ' "$log" || true)
        if [ $rc -eq 0 ] && [ "$read_n" -eq "$nzip" ]; then
            echo "$name: ran $nzip seeds"
            ok
        else
            tail -n 20 "$log"
            bad "$name: seed run exited $rc, ran $read_n of $nzip seeds"
        fi
        continue
    fi
    mapfile -t flags < <(libfuzzer_flags "$opts")
    (cd "$scratch" && "$bin" "${flags[@]}" -runs=0 -timeout=25 \
        -rss_limit_mb=2560 "$seeds") >"$log" 2>&1 || rc=$?
    read_n=$(sed -n 's/.*seed corpus: files: \([0-9]*\).*/\1/p' "$log" |
             head -n 1)
    if [ $rc -eq 0 ] && grep -q 'INITED' "$log" &&
       [ "${read_n:-0}" -eq "$nzip" ]; then
        echo "$name: ran $nzip seeds ${flags[*]}"
        ok
    else
        tail -n 20 "$log"
        bad "$name: seed corpus run exited $rc, read ${read_n:-no} of $nzip seeds"
    fi
done

nexe=$(find "$OUT" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | wc -l)
if [ "$nexe" -eq "$nfuzz" ]; then ok; else
    bad "\$OUT holds $nexe fuzzer executables for $nfuzz fuzz_*.c"
fi
echo "oss-fuzz build: $nfuzz fuzzers in $(( $(date +%s) - t0 )) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
