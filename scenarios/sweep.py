#!/usr/bin/env python3
"""scenarios/sweep.py - sweep one scenario key across values, variants and
seeds through the kvmsim command line, and write CSV (and a PNG when
matplotlib is importable).

Every point is one `kvmsim run SCENARIO --variant V --seed S --set KEY=X
--metrics FILE --quiet`; this script holds no simulation logic.  The
published points come from `kvmsim compare SCENARIO --report FILE`: the rows
with a published figure for the swept key and metric are marked on the
plot, and the overrides those rows were computed with (the fitted cost
constants, the published setup) are applied to every run of the sweep, so the
curve passes through the comparison's own model figures.

Predefined sweeps (see --list):  vfs, ioeventfds, nics, devices.
Generic:  --scenario S --key K --values 1,2,4 | 1:32[:STEP]
          --variants a,b --metric M [--seeds N] [--set KEY=VALUE ...]

Outputs, in --out (default build/sweeps/ of this checkout), per sweep NAME:
  NAME_runs.csv  one row per run (value, variant, seed, metric, result)
  NAME.csv       one row per value and variant: mean, min, max over the
                 seeds, the published figure and its role
  NAME.png       every variant on one plot, mean with min/max error bars,
                 published points marked, each variant's cliff (a step to
                 3x the previous value or more, steeper than x^4) named
                 where it is; an
                 axis spanning more than two decades is logarithmic
                 (skipped without matplotlib)

Standard library only; matplotlib is optional (run with /usr/bin/python3
on Debian to get plots).
"""

import argparse
import concurrent.futures
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name: (scenario, key, values, variants, metric, title); each axis is
# logarithmic when its values span more than two decades (log_axis).
PREDEFINED = {
    "vfs": dict(
        scenario="msix-resume-8vf", key="workload.vfs",
        values=list(range(1, 33)), variants=["per-vector", "batched"],
        metric="enable_ms_total",
        title="published 000: MSI-X enable at resume, total over the VFs"),
    "ioeventfds": dict(
        scenario="iobus-200-ioeventfds", key="workload.ioeventfds",
        values=[1, 2, 5, 10, 20, 50, 100, 150, 200, 300, 500, 750, 1000],
        variants=["linear", "bsearch", "eytzinger"], metric="exits_per_s",
        title="published 004: I/O bus lookup, exits per second"),
    "nics": dict(
        scenario="its-lpi-storm", key="workload.nics", values=list(range(1, 17)),
        variants=["none", "global", "sharded", "lockless"],
        metric="inject_latency_us_mean",
        title="published 002: ITS LPI injection latency, mean"),
    "devices": dict(
        scenario="switchover-vfio", key="workload.devices",
        values=list(range(1, 17)), variants=["serial", "parallel"],
        metric="downtime_ms",
        title="published 003: VFIO switchover downtime"),
}


def parse_values(text):
    """'1,2,5' or '1:32' or '1:32:4' (inclusive) -> list of strings."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if ":" in part:
            bits = part.split(":")
            if len(bits) not in (2, 3):
                raise ValueError("range '%s': expected A:B or A:B:STEP" % part)
            lo, hi = int(bits[0]), int(bits[1])
            step = int(bits[2]) if len(bits) == 3 else 1
            if step <= 0 or hi < lo:
                raise ValueError("range '%s' is empty" % part)
            out.extend(str(v) for v in range(lo, hi + 1, step))
        else:
            out.append(part)
    if not out:
        raise ValueError("no values")
    return out


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


class Progress:
    """A one-line progress bar on stderr: count, rate, ETA."""

    def __init__(self, total, label):
        self.total = total
        self.label = label
        self.done = 0
        self.start = time.monotonic()
        self.last = 0.0
        self.tty = sys.stderr.isatty()
        self.next_pct = 25
        self.lock = threading.Lock()

    def step(self):
        with self.lock:
            self.done += 1
            now = time.monotonic()
            final = self.done == self.total
            if self.tty:
                if final or now - self.last >= 0.1:
                    self.last = now
                    sys.stderr.write("\r" + self.line(now))
                    if final:
                        sys.stderr.write("\n")
                    sys.stderr.flush()
            elif final or 100 * self.done >= self.next_pct * self.total:
                while 100 * self.done >= self.next_pct * self.total:
                    self.next_pct += 25
                sys.stderr.write(self.line(now) + "\n")
                sys.stderr.flush()

    def line(self, now):
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else 0
        width = 30
        fill = width * self.done // max(self.total, 1)
        return "%-12s [%s%s] %d/%d %5.1f runs/s ETA %3.0fs" % (
            self.label, "#" * fill, "." * (width - fill), self.done,
            self.total, rate, left)


def compare_rows(kvmsim, scenario, key, metric):
    """The rows of `kvmsim compare --report` for this key and metric."""
    with tempfile.TemporaryDirectory(prefix="kvmsim-sweep-") as tmp:
        path = os.path.join(tmp, "compare.json")
        proc = subprocess.run(
            [kvmsim, "compare", scenario, "--report", path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0 or not os.path.exists(path):
            sys.stderr.write("sweep: kvmsim compare %s failed (exit %d): %s\n"
                             % (scenario, proc.returncode,
                                proc.stderr.strip()))
            return []
        with open(path) as f:
            report = json.load(f)
    rows = []
    for section in report.get("sections", []):
        for row in section.get("rows", []):
            if row.get("key") == key and row.get("metric") == metric:
                row = dict(row)
                row["seed_id"] = section.get("seed")
                rows.append(row)
    return rows


def common_sets(rows, key):
    """The overrides every published row shares, without the variant and
    the swept key (those the sweep sets itself)."""
    sets = None
    for row in rows:
        if row.get("published") is None:
            continue
        mine = [s for s in row.get("sets", [])
                if not s.startswith("run.variant=")
                and not s.startswith(key + "=")]
        if sets is None:
            sets = mine
        elif mine != sets:
            sys.stderr.write("sweep: the published rows differ in their "
                             "overrides; using only the shared ones\n")
            sets = [s for s in sets if s in mine]
    return sets or []


def run_one(kvmsim, scenario, variant, seed, key, value, sets, metric, tmp):
    path = os.path.join(tmp, "m-%s-%s-%d.json" % (variant, value, seed))
    cmd = [kvmsim, "run", scenario, "--variant", variant, "--seed", str(seed),
           "--set", "%s=%s" % (key, value)]
    for s in sets:
        cmd += ["--set", s]
    cmd += ["--metrics", path, "--quiet"]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    rec = dict(value=value, variant=variant, seed=seed, metric=metric,
               model=None, result="error", exit=proc.returncode,
               virtual_ns=None, trace_hash=None,
               error=proc.stderr.strip(), cmd=cmd)
    if os.path.exists(path):
        with open(path) as f:
            m = json.load(f)
        os.unlink(path)
        rec["result"] = m.get("result")
        rec["virtual_ns"] = m.get("virtual_ns")
        rec["trace_hash"] = m.get("trace_hash")
        v = m.get("metrics", {}).get(metric)
        if isinstance(v, (int, float)):
            rec["model"] = float(v)
        elif metric not in m.get("metrics", {}):
            rec["error"] = ("metric '%s' not in the run's --metrics "
                            "(it has: %s)" % (metric, ", ".join(
                                sorted(m.get("metrics", {})))))
    return rec


DECADES = 2.0     # an axis spanning more decades than this is logarithmic
CLIFF = 3.0       # a step this many times the previous value is a cliff
STEEP = 4.0       # ... when y grows faster than x to this power there


def log_axis(values):
    """Whether values (numbers, None skipped) call for a log axis: all
    positive and spanning more than DECADES decades."""
    vs = [v for v in values if v is not None]
    if not vs or min(vs) <= 0:
        return False
    return math.log10(max(vs) / min(vs)) > DECADES


def cliff(points):
    """The first point of a series (x, y pairs in x order) where y jumps:
    to CLIFF or more times the previous point's y, and (x > 0) faster than
    x to the power STEEP.  Where a lock or a queue saturates, latency grows
    by multiples per step; the costs the models charge short of that grow
    at most quadratically (2 VFs cost 3x one per-vector VF), which this
    leaves out.  (x, y, previous x, previous y), or None."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if y0 is None or y1 is None or y0 <= 0 or y1 < CLIFF * y0:
            continue
        if x0 > 0 and x1 > x0 and \
                math.log(y1 / y0) < STEEP * math.log(x1 / x0):
            continue
        return x1, y1, x0, y0
    return None


def pct(model, published):
    """The error as the report prints it, never "-0.0%"."""
    return "%+.1f%%" % (round(100.0 * (model - published) / published, 1)
                        + 0.0)


def fmt(v):
    return "" if v is None else "%.10g" % v


def show(v):
    """Four significant digits without an exponent, as the report does."""
    if v == 0 or not math.isfinite(v):
        return "%g" % v
    decimals = max(0, min(9, 3 - int(math.floor(math.log10(abs(v))))))
    text = "%.*f" % (decimals, v)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def sweep(name, spec, args):
    kvmsim = args.kvmsim
    key, metric, scenario = spec["key"], spec["metric"], spec["scenario"]
    values = [str(v) for v in spec["values"]]
    variants = spec["variants"]
    seeds = args.seed_list
    if not args.no_published:
        sys.stderr.write("%s: kvmsim compare %s --report (the published "
                         "points)\n" % (name, scenario))
    published = [] if args.no_published else compare_rows(kvmsim, scenario,
                                                           key, metric)
    base = [] if args.no_published else common_sets(published, key)
    base += args.set or []
    print("sweep %s: %s %s over %d values x %d variants x %d seeds = %d "
          "runs, metric %s" % (name, scenario, key, len(values),
                               len(variants), len(seeds),
                               len(values) * len(variants) * len(seeds),
                               metric))
    if base:
        print("  every run also has: %s" % " ".join(base))
    pts = [r for r in published if r.get("published") is not None]
    if pts:
        print("  published %s has %d point(s) here: %s" % (
            pts[0]["seed_id"], len(pts), ", ".join(
                "%s@%s=%s (%s)" % (r["variant"], fmt(r["x"]),
                                   show(r["published"]), r["role"])
                for r in pts)))

    tasks = [(variant, value, seed) for variant in variants
             for value in values for seed in seeds]
    progress = Progress(len(tasks), name)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kvmsim-sweep-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(run_one, kvmsim, scenario, v, s, key,
                                   value, base, metric, tmp)
                       for (v, value, s) in tasks]
            for fut in concurrent.futures.as_completed(futures):
                fut.result()
                progress.step()
            recs = [f.result() for f in futures]
    elapsed = time.monotonic() - start

    os.makedirs(args.out, exist_ok=True)
    runs_csv = os.path.join(args.out, "%s_runs.csv" % name)
    with open(runs_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "key", "value", "variant", "seed", "metric",
                    "model", "result", "virtual_ns", "trace_hash"])
        for r in recs:
            w.writerow([scenario, key, r["value"], r["variant"], r["seed"],
                        metric, fmt(r["model"]), r["result"],
                        "" if r["virtual_ns"] is None else r["virtual_ns"],
                        r["trace_hash"] or ""])

    pub = {(r["variant"], fmt(r["x"])): r for r in pts}
    summary = []
    for variant in variants:
        for value in values:
            got = [r["model"] for r in recs
                   if r["variant"] == variant and r["value"] == value
                   and r["model"] is not None]
            x = number(value)
            p = pub.get((variant, fmt(x)))
            summary.append(dict(
                value=value, x=x, variant=variant, n=len(got),
                mean=sum(got) / len(got) if got else None,
                min=min(got) if got else None,
                max=max(got) if got else None,
                published=p["published"] if p else None,
                role=p["role"] if p else "",
                compare_model=p["model"] if p else None))
    sum_csv = os.path.join(args.out, "%s.csv" % name)
    with open(sum_csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "key", "value", "variant", "metric", "seeds",
                    "mean", "min", "max", "published", "published_role",
                    "compare_model"])
        for s in summary:
            w.writerow([scenario, key, s["value"], s["variant"], metric,
                        s["n"], fmt(s["mean"]), fmt(s["min"]), fmt(s["max"]),
                        fmt(s["published"]), s["role"],
                        fmt(s["compare_model"])])

    failed = [r for r in recs if r["model"] is None or r["result"] != "ok"]
    print("  %d runs in %.1f s (%.1f runs/s, %d jobs)" % (
        len(recs), elapsed, len(recs) / max(elapsed, 1e-9), args.jobs))
    for s in summary:
        if s["published"] is not None and s["mean"] is not None:
            print("  %s at %s: model %s (mean of %d seeds), published "
                  "%s (%s), error %s" % (
                      s["variant"], s["value"], show(s["mean"]), s["n"],
                      show(s["published"]), s["role"],
                      pct(s["mean"], s["published"])))
    for variant in variants:
        pts_v = [(s["x"], s["mean"]) for s in summary
                 if s["variant"] == variant and s["mean"] is not None
                 and s["x"] is not None]
        c = cliff(pts_v)
        if c:
            print("  %s saturates at %s=%s: %s, %.1fx the %s at %s" % (
                variant, key, show(c[0]), show(c[1]), c[1] / c[3],
                show(c[3]), show(c[2])))
    print("  wrote %s" % sum_csv)
    print("  wrote %s" % runs_csv)
    png = os.path.join(args.out, "%s.png" % name)
    if plot(png, name, spec, summary, variants, metric):
        print("  wrote %s" % png)
    if failed:
        r = failed[0]
        print("  %d run(s) failed; the first: %s\n    %s" % (
            len(failed), " ".join(r["cmd"]), r["error"] or r["result"]),
            file=sys.stderr)
        return 1
    return 0


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def plot(path, name, spec, summary, variants, metric):
    if not have_matplotlib():
        print("  plot skipped: matplotlib is not importable by %s "
              "(try /usr/bin/python3)" % sys.executable)
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    numeric = all(s["x"] is not None for s in summary)
    labels = list(dict.fromkeys(s["value"] for s in summary))
    shown = set()
    for i, variant in enumerate(variants):
        rows = [s for s in summary if s["variant"] == variant
                and s["mean"] is not None]
        if not rows:
            continue
        xs = [s["x"] if numeric else labels.index(s["value"]) for s in rows]
        mean = [s["mean"] for s in rows]
        # max(0, ...): the mean of equal values may round past them
        lo = [max(0.0, s["mean"] - s["min"]) for s in rows]
        hi = [max(0.0, s["max"] - s["mean"]) for s in rows]
        color = "C%d" % i
        ax.errorbar(xs, mean, yerr=[lo, hi], color=color,
                    marker="os^Dv<>"[i % 7], markersize=3, capsize=2,
                    linewidth=1.2,
                    label="%s (model, mean; bars min/max of %d seeds)"
                    % (variant, rows[0]["n"]))
        for s in rows:
            if s["published"] is None:
                continue
            x = s["x"] if numeric else labels.index(s["value"])
            fitted = s["role"] == "fitted"
            label = "%s: published figure, %s" % (variant, s["role"])
            ax.plot([x], [s["published"]], linestyle="none",
                    marker="s" if fitted else "*",
                    markersize=9 if fitted else 14,
                    markerfacecolor="none" if fitted else color,
                    markeredgecolor=color, markeredgewidth=1.5,
                    label=label if label not in shown else "_nolegend_")
            shown.add(label)
    if not shown:
        ax.text(0.99, 0.01, "no published figure for this key",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                color="0.4")
    if numeric and log_axis([s["x"] for s in summary]):
        ax.set_xscale("log")
    ys = [v for s in summary for v in (s["mean"], s["min"], s["published"])]
    if log_axis(ys):
        ax.set_yscale("log")
    # Name each variant's cliff where it is, from the data.
    for i, variant in enumerate(variants):
        rows = [s for s in summary if s["variant"] == variant
                and s["mean"] is not None]
        c = cliff([(s["x"] if numeric else labels.index(s["value"]),
                    s["mean"]) for s in rows]) if rows else None
        if c is None:
            continue
        x1, y1, x0, y0 = c
        ax.annotate("%s saturates at %s=%s:\n%s, %.0fx the %s at %s" % (
            variant, spec["key"].split(".")[-1],
            show(x1) if numeric else labels[int(x1)], show(y1), y1 / y0,
            show(y0), show(x0) if numeric else labels[int(x0)]),
            xy=(x1, y1), xytext=(-12, 18), textcoords="offset points",
            ha="right", fontsize=7, color="C%d" % i,
            arrowprops=dict(arrowstyle="->", color="C%d" % i, lw=0.8))
    if not numeric:
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels)
    ax.set_xlabel(spec["key"])
    ax.set_ylabel(metric)
    ax.set_title(spec.get("title") or "%s: %s vs %s" % (
        spec["scenario"], metric, spec["key"]))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main(argv):
    ap = argparse.ArgumentParser(
        description="Sweep a kvmsim scenario key across values, variants "
        "and seeds; write CSV and a PNG per sweep.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="predefined sweeps:\n" + "\n".join(
            "  %-11s %s: %s over %s..%s, variants %s, metric %s" % (
                n, s["scenario"], s["key"], s["values"][0], s["values"][-1],
                ",".join(s["variants"]), s["metric"])
            for n, s in PREDEFINED.items()))
    ap.add_argument("sweeps", nargs="*", metavar="NAME",
                    help="predefined sweeps to run, or 'all'")
    ap.add_argument("--list", action="store_true",
                    help="list the predefined sweeps")
    ap.add_argument("--kvmsim", default=os.environ.get(
        "KVMSIM", os.path.join(ROOT, "build", "default", "kvmsim")),
        help="the kvmsim binary (default: $KVMSIM or build/default/kvmsim)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "sweeps"),
                    help="output directory (default: build/sweeps)")
    ap.add_argument("--jobs", type=int, default=2,
                    help="parallel kvmsim processes (default: 2)")
    ap.add_argument("--seeds", type=int, default=3,
                    help="seeds per point, 1..N (default: 3)")
    ap.add_argument("--seed-list", help="explicit seeds, e.g. 1,7,9")
    ap.add_argument("--values", help="values: 1,2,5 or A:B[:STEP]; "
                    "overrides a predefined sweep's")
    ap.add_argument("--variants", help="comma-separated variants; "
                    "overrides a predefined sweep's")
    ap.add_argument("--scenario", help="generic sweep: the scenario")
    ap.add_argument("--key", help="generic sweep: the key to vary")
    ap.add_argument("--metric", help="generic sweep: the metric to plot")
    ap.add_argument("--name", help="generic sweep: output name "
                    "(default: SCENARIO-KEY)")
    ap.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="an override for every run; repeatable")
    ap.add_argument("--no-published", action="store_true",
                    help="do not ask `kvmsim compare` for the seed's points "
                    "and overrides")
    args = ap.parse_args(argv)

    if args.list:
        for n, s in PREDEFINED.items():
            print("%-11s %s %s=%s..%s variants=%s metric=%s" % (
                n, s["scenario"], s["key"], s["values"][0], s["values"][-1],
                ",".join(s["variants"]), s["metric"]))
        return 0
    if args.jobs < 1 or args.seeds < 1:
        ap.error("--jobs and --seeds must be at least 1")
    try:
        args.seed_list = ([int(s) for s in args.seed_list.split(",")]
                          if args.seed_list else
                          list(range(1, args.seeds + 1)))
        values = parse_values(args.values) if args.values else None
    except ValueError as e:
        ap.error(str(e))
    if not (os.path.isfile(args.kvmsim) and os.access(args.kvmsim, os.X_OK)):
        found = shutil.which(args.kvmsim)
        if not found:
            ap.error("kvmsim binary '%s' not found (build it, or pass "
                     "--kvmsim PATH)" % args.kvmsim)
        args.kvmsim = found
    variants = args.variants.split(",") if args.variants else None

    jobs = []
    if args.scenario or args.key or args.metric:
        if not (args.scenario and args.key and args.metric and values):
            ap.error("a generic sweep needs --scenario, --key, --values and "
                     "--metric")
        if args.sweeps:
            ap.error("give either predefined sweep names or a generic sweep")
        if not variants:
            ap.error("a generic sweep needs --variants")
        name = args.name or "%s-%s" % (args.scenario,
                                       args.key.replace(".", "_"))
        jobs.append((name, dict(scenario=args.scenario, key=args.key,
                                values=values, variants=variants,
                                metric=args.metric, title=None)))
    else:
        names = args.sweeps or ["all"]
        if "all" in names:
            names = list(PREDEFINED)
        for n in names:
            if n not in PREDEFINED:
                ap.error("unknown sweep '%s' (one of: %s, all)" % (
                    n, ", ".join(PREDEFINED)))
            spec = dict(PREDEFINED[n])
            if values:
                spec["values"] = values
            if variants:
                spec["variants"] = variants
            jobs.append((n, spec))

    rc = 0
    for name, spec in jobs:
        rc = max(rc, sweep(name, spec, args))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
