#!/usr/bin/env python3
"""Run hyperfine in interleaved rounds and merge the results into one JSON.

A plain `hyperfine A B --runs N` does all N runs of A, then all N runs of B.
On a shared or virtualised machine a burst of foreign disk or CPU load then
lands on one side only, which for multi-second, fsync-bound commands can move
the A/B ratio by 2x. This driver calls hyperfine once per round with
`--runs K` for every command, alternating the order of the commands from one
round to the next (A B, B A, A B, ...), so both sides sample the same periods.

Usage:
  hf_rounds.py --export-json OUT --rounds R [--runs-per-round K] [--warmup W]
               [--no-shell] --cmd NAME PREPARE COMMAND [--cmd ...]

PREPARE may be "" (none). --warmup applies to the first round only. OUT has
hyperfine's layout ({"results": [{"command": NAME, "times": [...], ...}]},
times in seconds, all rounds concatenated in run order) plus a "cairn_bench"
object with the rounds and the 1-minute load average seen before each round.
hyperfine's own output goes to stderr. Standard library only.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--export-json", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--runs-per-round", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--no-shell", action="store_true", help="pass -N to hyperfine")
    ap.add_argument("--cmd", nargs=3, action="append", metavar=("NAME", "PREPARE", "COMMAND"),
                    required=True)
    args = ap.parse_args()
    if args.rounds < 1 or args.runs_per_round < 1:
        sys.exit("hf_rounds: --rounds and --runs-per-round must be at least 1")

    names = [c[0] for c in args.cmd]
    merged = {n: {"times": [], "user": [], "system": [], "exit_codes": []} for n in names}
    loadavg = []
    with tempfile.TemporaryDirectory(prefix="hf_rounds.") as tmp:
        for rnd in range(args.rounds):
            order = args.cmd if rnd % 2 == 0 else list(reversed(args.cmd))
            loadavg.append(round(os.getloadavg()[0], 2))
            out = os.path.join(tmp, "round%d.json" % rnd)
            argv = ["hyperfine", "--style", "basic", "--runs", str(args.runs_per_round),
                    "--export-json", out]
            if args.no_shell:
                argv.append("-N")
            if rnd == 0 and args.warmup > 0:
                argv += ["--warmup", str(args.warmup)]
            # Either one --prepare per command, or none at all.
            if any(c[1] for c in order):
                for name, prepare, command in order:
                    argv += ["--prepare", prepare or "true"]
            for name, prepare, command in order:
                argv += ["-n", name, command]
            print("hf_rounds: round %d/%d (%s), load %.2f" % (
                rnd + 1, args.rounds, " then ".join(c[0] for c in order), loadavg[-1]),
                file=sys.stderr, flush=True)
            subprocess.run(argv, check=True, stdout=sys.stderr)
            with open(out, encoding="utf-8") as f:
                for r in json.load(f)["results"]:
                    m = merged[r["command"]]
                    m["times"] += r["times"]
                    # hyperfine 1.15 reports user/system as means per command.
                    m["user"] += [r["user"]] * len(r["times"])
                    m["system"] += [r["system"]] * len(r["times"])
                    m["exit_codes"] += r.get("exit_codes") or [0] * len(r["times"])

    results = []
    for n in names:
        t = merged[n]["times"]
        results.append({
            "command": n,
            "mean": statistics.mean(t),
            "stddev": statistics.stdev(t) if len(t) > 1 else None,
            "median": statistics.median(t),
            "user": statistics.mean(merged[n]["user"]),
            "system": statistics.mean(merged[n]["system"]),
            "min": min(t),
            "max": max(t),
            "times": t,
            "exit_codes": merged[n]["exit_codes"],
        })
    with open(args.export_json, "w", encoding="utf-8") as f:
        json.dump({"results": results,
                   "cairn_bench": {"driver": "bench/hf_rounds.py", "rounds": args.rounds,
                                   "runs_per_round": args.runs_per_round,
                                   "warmup_first_round": args.warmup,
                                   "order": "alternating",
                                   "loadavg_1min_before_each_round": loadavg}},
                  f, indent=2)
        f.write("\n")
    for r in results:
        print("hf_rounds: %-45s median %.4f s over %d runs" % (
            r["command"], r["median"], len(r["times"])), file=sys.stderr)


if __name__ == "__main__":
    main()
