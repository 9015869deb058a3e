#!/usr/bin/env python3
"""scripts/trace_view.py - a quick look at a kvmsim --trace file.

kvmsim writes Chrome Trace Event JSON (open it in https://ui.perfetto.dev).
This script gives the same picture without a browser:

  trace_view.py TRACE.json                 per-track summary on stdout
  trace_view.py TRACE.json --png OUT.png   timeline: one row per simulated
                                           CPU and thread, spans coloured by
                                           operation, counters below, the
                                           failed invariant as a red line
  --from US --to US                        only this window of virtual time
  --last US                                only the last US microseconds
                                           (the lead-up to a failure)
  --match OTHER.json                       the window ends where the later
                                           of the two traces ends: two
                                           pictures on one time axis

Every slice is drawn: one narrower than a pixel is widened to 1.5 px, and
a run of them (gaps under a pixel) is merged into one band, coloured by
the operation with the most time in it and, when wide enough, labelled
with its count.  Nested rows are labelled with the operations they hold;
a slice wide enough carries its name.

Standard library only; the PNG needs matplotlib (Debian's
python3-matplotlib, seen by /usr/bin/python3).
"""
import argparse
import json
import colorsys
import hashlib
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("trace_view: %s: %s" % (path, e))
    events = doc.get("traceEvents", []) if isinstance(doc, dict) else doc
    names = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    return events, names


def trace_end(events):
    ends = [e["ts"] + e.get("dur", 0) for e in events if "ts" in e]
    return max(ends) if ends else 0.0


def window(events, args):
    end = trace_end(events)
    for other in args.match or []:
        end = max(end, trace_end(load(other)[0]))
    lo = args.start if args.start is not None else 0.0
    hi = args.end if args.end is not None else end
    if args.last is not None:
        lo = max(0.0, hi - args.last)
    return lo, hi


def track_label(key, names):
    pid, tid = key
    name = names.get(key, "tid %d" % tid)
    return name if pid == 1 else "%s [%d]" % (name, tid)


def summary(events, names, lo, hi):
    busy = {}
    count = {}
    for e in events:
        if e.get("ph") != "X":
            continue
        a, b = max(lo, e["ts"]), min(hi, e["ts"] + e["dur"])
        if b < a:
            continue
        key = (e["pid"], e["tid"])
        busy.setdefault(key, {})
        busy[key][e["name"]] = busy[key].get(e["name"], 0.0) + (b - a)
        count[(key, e["name"])] = count.get((key, e["name"]), 0) + 1
    print("window %.3f .. %.3f us" % (lo, hi))
    for key in sorted(busy):
        print("%s" % track_label(key, names))
        for name, t in sorted(busy[key].items(), key=lambda kv: -kv[1]):
            print("  %-28s %10.3f us  %6d spans" % (name, t, count[(key, name)]))
    for e in events:
        if e.get("cat") == "invariant":
            print("invariant %s failed at %.3f us: %s"
                  % (e["name"], e["ts"],
                     e.get("args", {}).get("message", "(no message)")))
        elif e.get("cat") == "trace" and e.get("name") == "trace truncated":
            a = e.get("args", {})
            print("trace truncated at %.3f us: %s events written, %s left out"
                  % (e["ts"], a.get("events_written", "?"),
                     a.get("events_not_written", "?")))


MAX_LANES = 6


def end_ns(e):
    """A span's end in whole ns (the JSON holds us with 3 decimals; adding
    the floats would put equal ends a rounding error apart)."""
    return round(e["ts"] * 1000) + round(e["dur"] * 1000)


def name_colour(name):
    """A colour from the name alone: hue from one hash, shade from another."""
    h = hashlib.sha1(name.encode()).digest()
    return colorsys.hsv_to_rgb(h[0] / 256.0, 0.45 + 0.4 * h[1] / 255.0,
                               0.6 + 0.35 * h[2] / 255.0)


def nesting(spans):
    """Depth of each span inside the spans of its own track (Perfetto
    stacks nested slices the same way)."""
    depth = {}
    by_track = {}
    for i, e in enumerate(spans):
        by_track.setdefault((e["pid"], e["tid"]), []).append((i, e))
    for track in by_track.values():
        # kvmsim emits a span when it ends, so of two spans with the same
        # interval the later one is the outer one.
        track.sort(key=lambda ie: (ie[1]["ts"], -ie[1]["dur"], -ie[0]))
        stack = []
        for _, e in track:
            while stack and end_ns(stack[-1]) <= round(e["ts"] * 1000):
                stack.pop()
            depth[id(e)] = len(stack)
            stack.append(e)
    return depth


DPI = 110
MIN_PX = 1.5   # narrowest mark drawn, in pixels
LABEL_PX = 60  # a slice this wide carries its name


def layout(spans, depth, lo, hi, us_per_px, min_px=MIN_PX):
    """What to draw on each lane (track, depth): a list of marks
    (start, width, name, count, names, band), in time order.

    A slice at least one pixel wide is drawn as it is (count 1, band
    False).  Slices
    narrower than a pixel are never dropped: a run of them with gaps under
    a pixel between them becomes one band from the first start to the last
    end, at least min_px wide (band True, also for a lone narrow slice),
    coloured by the name that holds the most time in it; count says how
    many slices it stands for and names every name in it."""
    lanes = {}
    for e in spans:
        d = depth[id(e)]
        if d >= MAX_LANES:
            continue
        a = max(lo, e["ts"])
        b = min(hi, e["ts"] + e["dur"])
        lanes.setdefault(((e["pid"], e["tid"]), d), []).append(
            (a, b, e["name"]))
    out = {}
    for lane, items in lanes.items():
        items.sort(key=lambda it: (it[0], it[1], it[2]))
        marks = []
        band = None  # [start, end, {name: time}, count]

        def close():
            if band is None:
                return
            a, b, time, n = band
            name = sorted(time.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            marks.append((a, max(b - a, min_px * us_per_px), name, n,
                          tuple(sorted(time)), True))

        for a, b, name in items:
            if b - a >= us_per_px:
                close()
                band = None
                marks.append((a, b - a, name, 1, (name,), False))
                continue
            if band is not None and a - band[1] < us_per_px:
                band[1] = max(band[1], b)
                band[2][name] = band[2].get(name, 0.0) + (b - a)
                band[3] += 1
            else:
                close()
                band = [a, b, {name: b - a}, 1]
        close()
        out[lane] = marks
    return out


def lane_label(names_by_time):
    """A nested row's label: its names by time spent, at most two."""
    names = [n for n, _ in names_by_time]
    text = ", ".join(names[:2])
    if len(names) > 2:
        text += " +%d" % (len(names) - 2)
    return text


def plot(events, names, lo, hi, out, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("trace_view: matplotlib is not importable by %s "
                 "(try /usr/bin/python3)" % sys.executable)
    spans = [e for e in events if e.get("ph") == "X"
             and e["ts"] <= hi and e["ts"] + e["dur"] >= lo]
    keys = sorted({(e["pid"], e["tid"]) for e in spans})
    counters = {}
    for e in events:
        if e.get("ph") == "C" and lo <= e["ts"] <= hi:
            for k, v in e["args"].items():
                counters.setdefault(e["name"] if k == "value" else
                                    "%s.%s" % (e["name"], k), []).append(
                                        (e["ts"], v))
    ops = sorted({e["name"] for e in spans})
    # Colour by a hash of the name, so one operation has one colour in
    # every picture (two runs side by side compare at a glance).
    colour = {n: name_colour(n) for n in ops}
    depth = nesting(spans)
    lanes = {k: 1 + max(depth[id(e)] for e in spans
                        if (e["pid"], e["tid"]) == k) for k in keys}
    nrows = 2 if counters else 1
    height = sum(min(lanes[k], MAX_LANES) for k in keys)
    fig, axes = plt.subplots(
        nrows, 1, sharex=True, squeeze=False, dpi=DPI,
        figsize=(13, 1.4 + 0.32 * height + (2.2 if counters else 0)),
        gridspec_kw={"height_ratios": [max(1, height), 5][:nrows]})
    ax = axes[0][0]
    base = {}
    y = 0
    for key in keys:
        base[key] = y
        y += min(lanes[key], MAX_LANES)
    # Row labels: the track's name on its first row; a nested row names
    # the operations drawn in it.
    time_at = {}
    for e in spans:
        d = depth[id(e)]
        if d >= MAX_LANES:
            continue
        t = min(hi, e["ts"] + e["dur"]) - max(lo, e["ts"])
        row = time_at.setdefault(((e["pid"], e["tid"]), d), {})
        row[e["name"]] = row.get(e["name"], 0.0) + t
    ticks, labels = [], []
    for key in keys:
        for d in range(min(lanes[key], MAX_LANES)):
            ticks.append(base[key] + d + 0.5)
            if d == 0:
                labels.append(track_label(key, names))
            else:
                byt = sorted(time_at.get((key, d), {}).items(),
                             key=lambda kv: (-kv[1], kv[0]))
                labels.append("%s%s" % ("  " * d, lane_label(byt)))
    for key in keys[1:]:
        ax.axhline(base[key], color="0.75", linewidth=0.6)
    for e in events:
        if e.get("cat") == "invariant":
            for a in axes[:, 0]:
                a.axvline(e["ts"], color="red", linewidth=1.5)
            ax.text(e["ts"], 0, " invariant %s failed" % e["name"],
                    color="red", va="top", ha="right", fontsize=8)
    ax.set_ylim(y, 0)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_title(title, fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[n]) for n in ops]
    ax.legend(handles, ops, fontsize=7, loc="upper left",
              bbox_to_anchor=(1.005, 1.0), frameon=False)
    if counters:
        cax = axes[1][0]
        for name, pts in sorted(counters.items()):
            xs = [p[0] for p in pts] + [hi]
            ys = [p[1] for p in pts] + [pts[-1][1]]
            cax.step(xs, ys, where="post", label=name)
        cax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                   frameon=False)
        cax.set_ylabel("counter", fontsize=8)
    axes[-1][0].set_xlabel("virtual time, us")
    axes[-1][0].set_xlim(lo, hi)
    # Fixed margins, not a layout fitted to the labels: two pictures of one
    # width put the same time at the same pixel.
    fig_h = fig.get_size_inches()[1]
    fig.subplots_adjust(left=0.2, right=0.8, top=1 - 0.45 / fig_h,
                        bottom=0.6 / fig_h, hspace=0.6 / fig_h * 2)
    # The slices are laid out at the pixel size of the finished axes.
    width_px = max(1.0, ax.get_window_extent().width)
    us_per_px = (hi - lo) / width_px if hi > lo else 1.0
    marks = layout(spans, depth, lo, hi, us_per_px)
    narrow_n = bands = merged = 0
    for (key, d), row in sorted(marks.items()):
        ybar = (base[key] + d + 0.08, 0.84)
        wide = [(m[0], m[1]) for m in row if not m[5]]
        wide_c = [colour[m[2]] for m in row if not m[5]]
        narrow = [m for m in row if m[5]]
        if wide:
            # A thin white edge parts neighbouring slices; it is drawn
            # only on slices wide enough to keep their colour under it.
            edge = ["white" if w >= 4 * us_per_px else c
                    for (a, w), c in zip(wide, wide_c)]
            ax.broken_barh(wide, ybar, facecolors=wide_c, edgecolors=edge,
                           linewidth=0.3)
        # Bands and slices under a pixel go on top, never painted over.
        for a, w, name, n, _, _ in narrow:
            ax.broken_barh([(a, w)], ybar, facecolors=colour[name],
                           edgecolor="none", linewidth=0)
            narrow_n += n
            if n > 1:
                bands += 1
                merged += n
                if w >= LABEL_PX * us_per_px:
                    ax.text(a + w / 2, base[key] + d + 0.5, "%d slices" % n,
                            ha="center", va="center", fontsize=6,
                            color="black")
        for a, w, name, _, _, band in row:
            if not band and w >= LABEL_PX * us_per_px and \
                    w >= 6.5 * len(name) * us_per_px:
                ax.text(a + w / 2, base[key] + d + 0.5, name, ha="center",
                        va="center", fontsize=6, color="white",
                        clip_on=True)
    fig.savefig(out, dpi=DPI)
    print("wrote %s (%d spans on %d tracks; %d under a pixel, drawn at "
          "least %.1f px wide, %d of them merged into %d bands)"
          % (out, len(spans), len(keys), narrow_n, MIN_PX, merged, bands))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("--png", help="write a timeline image here")
    ap.add_argument("--from", dest="start", type=float, help="window start, us")
    ap.add_argument("--to", dest="end", type=float, help="window end, us")
    ap.add_argument("--last", type=float, help="only the last US microseconds")
    ap.add_argument("--match", action="append", metavar="OTHER.json",
                    help="end the window at the later end of this trace and "
                    "OTHER (repeatable), so pictures of two runs share "
                    "their time axis")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    events, names = load(args.trace)
    lo, hi = window(events, args)
    if args.png:
        plot(events, names, lo, hi, args.png, args.title or args.trace)
    else:
        summary(events, names, lo, hi)


if __name__ == "__main__":
    main()
