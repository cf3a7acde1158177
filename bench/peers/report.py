#!/usr/bin/env python3
"""Turn bench/peers/run.sh's hyperfine JSON into the markdown of BENCHMARKS.md.

Usage: report.py OUT_DIR   (reads OUT_DIR/{sqlite,postgres}-*.json, machine.txt)

Prints, per backend, one table of medians (seconds) and one of ratios to the
plain client, and which rows cairn wins by at least 20% against every peer.
Standard library only.
"""
import json
import os
import sys

TOOLS = ["cairn", "cairn_all", "dbmate", "sqitch", "alembic"]
CAIRNS = ("cairn", "cairn_all")  # cairn_all: --tx all, one transaction per run
LABEL = {"cairn_all": "cairn --tx all"}


def fmt(t):
    return "%.3f" % t if t < 10 else "%.1f" % t


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "rows.json"), encoding="utf-8") as f:
        n = json.load(f)
    rows = [("apply-n1", "apply {n1:,}".format(**n)), ("apply-n2", "apply {n2:,}".format(**n)),
            ("noop", "no-op, {n2:,} applied".format(**n)),
            ("rollback", "roll back {k} of {n2:,}".format(**n))]
    print("### Machine and versions\n\n```")
    with open(os.path.join(out, "machine.txt"), encoding="utf-8") as f:
        print(f.read().rstrip())
    print("```\n")
    for backend, plain in (("sqlite", "sqlite3 (plain)"), ("postgres", "psql (plain)")):
        data = {}
        for key, _ in rows:
            for suffix in ("", "-slow"):  # run.sh times sqitch and alembic apart
                path = os.path.join(out, "%s-%s%s.json" % (backend, key, suffix))
                if not os.path.exists(path):
                    continue
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
                data.setdefault(key, {}).update({r["command"]: r for r in doc["results"]})
        if not data:
            continue
        tools = [t for t in TOOLS if any(t in d for d in data.values())]
        title = "SQLite" if backend == "sqlite" else "PostgreSQL"
        print("### %s: medians (seconds; runs per row in parentheses)\n" % title)
        print("| row | %s | %s |" % (plain, " | ".join(LABEL.get(t, t) for t in tools)))
        print("|---|" + "---:|" * (len(tools) + 1))
        for key, label in rows:
            if key not in data:
                continue
            d = data[key]
            cells = []
            for name in [plain] + tools:
                r = d.get(name)
                cells.append("%s (%d)" % (fmt(r["median"]), len(r["times"])) if r else "-")
            print("| %s | %s |" % (label, " | ".join(cells)))
        print("\n### %s: ratio to the plain client (lower is better), cairn's lead\n" % title)
        mine = [t for t in CAIRNS if t in tools]
        print("| row | %s | %s |" % (" | ".join(LABEL.get(t, t) for t in tools), " | ".join(
            "%s vs fastest peer" % LABEL.get(t, t) for t in mine)))
        print("|---|" + "---:|" * (len(tools) + len(mine)))
        for key, label in rows:
            if key not in data:
                continue
            d = data[key]
            base = d[plain]["median"]
            cells = ["%.2fx" % (d[t]["median"] / base) if t in d else "-" for t in tools]
            peers = [d[t]["median"] for t in tools if t not in CAIRNS and t in d]
            leads = []
            for t in mine:
                lead = "-"
                if t in d and peers:
                    best = min(peers)
                    pct = (best - d[t]["median"]) / best * 100
                    lead = ("%.0f%% faster" % pct if pct >= 0 else "%.0f%% slower" % -pct) + \
                        (" (target met)" if pct >= 20 else " (target NOT met)")
                leads.append(lead)
            print("| %s | %s | %s |" % (label, " | ".join(cells), " | ".join(leads)))
        print()


if __name__ == "__main__":
    main()
