#!/bin/sh
# bench/explore_scaling.sh - `kvmsim explore` throughput per headline
# scenario: seeds per second with 1 job and with 2 jobs (PCT strategy, the
# scenario's default variant), and the scaling between them.  A benchmark,
# not a test: it prints figures and never fails on them.
# Usage: explore_scaling.sh [KVMSIM] [SECONDS_PER_POINT]
set -u
bin=${1:-build/default/kvmsim}
secs=${2:-10}
printf '%-22s %12s %12s %8s\n' scenario "1 job/s" "2 jobs/s" scaling
for s in demo msix-resume-8vf iobus-200-ioeventfds its-lpi-storm \
         switchover-vfio virtio-blk-mq virtio-net-tx; do
    r1= r2=
    for j in 1 2; do
        # A seed count far above what the budget allows; the budget ends it.
        out=$("$bin" explore "$s" --seeds 100000000 --jobs "$j" \
                  --strategy pct --time-budget "$secs" 2>&1 | tail -n 20)
        rate=$(printf '%s\n' "$out" |
               sed -n 's/.* (\([0-9.]*\) seeds\/s, .*/\1/p' | tail -n 1)
        if [ "$j" = 1 ]; then r1=$rate; else r2=$rate; fi
    done
    printf '%-22s %12s %12s %8s\n' "$s" "${r1:-?}" "${r2:-?}" \
        "$(awk -v a="${r1:-0}" -v b="${r2:-0}" \
              'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "?" }')"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  cpus: $(nproc)"
