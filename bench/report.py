#!/usr/bin/env python3
"""Turn the hyperfine JSON files of bench/run.sh into markdown tables.

Usage: report.py [OUT_DIR]   (default: bench/out next to this script)

Prints, for each benchmark found in OUT_DIR, a table of medians (computed from
the per-run times hyperfine exported) with each command's ratio to the
baseline command measured in the same invocation, then a summary of the
targets. Also prints OUT_DIR/machine.txt when present. Standard library only.
"""
import json
import os
import statistics
import sys

# (file, title, baseline command name, note)
BENCHMARKS = [
    ("apply-sqlite.json", "1. Apply 1,000 migrations - SQLite",
     "sqlite3 (1 transaction per file)",
     "Each migration: CREATE TABLE, CREATE INDEX, INSERT of 3 rows; one transaction per file. "
     "--prepare deletes the database file (and syncs) before every run."),
    ("apply-postgres.json", "1. Apply 1,000 migrations - PostgreSQL",
     "psql -f (1 transaction per file)",
     "Same SQL. --prepare runs DROP DATABASE ... WITH (FORCE); CREATE DATABASE; CHECKPOINT "
     "before every run."),
    ("status-sqlite.json", "2. Status as history grows - SQLite",
     "cairn status (1,000 applied)",
     "Tiny migrations (one CREATE TABLE each), applied once in the setup; ratios are to "
     "status at 1,000 applied, so the 10,000 row's ratio is the growth factor for 10x the "
     "history. The two 'phase' rows split status at 10,000 into its halves without changing "
     "cairn: reading and checksumming the 10,000 files against an empty database, and opening "
     "the 10,000-table database and replaying its ledger with an empty directory (which also "
     "prints 10,000 'missing' warnings)."),
    ("status-postgres.json", "2. Status as history grows - PostgreSQL",
     "cairn status (1,000 applied)",
     "As on SQLite."),
    ("noop-sqlite.json", "3. No-op migrate at 1,000 applied - SQLite",
     "sqlite3: open + count ledger rows (floor)",
     "Database from benchmark 1's migrations, applied once; nothing is pending. The floor is "
     "the plain client opening the same file and counting the ledger rows."),
    ("setup-sqlite-1k.json", "Setup of 2 (single run each) - apply 1,000 tiny migrations, SQLite",
     "sqlite3 (1 transaction per file)", "One run each: indicative only."),
    ("setup-sqlite-10k.json", "Setup of 2 (single run each) - apply 10,000 tiny migrations, SQLite",
     "sqlite3 (1 transaction per file)", "One run each: indicative only."),
    ("setup-postgres-1k.json",
     "Setup of 2 (single run each) - apply 1,000 tiny migrations, PostgreSQL",
     "psql -f (1 transaction per file)", "One run each: indicative only."),
    ("setup-postgres-10k.json",
     "Setup of 2 (single run each) - apply 10,000 tiny migrations, PostgreSQL",
     "psql -f (1 transaction per file)", "One run each: indicative only."),
]


def fmt(seconds):
    if seconds is None:
        return "-"
    if seconds >= 1.0:
        return "%.3f s" % seconds
    return "%.1f ms" % (seconds * 1000.0)


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    results = doc["results"]
    rows = []
    for r in results:
        times = r.get("times") or [r["mean"]]
        rows.append({
            "name": r["command"],
            "runs": len(times),
            "median": statistics.median(times),
            "mean": statistics.mean(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else None,
            "min": min(times),
            "max": max(times),
        })
    return rows, doc.get("cairn_bench")


def describe_rounds(meta):
    if not meta:
        return "Plain hyperfine run (commands one after the other)."
    loads = meta.get("loadavg_1min_before_each_round") or []
    text = ("Interleaved: %d round(s) of %d run(s) per command, command order alternating "
            "between rounds" % (meta["rounds"], meta["runs_per_round"]))
    if meta.get("warmup_first_round"):
        text += ", %d warm-up run(s) per command first" % meta["warmup_first_round"]
    if loads:
        text += "; 1-minute load average before the rounds: %.2f … %.2f" % (min(loads), max(loads))
    return text + "."


def median_of(rows, name):
    for r in rows:
        if r["name"] == name:
            return r["median"]
    return None


def table(rows, baseline):
    base = median_of(rows, baseline)
    out = ["| command | runs | median | mean ± σ | min … max | median / baseline |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ratio = "baseline" if r["name"] == baseline else (
            "%.2f×" % (r["median"] / base) if base else "-")
        spread = fmt(r["mean"]) + (" ± " + fmt(r["stddev"]) if r["stddev"] is not None else "")
        out.append("| %s | %d | **%s** | %s | %s … %s | %s |" % (
            r["name"], r["runs"], fmt(r["median"]), spread, fmt(r["min"]), fmt(r["max"]), ratio))
    return "\n".join(out)


def verdict(ok):
    return "met" if ok else "**missed**"


def targets(data):
    lines = ["| target | measured | verdict |", "| --- | --- | --- |"]
    for fname, label, base, cmd in (
            ("apply-sqlite.json", "SQLite", "sqlite3 (1 transaction per file)", "cairn migrate"),
            ("apply-postgres.json", "PostgreSQL", "psql -f (1 transaction per file)",
             "cairn migrate")):
        rows = data.get(fname)
        if not rows:
            continue
        b, c = median_of(rows, base), median_of(rows, cmd)
        if b and c:
            ratio = c / b
            extra = "" if ratio <= 1.5 else " (%.0f%% over the 1.5× limit)" % (
                (ratio / 1.5 - 1.0) * 100.0)
            lines.append("| apply 1,000 on %s: cairn ≤ 1.5× the plain client | %.2f× (%s vs %s)%s | %s |"
                         % (label, ratio, fmt(c), fmt(b), extra, verdict(ratio <= 1.5)))
    rows = data.get("status-sqlite.json")
    if rows:
        s1 = median_of(rows, "cairn status (1,000 applied)")
        s10 = median_of(rows, "cairn status (10,000 applied)")
        if s10:
            extra = "" if s10 < 0.1 else " (%.1f× the limit)" % (s10 / 0.1)
            lines.append("| status at 10,000 on SQLite < 100 ms | %s%s | %s |"
                         % (fmt(s10), extra, verdict(s10 < 0.1)))
        if s1 and s10:
            g = s10 / s1
            lines.append("| status grows far slower than history (10× history) on SQLite | "
                         "%.1f× slower at 10,000 than at 1,000 | %s |"
                         % (g, verdict(g < 3.0) + (" (grows faster than the history)" if g > 10 else "")))
        r1 = median_of(rows, "cairn status (1,000 applied, one table)")
        r10 = median_of(rows, "cairn status (10,000 applied, one table)")
        if r1 and r10:
            lines.append("| (same, history only: one table, 10,000 row inserts) | "
                         "%.1f× (%s → %s), 10,000 %s 100 ms | %s |"
                         % (r10 / r1, fmt(r1), fmt(r10), "under" if r10 < 0.1 else "over",
                            verdict(r10 / r1 < 3.0 and r10 < 0.1)))
    rows = data.get("status-postgres.json")
    if rows:
        s1 = median_of(rows, "cairn status (1,000 applied)")
        s10 = median_of(rows, "cairn status (10,000 applied)")
        if s1 and s10:
            lines.append("| (information) status growth on PostgreSQL | %.1f× (%s → %s) | - |"
                         % (s10 / s1, fmt(s1), fmt(s10)))
    if len(lines) == 2:
        return ""
    lines.append("")
    lines.append("\"Far slower than the history\" is judged here as under 3× for 10× the history.")
    return "\n".join(lines)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "out")
    data, meta = {}, {}
    for fname, *_ in BENCHMARKS:
        path = os.path.join(out_dir, fname)
        if os.path.exists(path):
            data[fname], meta[fname] = load(path)
    if not data:
        sys.exit("report.py: no hyperfine JSON in %s (run bench/run.sh first)" % out_dir)

    print("## Results\n")
    machine = os.path.join(out_dir, "machine.txt")
    if os.path.exists(machine):
        with open(machine, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    print("- " + line.strip())
        print()
    t = targets(data)
    if t:
        print("### Targets\n")
        print(t)
        print()
    for fname, title, base, note in BENCHMARKS:
        if fname not in data:
            continue
        print("### %s\n" % title)
        print(note + " " + describe_rounds(meta[fname]) + " Raw: `bench/out/%s`.\n" % fname)
        print(table(data[fname], base))
        print()


if __name__ == "__main__":
    main()
