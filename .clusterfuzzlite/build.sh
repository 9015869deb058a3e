#!/bin/bash -eu
# .clusterfuzzlite/build.sh - ClusterFuzzLite runs the OSS-Fuzz build
# script of the tree it copied in (every fuzz/fuzz_*.c, its seeds,
# dictionary and options).
exec "$SRC/kvmsim/fuzz/oss-fuzz/build.sh"
