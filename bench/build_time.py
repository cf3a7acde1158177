#!/usr/bin/env python3
"""Cold build time of what the README's demo command builds, now against before.

Each run configures a fresh build directory and builds one target from
nothing (ccache off), as on a fresh machine:
  before: the demo's configuration before issue 19's build work: full debug
          information (-g), every file its own unit, the test targets
          configured (CAIRN_FULL_DEBUG_INFO=ON, CAIRN_UNITY_BUILD=OFF,
          CAIRN_BUILD_TESTS=ON);
  now:    what scripts/demo.sh configures (line tables, unity builds for the
          CLI, no test targets).
The two alternate within each round (before/now, then now/before, ...), so
both sample the same periods of a shared machine. Reported per side: the
median wall time of configure + build, the median CPU time (user + system
of every process), and the largest peak RSS of any one process (a compiler
on a unit). Standard library only.

Usage: bench/build_time.py [--rounds 2] [--target campus_migrate] [--jobs N]
"""
import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIGS = {
    "before": ["-DCAIRN_FULL_DEBUG_INFO=ON", "-DCAIRN_UNITY_BUILD=OFF", "-DCAIRN_BUILD_TESTS=ON"],
    "now": ["-DCAIRN_BUILD_TESTS=OFF"],
}


def run_once(flags, target, jobs):
    env = dict(os.environ, CCACHE_DISABLE="1")
    env.pop("CMAKE_CXX_COMPILER_LAUNCHER", None)
    env.pop("CMAKE_C_COMPILER_LAUNCHER", None)
    build = tempfile.mkdtemp(prefix="cairn-build-time-")
    try:
        configure = ["cmake", "-S", ROOT, "-B", build, "-G", "Ninja",
                     "-DCMAKE_BUILD_TYPE=RelWithDebInfo"] + flags
        compile_ = ["cmake", "--build", build, "-j", str(jobs), "--target", target]
        script = " && ".join(shlex.join(c) for c in (configure, compile_))
        t0 = time.monotonic()
        p = subprocess.Popen(["/bin/sh", "-c", script], env=env, stdout=subprocess.DEVNULL)
        # wait4 on the one child: its rusage covers every process below it
        # (CPU summed, ru_maxrss the largest single process, in KiB).
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            sys.exit(f"build_time: the build failed ({' '.join(flags)})")
        return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0
    finally:
        shutil.rmtree(build, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--target", default="campus_migrate")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    results = {name: [] for name in CONFIGS}
    peak = {name: 0.0 for name in CONFIGS}  # MiB, the largest of the runs
    names = list(CONFIGS)
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            load = os.getloadavg()[0]
            wall, cpu, rss = run_once(CONFIGS[name], args.target, args.jobs)
            peak[name] = max(peak[name], rss)
            results[name].append((wall, cpu))
            print(f"round {r + 1} {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, "
                  f"load {load:.1f}", file=sys.stderr, flush=True)
    med = {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for n, v in results.items()}
    print(f"| `{args.target}`, cold, -j{args.jobs} | before | now | now/before |")
    print("|---|---|---|---|")
    print(f"| wall, configure + build (median of {args.rounds}) | {med['before'][0]:.0f} s | "
          f"{med['now'][0]:.0f} s | {med['now'][0] / med['before'][0]:.2f}x |")
    print(f"| CPU, user + system (median) | {med['before'][1]:.0f} s | {med['now'][1]:.0f} s | "
          f"{med['now'][1] / med['before'][1]:.2f}x |")
    print(f"| peak RSS of the largest process (max) | {peak['before']:.0f} MiB | "
          f"{peak['now']:.0f} MiB | {peak['now'] / peak['before']:.2f}x |")


if __name__ == "__main__":
    main()
