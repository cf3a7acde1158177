#!/usr/bin/env python3
"""Markdown report of bench/diff.sh from the files in OUT (bench/out/diff).

  diff_report.py OUT

Reads inproc.json and load.json (Google Benchmark), catalog.json and
e2e.json (hf_rounds.py), machine.txt. Medians throughout. Standard library.
"""
import json
import os
import statistics
import sys


def gbench(path):
    """name -> {real, cpu, min, max, n, counters} in ms, from repetitions."""
    out = {}
    if not os.path.exists(path):
        return out
    for b in json.load(open(path))["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"].split("/iterations:")[0]
        scale = {"ms": 1.0, "us": 1e-3, "ns": 1e-6, "s": 1e3}[b["time_unit"]]
        e = out.setdefault(name, {"real": [], "cpu": [], "counters": {}})
        e["real"].append(b["real_time"] * scale)
        e["cpu"].append(b["cpu_time"] * scale)
        for k in ("tables", "up_steps", "down_steps"):
            if k in b:
                e["counters"][k] = int(b[k])
    return out


def hyper(path):
    if not os.path.exists(path):
        return {}
    return {r["command"]: [t * 1000 for t in r["times"]] for r in json.load(open(path))["results"]}


def fmt(ms):
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms"


def main():
    out = sys.argv[1]
    g = gbench(os.path.join(out, "inproc.json"))
    g.update(gbench(os.path.join(out, "load.json")))
    med = {k: statistics.median(v["real"]) for k, v in g.items()}
    cpu = {k: statistics.median(v["cpu"]) for k, v in g.items()}
    print("#### In-process (cairn_schema_bench), median of repetitions\n")
    print("| operation | runs | median wall | min - max | median CPU of this process |")
    print("| --- | --- | --- | --- | --- |")
    for k in ("introspect/live", "introspect/desired", "diff/up+down", "canonical/live",
              "load/scratch"):
        if k not in g:
            continue
        v = g[k]
        print(f"| {k} | {len(v['real'])} | {fmt(med[k])} | {fmt(min(v['real']))} - "
              f"{fmt(max(v['real']))} | {fmt(cpu[k])} |")
    counters = {}
    for v in g.values():
        counters.update(v["counters"])
    if counters:
        print("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counters.items())))
    if "introspect/live" in med and "diff/up+down" in med:
        live, d = med["introspect/live"], med["diff/up+down"]
        des = med.get("introspect/desired", live)
        total = live + des + d
        print("\n#### Target: introspect and diff under 2 s\n")
        print("| part | median | share |")
        print("| --- | --- | --- |")
        print(f"| catalog queries, live database | {fmt(live)} | {live / total:.0%} |")
        print(f"| catalog queries, desired schema's database | {fmt(des)} | {des / total:.0%} |")
        print(f"| diff, up and down | {fmt(d)} | {d / total:.0%} |")
        verdict = "met" if total < 2000 else "**missed**"
        print(f"| **total** | **{fmt(total)}** | {verdict} |")
    hc = hyper(os.path.join(out, "catalog.json"))
    he = hyper(os.path.join(out, "e2e.json"))
    for title, h, base in (
            ("Whole processes: reading the catalog (hyperfine, interleaved rounds)", hc,
             "pg_dump --schema-only"),
            ("Whole processes: `cairn diff --schema` end to end", he,
             "psql -f desired.sql into a fresh database")):
        if not h:
            continue
        print(f"\n#### {title}\n")
        print("| command | runs | median | min - max | ratio to baseline |")
        print("| --- | --- | --- | --- | --- |")
        b = statistics.median(h[base]) if base in h else None
        for k, t in h.items():
            m = statistics.median(t)
            ratio = f"{m / b:.2f}x" if b else "-"
            print(f"| {k}{' (baseline)' if k == base else ''} | {len(t)} | {fmt(m)} | "
                  f"{fmt(min(t))} - {fmt(max(t))} | {ratio} |")
    mt = os.path.join(out, "machine.txt")
    if os.path.exists(mt):
        print("\n" + open(mt).read().rstrip())


if __name__ == "__main__":
    main()
