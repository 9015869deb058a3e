#!/bin/sh
# bench/time_to_bug.sh - seeds and wall seconds to the first failure for
# each schedule-dependent defect (the demo's lost kick and the mutants of
# tests/mutants/ listed in bench/time_to_bug.py), under each scheduling
# strategy (time random pct pos surw portfolio; and with --swarm when
# `kvmsim explore --help` offers it), against the host baseline (the
# mechanism's ThreadSanitizer stress test looped until it fails).
# A benchmark, never a timed test: it prints PASS/MISS for its targets
# and exits 0 whatever they say.
#
# Usage: time_to_bug.sh [--smoke] [--out DIR] [--work DIR] [--reps N]
#                       [--cap-seeds N] [--cap-secs S] [--host-secs S]
#                       [--no-host] [--cases A,B] [--strategies A,B]
#                       [--kvmsim BIN]
#   --out DIR        CSV, Markdown and PNG (default bench/results)
#   --work DIR       scratch tree and builds (default a new /tmp dir)
#   --reps N         repetitions per case and strategy (default 5)
#   --cap-seeds N    seeds per repetition at most (default 20000)
#   --cap-secs S     wall seconds per repetition at most (default 20)
#   --host-secs S    host stress loop per defect (default 60)
#   --smoke          one case (demo), pct,pos,portfolio, one repetition,
#                    small caps, no host, with --kvmsim (else a build)
# Output: DIR/time_to_bug.csv, time_to_bug.md, time_to_bug.png.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
out=$src/bench/results
work=""
smoke=0
args=""
while [ $# -gt 0 ]; do
    case $1 in
    --smoke) smoke=1 ;;
    --out) out=$2; shift ;;
    --work) work=$2; shift ;;
    --no-host) args="$args --no-host" ;;
    --reps | --cap-seeds | --cap-secs | --host-secs | --cases | \
    --strategies | --kvmsim)
        args="$args $1 $2"
        shift
        ;;
    -h | --help)
        sed -n 's/^# \{0,1\}//; /^Usage:/,/^Output:/p' "$0"
        exit 0
        ;;
    *) echo "time_to_bug.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/kvmsim-ttb.XXXXXX")
fi
if [ $smoke -eq 1 ]; then
    args="--cases demo_lost_kick --strategies pct,pos,portfolio --reps 1
          --cap-seeds 2000 --cap-secs 10 --no-host $args"
fi
# shellcheck disable=SC2086 # the options are a word list by design
/usr/bin/python3 "$here/time_to_bug.py" --src "$src" --out "$out" \
    --work "$work" $args
/usr/bin/python3 "$here/time_to_bug_report.py" "$out/time_to_bug.csv" "$out"
