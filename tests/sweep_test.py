#!/usr/bin/env python3
"""tests/sweep_test.py - scenarios/sweep.py in a tiny configuration (2
values, 1 seed): the CSV files hold one row per point and per run, the
seed's published points come from `kvmsim compare --report` with their
roles, and a run with the comparison's overrides reproduces the
comparison's model figure; the log-axis choice (more than two decades) and
the cliff finder on numbers.  The PNG is checked when matplotlib is
importable, and its absence must be reported, not fatal.

Usage: sweep_test.py KVMSIM_BINARY SRCDIR
"""

import csv
import math
import os
import subprocess
import sys
import tempfile

FAILS = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok  " if ok else "FAIL", name,
                       (": " + detail) if detail and not ok else ""))
    if not ok:
        FAILS.append(name)


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def sweep(src, kvmsim, out, *args):
    cmd = [sys.executable, os.path.join(src, "scenarios", "sweep.py"),
           "--kvmsim", kvmsim, "--out", out] + list(args)
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def axis_and_cliff_checks(src):
    """sweep.py's log-axis choice, cliff finder and error format, on
    numbers (no runs)."""
    sys.path.insert(0, os.path.join(src, "scenarios"))
    import sweep as sw
    check("log_axis_three_decades", sw.log_axis([1, 2, 5, 1000]))
    check("log_axis_two_decades_linear", not sw.log_axis([1, 50, 100]))
    check("log_axis_zero_or_negative_linear",
          not sw.log_axis([0, 1, 1e6]) and not sw.log_axis([-5, 1e6]))
    check("log_axis_skips_missing", sw.log_axis([None, 1.5, 6000]))
    # The lpi-storm global row (3 seeds): 11 us at 9 NICs, 65 at 10, 906
    # at 11; the cliff is the first step to 3x, at 10.
    glob = [(7, 4.88), (8, 6.50), (9, 11.12), (10, 65.38), (11, 906.5),
            (12, 1917.0)]
    got = sw.cliff(glob)
    check("cliff_global_saturates_at_10", got is not None and
          got[0] == 10 and got[2] == 9, got)
    # Quadratic growth is no cliff, even where it triples (1 -> 2).
    quad = [(x, 7.0 * x * x - 4.0 * x + 4.0) for x in range(1, 33)]
    check("cliff_none_for_quadratic", sw.cliff(quad) is None,
          sw.cliff(quad))
    check("cliff_none_for_flat", sw.cliff([(1, 1.8), (16, 1.94)]) is None)
    check("pct_never_minus_zero",
          sw.pct(1.7659, 1.766) == "+0.0%" and
          sw.pct(16.29, 21) == "-22.4%", sw.pct(1.7659, 1.766))


def main(argv):
    kvmsim, src = os.path.abspath(argv[1]), argv[2]
    axis_and_cliff_checks(src)
    with tempfile.TemporaryDirectory(prefix="kvmsim-sweep-test-") as out:
        # A predefined sweep cut down to 2 values and 1 seed.
        p = sweep(src, kvmsim, out, "devices", "--values", "1,4",
                  "--seeds", "1")
        check("sweep_devices_two_values_exits_0", p.returncode == 0,
              p.stderr)
        summary = rows(os.path.join(out, "devices.csv"))
        runs = rows(os.path.join(out, "devices_runs.csv"))
        check("sweep_devices_summary_has_value_x_variant_rows",
              sorted((r["value"], r["variant"]) for r in summary) ==
              [("1", "parallel"), ("1", "serial"), ("4", "parallel"),
               ("4", "serial")], str(summary))
        check("sweep_devices_runs_csv_one_ok_row_per_run",
              len(runs) == 4 and all(r["result"] == "ok" for r in runs) and
              all(r["seed"] == "1" for r in runs), str(runs))
        check("sweep_devices_mean_is_the_single_run",
              all(r["mean"] == r["min"] == r["max"] and r["seeds"] == "1"
                  for r in summary))
        down = {(r["value"], r["variant"]): float(r["mean"])
                for r in summary}
        check("sweep_devices_parallel_below_serial_at_4",
              down[("4", "parallel")] < down[("4", "serial")], str(down))
        check("sweep_devices_no_published_points",
              all(r["published"] == "" for r in summary))
        check("sweep_progress_on_stderr", "4/4" in p.stderr, p.stderr)

        # Generic mode on seed 004: published points and the comparison's
        # overrides.
        p = sweep(src, kvmsim, out, "--scenario", "iobus-200-ioeventfds",
                  "--key", "workload.ioeventfds", "--values", "1,200",
                  "--variants", "linear,bsearch", "--metric", "exits_per_s",
                  "--seeds", "1", "--name", "iobus")
        check("sweep_generic_iobus_exits_0", p.returncode == 0, p.stderr)
        summary = {(r["value"], r["variant"]): r
                   for r in rows(os.path.join(out, "iobus.csv"))}
        lin, bs = summary[("200", "linear")], summary[("200", "bsearch")]
        check("sweep_generic_published_roles_from_compare",
              lin["published_role"] == "fitted" and
              bs["published_role"] == "predicted" and
              summary[("1", "linear")]["published"] == "",
              str(summary))
        # The seed's figures as published (model/seeds.h).
        check("sweep_generic_published_figures",
              float(lin["published"]) == 259000 and
              float(bs["published"]) == 274000, str(lin) + str(bs))
        for r in (lin, bs):
            m, c = float(r["mean"]), float(r["compare_model"])
            check("sweep_generic_%s_run_reproduces_compare" % r["variant"],
                  math.isclose(m, c, rel_tol=1e-9), "%r vs %r" % (m, c))
        check("sweep_generic_linear_slower_with_more_ioeventfds",
              float(summary[("1", "linear")]["mean"]) > float(lin["mean"]))

        png = os.path.join(out, "iobus.png")
        if have_matplotlib():
            with open(png, "rb") as f:
                check("sweep_png_written", f.read(8) == b"\x89PNG\r\n\x1a\n")
        else:
            print("skip sweep_png_written: matplotlib not importable by %s"
                  % sys.executable)
            check("sweep_without_matplotlib_says_plot_skipped",
                  "plot skipped" in p.stdout and not os.path.exists(png),
                  p.stdout)

        # Usage errors.
        p = sweep(src, kvmsim, out, "no-such-sweep")
        check("sweep_unknown_name_exits_2", p.returncode == 2, p.stderr)
        p = sweep(src, kvmsim, out, "--scenario", "demo", "--key", "items")
        check("sweep_generic_incomplete_exits_2", p.returncode == 2,
              p.stderr)
        p = sweep(src, kvmsim, out, "devices", "--values", "1",
                  "--seeds", "1", "--set", "workload.nosuchkey=1")
        check("sweep_failing_runs_exit_1", p.returncode == 1, p.stderr)

    print("sweep: %d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
