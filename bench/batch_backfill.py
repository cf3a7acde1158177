#!/usr/bin/env python3
"""Batched backfill against one plain UPDATE, on SQLite and PostgreSQL.

Usage: bench/batch_backfill.py CAIRN_BINARY PG_URL [ROWS ...]   (default rows: 100000 1000000)

For each backend and table size, two identical tables bench_a and bench_b
(id INTEGER PRIMARY KEY, v INTEGER, note TEXT) are filled with ROWS rows in
the same database. Then, in this order, each timed from process start to exit:
  plain:  `UPDATE bench_a SET v = v + 1` in one statement (sqlite3 / psql)
  cairn:  `cairn migrate` of one batched migration
          (-- cairn:batch table=bench_b key=id size=1000,
           UPDATE bench_b SET v = v + 1 WHERE id > :after AND id <= :upto)
          at default settings (size= 1000 to start, adapting towards 50 ms
          per batch transaction), and again (its rollback first) with a fixed
          --batch-size 1000.
Both leave every row with v + 1 (checked). The longest batch transaction is
the largest BatchApplied duration (BEGIN to just before COMMIT) plus cairn's
own log line, which includes the COMMIT. Prints a markdown table.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CAIRN = sys.argv[1]
PG_URL = sys.argv[2]
SIZES = [int(x) for x in sys.argv[3:]] or [100000, 1000000]

FILL = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
        "INSERT INTO {t} (id, v, note) SELECT i, 0, 'row ' || i FROM n;")
MIGRATION = """-- cairn:up
-- cairn:batch table=bench_b key=id size=1000
UPDATE bench_b SET v = v + 1 WHERE id > :after AND id <= :upto;
-- cairn:down
-- cairn:batch table=bench_b key=id size=1000
UPDATE bench_b SET v = v - 1 WHERE id > :after AND id <= :upto;
"""


def sql(backend, url, text):
    if backend == "sqlite":
        cmd = ["sqlite3", url[len("sqlite:"):]]
    else:
        cmd = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-At", url]
    return subprocess.run(cmd, input=text, text=True, check=True, capture_output=True).stdout


def timed(cmd, **kw):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, text=True, capture_output=True, **kw)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"failed: {cmd}\n{r.stderr}")
    return dt, r


def longest(url, mdir, run_stderr):
    h = subprocess.run([CAIRN, "--database", url, "--dir", mdir, "history", "--json"],
                       text=True, capture_output=True, check=True).stdout
    events = json.loads(h)["events"]  # docs/json.md
    # the last run's batches
    last_run = [e for e in events if e["type"] == "run_started"][-1]["run_id"]
    durs = [e["duration_micros"] / 1000 for e in events
            if e["type"] == "batch_applied" and e["run_id"] == last_run]
    with_commit = 0.0
    for line in run_stderr.splitlines():
        if "longest batch transaction" in line:
            with_commit = float(line.rsplit("transaction", 1)[1].split("ms")[0])
    return max(durs), with_commit, len(durs)


def bench(backend, rows, pg_db=None):
    tmp = tempfile.mkdtemp(prefix="cairn-bench-")
    mdir = os.path.join(tmp, "m")
    os.mkdir(mdir)
    with open(os.path.join(mdir, "0001_backfill.sql"), "w") as f:
        f.write(MIGRATION)
    if backend == "sqlite":
        url = "sqlite:" + os.path.join(tmp, "bench.db")
    else:
        sql("postgres", PG_URL, f"DROP DATABASE IF EXISTS {pg_db}; CREATE DATABASE {pg_db};")
        url = PG_URL.rsplit("/", 1)[0] + "/" + pg_db
    for t in ("bench_a", "bench_b"):
        sql(backend, url, f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, note TEXT);"
            + FILL.format(rows=rows, t=t))
    if backend == "postgres":
        sql(backend, url, "VACUUM ANALYZE; CHECKPOINT;")
    subprocess.run(["sync"])
    if backend == "sqlite":
        plain_cmd = ["sqlite3", url[len("sqlite:"):], "UPDATE bench_a SET v = v + 1;"]
    else:
        plain_cmd = ["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", "UPDATE bench_a SET v = v + 1;"]
    plain, _ = timed(plain_cmd)
    if backend == "postgres":
        sql(backend, url, "CHECKPOINT;")
    subprocess.run(["sync"])
    base = [CAIRN, "-v", "--database", url, "--dir", mdir]
    results = []
    for label, extra in (("default (adapt to 50 ms)", []), ("--batch-size 1000 (fixed)", ["--batch-size", "1000"])):
        if results:
            timed(base + ["rollback", "--progress", "off"])
            if backend == "postgres":
                sql(backend, url, "CHECKPOINT;")
            subprocess.run(["sync"])
        dt, r = timed(base + ["migrate", "--progress", "off"] + extra)
        lb, lbc, n = longest(url, mdir, r.stderr)
        results.append((label, dt, lb, lbc, n))
    ok_a = sql(backend, url, "SELECT count(*) FROM bench_a WHERE v = 1;").strip()
    ok_b = sql(backend, url, "SELECT count(*) FROM bench_b WHERE v = 1;").strip()
    assert ok_a == ok_b == str(rows), (ok_a, ok_b)
    if backend == "postgres":
        sql("postgres", PG_URL, f"DROP DATABASE {pg_db};")
    subprocess.run(["rm", "-rf", tmp])
    return plain, results


print("| backend | rows | plain UPDATE s | settings | cairn s | batches | throughput vs plain | "
      "longest batch tx ms (to COMMIT / with COMMIT) | cairn rows/s |")
print("|---|---|---|---|---|---|---|---|---|")
for backend in ("sqlite", "postgres"):
    for rows in SIZES:
        plain, results = bench(backend, rows, pg_db=f"cairn_bench_{rows}")
        for label, dt, lb, lbc, n in results:
            print(f"| {backend} | {rows:,} | {plain:.2f} | {label} | {dt:.2f} | {n} | "
                  f"{plain / dt:.2f}x | {lb:.1f} / {lbc:.1f} | {rows / dt:,.0f} |", flush=True)
