#!/usr/bin/env python3
"""tests/trace_view_test.py - scripts/trace_view.py draws every slice.

layout(): a slice at least a pixel wide is drawn as it is; narrower ones
are widened to MIN_PX, and a run of them closer than a pixel merges into
one band with its count and main operation; every slice of the window is
accounted for once, whatever the input order.  Then a PNG of a synthetic
trace (matplotlib): an operation whose slices are all under a pixel wide,
like the demo's `drain`, shows in its colour.

Usage: trace_view_test.py SRCDIR.  Exit 77 (skipped) after the layout
checks when matplotlib is not importable.
"""

import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile

FAILS = []


def check(name, ok, detail=""):
    print("%s %s%s" % ("ok  " if ok else "FAIL", name,
                       (": " + str(detail)) if not ok else ""))
    if not ok:
        FAILS.append(name)


def load_view(src):
    path = os.path.join(src, "scripts", "trace_view.py")
    spec = importlib.util.spec_from_file_location("trace_view", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, path


def span(name, ts, dur, tid=1):
    return {"ph": "X", "pid": 2, "tid": tid, "name": name, "ts": ts,
            "dur": dur}


def marks_of(tv, spans, lo, hi, us_per_px):
    depth = tv.nesting(spans)
    return tv.layout(spans, depth, lo, hi, us_per_px)


def layout_checks(tv):
    # 1 us per pixel.  A 10 us slice; 100 slices of 0.1 us, 0.05 us apart
    # (one run); a lone 0.2 us slice; a 3 us slice.
    spans = [span("work", 0.0, 10.0)]
    spans += [span("tick" if i % 4 else "drain", 20.0 + 0.15 * i, 0.1)
              for i in range(100)]
    spans += [span("drain", 60.0, 0.2), span("work", 70.0, 3.0)]
    m = marks_of(tv, spans, 0.0, 100.0, 1.0)
    row = m[((2, 1), 0)]
    got = [(round(a, 3), round(w, 3), n, name, band)
           for a, w, name, n, _, band in row]
    want = [(0.0, 10.0, 1, "work", False),
            (20.0, round(0.15 * 99 + 0.1, 3), 100, "tick", True),
            (60.0, tv.MIN_PX, 1, "drain", True),
            (70.0, 3.0, 1, "work", False)]
    check("layout_wide_slices_exact_narrow_run_one_band", got == want,
          "got %s, want %s" % (got, want))
    check("layout_band_names_every_operation_in_it",
          row[1][4] == ("drain", "tick"), row[1][4])
    check("layout_counts_every_slice_once",
          sum(mk[3] for mk in row) == len(spans),
          "%d vs %d" % (sum(mk[3] for mk in row), len(spans)))

    # Input order does not matter (the same picture on every render).
    shuffled = list(spans)
    random.Random(7).shuffle(shuffled)
    m2 = marks_of(tv, shuffled, 0.0, 100.0, 1.0)
    check("layout_independent_of_input_order", m2 == m,
          "%s vs %s" % (m2, m))

    # A gap of a pixel or more ends a run.
    spans = [span("drain", 0.0, 0.3), span("drain", 0.5, 0.3),
             span("drain", 2.0, 0.3)]
    row = marks_of(tv, spans, 0.0, 10.0, 1.0)[((2, 1), 0)]
    check("layout_gap_of_a_pixel_splits_bands",
          [(mk[0], mk[3]) for mk in row] == [(0.0, 2), (2.0, 1)],
          [(mk[0], mk[3]) for mk in row])
    check("layout_band_at_least_min_px",
          all(mk[1] >= tv.MIN_PX * 1.0 for mk in row), row)

    # Nested slices go to their own lanes; a slice cut by the window is
    # drawn from the window's edge.
    spans = [span("outer", 0.0, 50.0), span("inner", 10.0, 0.5),
             span("inner", 11.0, 0.5)]
    m = marks_of(tv, spans, 5.0, 40.0, 1.0)
    check("layout_nested_lane_and_window_cut",
          [(mk[0], mk[1], mk[3]) for mk in m[((2, 1), 0)]] ==
          [(5.0, 35.0, 1)] and
          [(mk[0], mk[3]) for mk in m[((2, 1), 1)]] == [(10.0, 2)], m)


def png_checks(path, tmp):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import importlib
    tv = importlib.import_module("trace_view")

    # 2000 us on ~900 px: 'drain' slices of 0.2 us (a tenth of a pixel),
    # between waits of 40 us, as the demo's iothread does.
    ev = [{"ph": "M", "pid": 2, "tid": 1, "name": "thread_name",
           "args": {"name": "iothread"}}]
    t = 0.0
    while t < 2000.0:
        ev.append(span("wait: kick", t, 40.0))
        ev.append(span("drain", t + 40.0, 0.2))
        t += 40.2
    trace = os.path.join(tmp, "t.json")
    with open(trace, "w") as f:
        json.dump({"traceEvents": ev}, f)
    png = os.path.join(tmp, "t.png")
    p = subprocess.run([sys.executable, path, trace, "--png", png],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    check("png_written", p.returncode == 0 and os.path.exists(png),
          p.stderr)
    if p.returncode != 0:
        return
    import numpy
    img = mpimg.imread(png)[:, :, :3]
    want = numpy.array(tv.name_colour("drain"))
    near = int((numpy.abs(img - want) < 0.03).all(axis=2).sum())
    # 50 drains, each 1.5 px by the bar's height, come to some 4700
    # pixels; painted over by their neighbours' white edges (the old
    # drawing) they came to about 150.
    check("png_drain_slices_under_a_pixel_show", near > 1500,
          "%d pixels of drain's colour" % near)
    check("png_summary_counts_narrow_slices",
          "under a pixel" in p.stdout, p.stdout)


def main(argv):
    src = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..")
    tv, path = load_view(src)
    layout_checks(tv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("skip png checks: matplotlib not importable by %s"
              % sys.executable)
        print("trace_view: %d failed" % len(FAILS))
        return 1 if FAILS else 77
    sys.path.insert(0, os.path.dirname(path))
    with tempfile.TemporaryDirectory(prefix="kvmsim-trace-view-") as tmp:
        png_checks(path, tmp)
    print("trace_view: %d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
