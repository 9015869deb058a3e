#!/usr/bin/python3
"""bench/time_to_bug.py - seeds and wall seconds to the first failure, per
schedule-dependent defect and per scheduling strategy (driven by
bench/time_to_bug.sh, which documents the flags).

Cases: the demo's lost kick (scenario demo, variant racy) and the
mutants of tests/mutants/ whose catching needs a particular interleaving
(CASES below: the patch, the exploration that reaches it).  Mutants are
applied in a scratch copy of the tree (never in the source tree), built
with gcc -O2 (target kvmsim only), measured and reverted, like
tests/mutants/run.sh.

One measurement: `kvmsim explore SPEC --strategy S --jobs 1` from first
seed F, in chunks of doubling size (8, 16, 32, ... seeds) until a chunk
fails or the cap (seeds or seconds) is reached.  Seeds to the bug = the
first failing seed - F + 1; seconds = the wall time of the chunks before
plus the failing chunk's share up to that seed.  Repetition r starts at
F = 1 + r * 1000003.

The host baseline loops the mechanism's ThreadSanitizer stress test
(tests/tsan_*.c, `tsan` preset build of the scratch tree) until it fails
or --host-secs pass.
"""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import time

# (case, patch or None, explore spec without --strategy/--seeds, host
# test).  A case whose name is in ASAN_CASES is measured on a clang
# ASan+UBSan build (`asan` preset) of the scratch tree: its defect is a use
# after free that no invariant sees in time, only the sanitizer.
ASAN_CASES = {"its_lockless_evict_without_grace"}
CASES = [
    ("demo_lost_kick", None, "demo --variant racy", None),
    ("iobus_coalesced_publish_after_unlock",
     "iobus_coalesced_publish_after_unlock",
     "iobus-200-ioeventfds --variant bsearch", "tsan_iobus"),
    ("iobus_dispatch_unlock_before_fill", "iobus_dispatch_unlock_before_fill",
     "iobus-200-ioeventfds --variant bsearch", "tsan_iobus"),
    ("iobus_unregister_no_grace_period", "iobus_unregister_no_grace_period",
     "iobus-200-ioeventfds --variant bsearch", "tsan_iobus"),
    ("its_lockless_evict_without_grace", "its_lockless_evict_without_grace",
     "its-lpi-storm --variant lockless", "tsan_its"),
    ("its_reclaim_no_grace_period", "its_reclaim_no_grace_period",
     "its-lpi-storm --variant lockless", "tsan_its"),
    ("its_tryget_from_zero", "its_tryget_from_zero",
     "its-lpi-storm --variant lockless", "tsan_its"),
    ("its_set_lpis_invalidate_unlocked", "its_set_lpis_invalidate_unlocked",
     "its-lpi-storm --variant global", "tsan_its"),
    ("msix_disable_fini_before_host_off", "msix_disable_fini_before_host_off",
     "msix-resume-8vf --variant batched", None),
    ("msix_disable_failed_destroys_live_triggers",
     "msix_disable_failed_destroys_live_triggers",
     "msix-resume-8vf --variant per-vector --set vfs=2 --set vectors=9 "
     "--set faults.vfio_set_irqs=0.3", None),
    ("switchover_cancel_leaves_precopy", "switchover_cancel_leaves_precopy",
     "switchover-vfio --set cancel_pct=50", "tsan_switchover"),
    ("virtio_no_post_stop_clear", "virtio_no_post_stop_clear",
     "virtio-blk-mq --variant ioeventfd", None),
    ("virtio_grab_while_stopped_unrecorded",
     "virtio_grab_while_stopped_unrecorded",
     "virtio-blk-mq --variant ioeventfd", None),
]

STRATEGIES = ["time", "random", "pct", "pos", "surw", "portfolio"]
FIRST_SEED_STRIDE = 1000003


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, cwd=None, logf=None, timeout=None):
    out = open(logf, "a") if logf else subprocess.DEVNULL
    try:
        return subprocess.run(cmd, cwd=cwd, stdout=out,
                              stderr=subprocess.STDOUT,
                              timeout=timeout).returncode
    finally:
        if logf:
            out.close()


def first_failing_seed(text):
    seeds = [int(m) for m in re.findall(r"first seed (\d+)", text)]
    return min(seeds) if seeds else None


def measure(kvmsim, spec, strategy, swarm, first, cap_seeds, cap_secs, cwd):
    """(seeds, seconds) to the first failure, or (None, seconds spent)."""
    spent = 0.0
    done = 0
    chunk = 8
    while done < cap_seeds and spent < cap_secs:
        n = min(chunk, cap_seeds - done)
        cmd = [kvmsim, "explore"] + spec.split() + [
            "--strategy", strategy, "--jobs", "1",
            "--first-seed", str(first + done), "--seeds", str(n),
            "--time-budget", "%.2f" % max(cap_secs - spent, 0.05)]
        if swarm:
            cmd.append("--swarm")
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        dt = time.monotonic() - t0
        seed = first_failing_seed(p.stdout) if p.returncode != 0 else None
        if p.returncode == 2:
            raise RuntimeError("explore usage error: %s\n%s" %
                               (" ".join(cmd), p.stdout[-2000:]))
        if seed is not None:
            k = seed - (first + done) + 1
            return done + k, spent + dt * k / n
        spent += dt
        done += n
        chunk *= 2
    return None, spent


def host_baseline(binary, secs, logf):
    """Seconds until the host stress test fails, or None after secs."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        left = secs - (time.monotonic() - t0)
        try:
            rc = run([binary], logf=logf, timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            return None
        if rc != 0:
            return time.monotonic() - t0
    return None


def copy_tree(src, dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
        "build", ".git", "results"))


def configure(srcdir, builddir, logf):
    if os.path.exists(os.path.join(builddir, "build.ninja")):
        return
    cmd = ["cmake", "-S", srcdir, "-B", builddir, "-G", "Ninja",
           "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]
    cmd += ["-DCMAKE_C_COMPILER=gcc",
            "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g"]
    if run(cmd, cwd=srcdir, logf=logf) != 0:
        raise RuntimeError("configure failed, see %s" % logf)


def configure_preset(srcdir, builddir, preset, logf):
    if os.path.exists(os.path.join(builddir, "build.ninja")):
        return
    if run(["cmake", "--preset", preset, "-B", builddir], cwd=srcdir,
           logf=logf) != 0:
        raise RuntimeError("configure (%s) failed, see %s" % (preset, logf))


def build(builddir, targets, jobs, logf):
    cmd = ["cmake", "--build", builddir, "-j", str(jobs), "--target"]
    if run(cmd + targets, logf=logf) != 0:
        raise RuntimeError("build of %s failed, see %s" % (targets, logf))


def patch(srcdir, path, reverse, logf):
    cmd = ["patch", "-p1", "--fuzz=2", "-s", "-i", path]
    if reverse:
        cmd.insert(1, "-R")
    if run(cmd, cwd=srcdir, logf=logf) != 0:
        raise RuntimeError("patch %s%s failed" % ("-R " if reverse else "",
                                                   path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kvmsim", help="use this kvmsim (demo case only)")
    ap.add_argument("--cases", default="")
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cap-seeds", type=int, default=20000)
    ap.add_argument("--cap-secs", type=float, default=20.0)
    ap.add_argument("--host-secs", type=float, default=60.0)
    ap.add_argument("--no-host", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    os.makedirs(a.work, exist_ok=True)
    logf = os.path.join(a.work, "bench.log")
    cases = CASES
    if a.cases:
        want = a.cases.split(",")
        cases = [c for c in CASES if c[0] in want]
    strategies = a.strategies.split(",")
    wsrc = os.path.join(a.work, "src")
    wbuild = os.path.join(a.work, "build")
    tbuild = os.path.join(a.work, "build-tsan")
    abuild = os.path.join(a.work, "build-asan")
    need_tree = any(c[1] for c in cases) or not a.kvmsim
    if need_tree:
        log("time_to_bug: scratch tree %s" % wsrc)
        copy_tree(a.src, wsrc)
        configure(wsrc, wbuild, logf)
        build(wbuild, ["kvmsim"], a.jobs, logf)
        if any(c[0] in ASAN_CASES for c in cases):
            configure_preset(wsrc, abuild, "asan", logf)
    kvmsim = a.kvmsim or os.path.join(wbuild, "kvmsim")
    helptext = subprocess.run([kvmsim, "explore", "--help"],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True).stdout
    swarms = [False, True] if "--swarm" in helptext else [False]
    if len(swarms) == 1:
        log("time_to_bug: kvmsim explore has no --swarm: no swarm column")
    host = not a.no_host and any(c[3] for c in cases) and need_tree
    host_ok = set()
    if host:
        try:
            configure_preset(wsrc, tbuild, "tsan", logf)
        except RuntimeError as e:
            log("time_to_bug: no host baseline (%s)" % e)
            host = False
    if host:
        # A stress test that fails on the unmutated tree would credit the
        # host with every defect: each must pass once before the mutants.
        for htest in sorted({c[3] for c in cases if c[3]}):
            build(tbuild, [htest], a.jobs, logf)
            if run([os.path.join(tbuild, "tests", htest)], logf=logf) == 0:
                host_ok.add(htest)
            else:
                log("time_to_bug: %s fails on the unmutated tree: no host "
                    "baseline from it" % htest)

    csvpath = os.path.join(a.out, "time_to_bug.csv")
    with open(csvpath, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "strategy", "swarm", "rep", "first_seed",
                    "seeds", "seconds", "found"])
        for name, pname, spec, htest in cases:
            ppath = None
            if pname:
                ppath = os.path.join(a.src, "tests", "mutants",
                                     pname + ".patch")
                patch(wsrc, ppath, False, logf)
            try:
                kv = kvmsim
                if name in ASAN_CASES and need_tree:
                    build(abuild, ["kvmsim"], a.jobs, logf)
                    kv = os.path.join(abuild, "kvmsim")
                elif pname:
                    build(wbuild, ["kvmsim"], a.jobs, logf)
                for swarm in swarms:
                    for st in strategies:
                        for r in range(a.reps):
                            first = 1 + r * FIRST_SEED_STRIDE
                            seeds, secs = measure(
                                kv, spec, st, swarm, first,
                                a.cap_seeds, a.cap_secs, a.work)
                            w.writerow([name, st, int(swarm), r, first,
                                        seeds if seeds else "",
                                        "%.4f" % secs, int(bool(seeds))])
                            f.flush()
                            log("  %-44s %-9s%s rep %d: %s" % (
                                name, st, " swarm" if swarm else "", r,
                                "%d seeds, %.3f s" % (seeds, secs)
                                if seeds else "not found in %.1f s" % secs))
                            if not seeds and r == 0:
                                # Not found within the cap: the other
                                # repetitions would only spend the cap.
                                break
                if host and htest in host_ok:
                    build(tbuild, [htest], a.jobs, logf)
                    secs = host_baseline(
                        os.path.join(tbuild, "tests", htest), a.host_secs,
                        logf)
                    w.writerow([name, "host-tsan", 0, 0, "",
                                "", "%.4f" % (secs if secs else
                                              a.host_secs),
                                int(secs is not None)])
                    f.flush()
                    log("  %-44s host-tsan: %s" % (
                        name, "%.2f s" % secs if secs is not None
                        else "not found in %.0f s" % a.host_secs))
            finally:
                if ppath:
                    patch(wsrc, ppath, True, logf)
    log("time_to_bug: wrote %s" % csvpath)


if __name__ == "__main__":
    main()
