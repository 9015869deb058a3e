#!/usr/bin/python3
"""bench/time_to_bug_report.py - the time-to-bug CSV as a Markdown table
and a PNG, with the targets checked (PASS/MISS).

Usage: time_to_bug_report.py CSV OUTDIR
Writes OUTDIR/time_to_bug.md and OUTDIR/time_to_bug.png (the PNG only
when matplotlib is installed: Debian's python3-matplotlib).  Prints the
target lines; the exit status is 0 whatever they say (a benchmark, not a
test), 2 on a missing or malformed CSV.

Targets: the best strategy finds each defect in <= 1 s median; portfolio
within 2x of the best, defect by defect; the simulator's best reaches the
bug >= 10x sooner than host stress on the median defect (cases without a
host row are left out; a host run that never failed counts as its cap).
"""
import csv
import os
import statistics
import sys

ORDER = ["time", "random", "pct", "pos", "surw", "portfolio"]
# Below this, a wall time is mostly the explore process's own start.
NOISE_S = 0.05


def median_or_none(xs):
    return statistics.median(xs) if xs else None


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    rows = list(csv.DictReader(open(sys.argv[1])))
    outdir = sys.argv[2]
    cases = []
    for r in rows:
        if r["case"] not in cases:
            cases.append(r["case"])
    cols = []
    for st in ORDER:
        for sw in ("0", "1"):
            if any(r["strategy"] == st and r["swarm"] == sw for r in rows):
                cols.append((st, sw))
    has_host = any(r["strategy"] == "host-tsan" for r in rows)

    # cell: (median seconds, median seeds, found reps, reps)
    cell = {}
    host = {}
    for c in cases:
        for st, sw in cols:
            rs = [r for r in rows if r["case"] == c and r["strategy"] == st
                  and r["swarm"] == sw]
            found = [r for r in rs if r["found"] == "1"]
            if not rs:
                continue
            if len(found) * 2 > len(rs):
                # The median of all repetitions, a miss counting as its cap.
                secs = median_or_none([float(r["seconds"]) if r["found"] ==
                                       "1" else float("inf") for r in rs])
                seeds = median_or_none([int(r["seeds"]) if r["found"] ==
                                        "1" else 1 << 62 for r in rs])
            else:
                secs, seeds = None, None
            cell[c, st, sw] = (secs, seeds, len(found), len(rs),
                               max(float(r["seconds"]) for r in rs))
        hr = [r for r in rows if r["case"] == c and r["strategy"] ==
              "host-tsan"]
        if hr:
            host[c] = (float(hr[0]["seconds"]), hr[0]["found"] == "1")

    def fmt(c, st, sw):
        v = cell.get((c, st, sw))
        if not v:
            return "-"
        secs, seeds, nf, n, cap = v
        if secs is None:
            return "not found (%d/%d, cap %.0f s)" % (nf, n, cap)
        return "%.3f s / %d seeds" % (secs, seeds)

    lines = ["# Time to bug", "",
             "Median wall seconds / seeds to the first failure "
             "(`kvmsim explore --jobs 1`, %d repetitions from different "
             "first seeds, or fewer where the first found nothing within "
             "its cap)." % max([v[3] for v in cell.values()] or [0]), ""]
    head = ["case"] + ["%s%s" % (st, " +swarm" if sw == "1" else "")
                       for st, sw in cols]
    if has_host:
        head.append("host TSan stress")
    head += ["best", "portfolio / best"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    checks = []
    ratios_host = []
    for c in cases:
        best = None
        for st, sw in cols:
            v = cell.get((c, st, sw))
            if v and v[0] is not None and (best is None or v[0] < best[0]):
                best = (v[0], st + (" +swarm" if sw == "1" else ""))
        port = [cell[c, "portfolio", sw][0] for sw in ("0", "1")
                if (c, "portfolio", sw) in cell and
                cell[c, "portfolio", sw][0] is not None]
        row = [c] + [fmt(c, st, sw) for st, sw in cols]
        if has_host:
            if c in host:
                row.append("%.2f s" % host[c][0] if host[c][1] else
                           "not found in %.0f s" % host[c][0])
            else:
                row.append("no stress test")
        row.append("%s (%.3f s)" % (best[1], best[0]) if best else
                   "not found")
        if best and port:
            ratio = min(port) / best[0] if best[0] > 0 else 1.0
            row.append("%.1fx" % ratio)
        else:
            ratio = None
            row.append("-")
        lines.append("| " + " | ".join(row) + " |")
        checks.append(("best strategy <= 1 s median: %s" % c,
                       best is not None and best[0] <= 1.0,
                       "%.3f s (%s)" % (best[0], best[1]) if best else
                       "not found"))
        noise = ""
        if ratio is not None and min(port) < NOISE_S:
            noise = (" (both under %.0f ms, about one explore start: "
                     "within noise)" % (NOISE_S * 1000))
        checks.append(("portfolio within 2x of best: %s" % c,
                       ratio is not None and ratio <= 2.0,
                       "%.1fx" % ratio + noise if ratio is not None else
                       "portfolio or best not found"))
        if c in host and best:
            ratios_host.append(host[c][0] / max(best[0], 1e-4))
    if ratios_host:
        med = statistics.median(ratios_host)
        checks.append(("simulator >= 10x sooner than host stress on the "
                       "median defect", med >= 10.0,
                       "%.0fx over %d defects with a host stress test "
                       "(a host miss counts as its cap)" %
                       (med, len(ratios_host))))
    lines += ["", "## Targets", ""]
    for what, ok, detail in checks:
        lines.append("- %s %s: %s" % ("PASS" if ok else "MISS", what,
                                      detail))
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "time_to_bug.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    for what, ok, detail in checks:
        print("%s  %s: %s" % ("PASS" if ok else "MISS", what, detail))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("time_to_bug_report: no matplotlib (python3-matplotlib): "
              "no PNG", file=sys.stderr)
        return 0
    fig, ax = plt.subplots(figsize=(max(8, len(cases) * 1.1), 5))
    width = 0.8 / (len(cols) + (1 if has_host else 0))
    for k, (st, sw) in enumerate(cols):
        ys = []
        for c in cases:
            v = cell.get((c, st, sw))
            ys.append(v[0] if v and v[0] is not None else 0)
        ax.bar([i + k * width for i in range(len(cases))], ys, width,
               label=st + (" +swarm" if sw == "1" else ""))
    if has_host:
        ys = [host[c][0] if c in host else 0 for c in cases]
        ax.bar([i + len(cols) * width for i in range(len(cases))], ys,
               width, label="host TSan stress", color="black")
    ax.set_yscale("log")
    ax.set_ylabel("median wall seconds to first failure (log)")
    ax.set_xticks([i + 0.4 for i in range(len(cases))])
    ax.set_xticklabels(cases, rotation=30, ha="right", fontsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "time_to_bug.png"), dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
