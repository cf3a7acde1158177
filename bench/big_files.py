#!/usr/bin/env python3
"""Data-heavy migration files: cairn against the plain client (issue 16).

For each workload a migration file is generated once; then, in interleaved
rounds (cairn first in even rounds, the plain client first in odd ones), each
side applies it to a fresh database and its wall time and peak RSS (the
child's ru_maxrss from wait4) are taken. The plain client runs the same SQL
in one transaction: `sqlite3 DB < file` with BEGIN/COMMIT around it, or
`psql -q -v ON_ERROR_STOP=1 --single-transaction -f file`. cairn runs
`migrate` (one transaction with its ledger events) and, on the largest file,
also `status`, `verify`, `plan` and `lint`.

Usage:
  big_files.py --cairn PATH [--pg ADMIN_URL] [--rounds N] [--growth-mb 10,100,1000]
               [--workloads rows100k,batch600] [--json OUT] [--seed S] [--sqlite-wal]

Prints a markdown table; --json keeps every sample. Standard library only.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WORK = None


def gen_rows(path, n, seed):
    """n single-row INSERT statements."""
    rnd = random.Random(seed)
    with open(path, "w") as f:
        f.write("-- cairn:up\nCREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, v INTEGER);\n")
        for i in range(1, n + 1):
            f.write("INSERT INTO big (id, name, v) VALUES (%d, 'name-%d', %d);\n"
                    % (i, i, rnd.randrange(1 << 30)))
        f.write("-- cairn:down\nDROP TABLE big;\n")


def gen_multi(path, target_bytes, rows_per_insert, seed):
    """INSERTs of `rows_per_insert` rows each until the file has target_bytes."""
    rnd = random.Random(seed)
    with open(path, "w") as f:
        f.write("-- cairn:up\nCREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, v INTEGER);\n")
        i = 0
        size = 0
        while size < target_bytes:
            rows = []
            for _ in range(rows_per_insert):
                i += 1
                rows.append("(%d, 'row %d of a data-heavy migration file', %d)"
                            % (i, i, rnd.randrange(1 << 30)))
            stmt = "INSERT INTO big (id, name, v) VALUES\n  " + ",\n  ".join(rows) + ";\n"
            f.write(stmt)
            size += len(stmt)
        f.write("-- cairn:down\nDROP TABLE big;\n")


def plain_script(mig, out, begin_commit):
    """The up section alone, for the plain client."""
    with open(mig) as src, open(out, "w") as dst:
        if begin_commit:
            dst.write("BEGIN;\n")
        in_up = False
        for line in src:
            if line.startswith("-- cairn:up"):
                in_up = True
                continue
            if line.startswith("-- cairn:down"):
                break
            if in_up:
                dst.write(line)
        if begin_commit:
            dst.write("COMMIT;\n")


def timed(argv, stdin_path=None, env=None):
    """(seconds, peak RSS in MiB, exit code) of one child.

    The peak RSS comes from GNU time (/usr/bin/time -f %M), which forks the
    command from its own small process: a child forked from this Python
    process would count Python's pages as its own until it execs.
    """
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fd, rss_file = tempfile.mkstemp(prefix="big_files.rss.")
    os.close(fd)
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv, stdin=stdin,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    status = p.wait()
    dt = time.monotonic() - t0
    if stdin_path:
        stdin.close()
    with open(rss_file) as f:
        lines = [l for l in f.read().split("\n") if l.strip().isdigit()]
    os.remove(rss_file)
    rss_kib = int(lines[-1]) if lines else 0
    code = status
    if code != 0:
        sys.stderr.write("big_files: %s exited %d: %s\n" % (" ".join(argv), code,
                                                           err.decode()[-2000:]))
    return dt, rss_kib / 1024.0, code


def psql(admin_url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", admin_url, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


def db_url(admin_url, name):
    base, _, rest = admin_url.rpartition("/")
    query = ""
    if "?" in rest:
        query = "?" + rest.split("?", 1)[1]
    return base + "/" + name + query


def run_workload(args, name, mig, env):
    """Interleaved rounds of cairn and the plain client on one file."""
    mdir = os.path.join(WORK, name + "-migrations")
    os.makedirs(mdir, exist_ok=True)
    target = os.path.join(mdir, "0001_big.sql")
    if not os.path.exists(target):
        os.link(mig, target) if os.stat(mig).st_dev == os.stat(mdir).st_dev else shutil.copy(mig, target)
    size_mb = os.path.getsize(mig) / 1e6
    sqlite_script = os.path.join(WORK, name + ".sqlite.sql")
    pg_script = os.path.join(WORK, name + ".pg.sql")
    plain_script(mig, sqlite_script, begin_commit=True)
    plain_script(mig, pg_script, begin_commit=False)
    # --sqlite-wal: sqlite3 also runs the file on a database in the journal
    # mode cairn gives a target (docs/sqlite.md), the like-for-like client.
    wal_script = os.path.join(WORK, name + ".sqlite-wal.sql")
    if args.sqlite_wal:
        with open(sqlite_script) as src, open(wal_script, "w") as dst:
            dst.write("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n")
            shutil.copyfileobj(src, dst)
    rows = []
    backends = ["sqlite"] + (["postgres"] if args.pg else [])
    for backend in backends:
        samples = {"cairn": [], "plain": []}
        if backend == "sqlite" and args.sqlite_wal:
            samples["plain_wal"] = []
        for rnd in range(args.rounds):
            order = list(samples) if rnd % 2 == 0 else list(samples)[::-1]
            for who in order:
                if backend == "sqlite":
                    db = os.path.join(WORK, "%s-%s.db" % (name, who))
                    for suffix in ("", "-wal", "-shm"):
                        if os.path.exists(db + suffix):
                            os.remove(db + suffix)
                    subprocess.run(["sync"])
                    if who == "cairn":
                        argv = [args.cairn, "-q", "--database", "sqlite:" + db, "--dir", mdir,
                                "migrate"]
                        r = timed(argv, env=env)
                    else:
                        r = timed(["sqlite3", db],
                                  stdin_path=wal_script if who == "plain_wal" else sqlite_script)
                else:
                    dbname = "bigfiles_%s" % who
                    psql(args.pg, "DROP DATABASE IF EXISTS %s" % dbname)
                    psql(args.pg, "CREATE DATABASE %s" % dbname)
                    psql(args.pg, "CHECKPOINT")
                    subprocess.run(["sync"])
                    url = db_url(args.pg, dbname)
                    if who == "cairn":
                        r = timed([args.cairn, "-q", "--database", url, "--dir", mdir, "migrate"],
                                  env=env)
                    else:
                        r = timed(["psql", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                                   "-f", pg_script, url])
                if r[2] != 0:
                    sys.exit("big_files: %s failed on %s (%s)" % (who, name, backend))
                samples[who].append(r)
        med = {w: statistics.median(s[0] for s in samples[w]) for w in samples}
        rss = {w: max(s[1] for s in samples[w]) for w in samples}
        rows.append({"workload": name, "backend": backend, "mb": round(size_mb, 1),
                     "cairn_s": round(med["cairn"], 3), "plain_s": round(med["plain"], 3),
                     "ratio": round(med["cairn"] / med["plain"], 2),
                     "cairn_rss_mib": round(rss["cairn"], 1),
                     "plain_rss_mib": round(rss["plain"], 1),
                     "cairn_s_per_mb": round(med["cairn"] / size_mb, 4),
                     "samples": {w: [s[:2] for s in samples[w]] for w in samples}})
        if "plain_wal" in med:
            rows[-1]["plain_wal_s"] = round(med["plain_wal"], 3)
            rows[-1]["ratio_to_wal"] = round(med["cairn"] / med["plain_wal"], 2)
            print("  %-14s %-8s sqlite3 on a WAL database %7.3f s: cairn %.2fx of it"
                  % (name, backend, med["plain_wal"], med["cairn"] / med["plain_wal"]),
                  file=sys.stderr)
        print("  %-14s %-8s %7.1f MB  cairn %7.3f s %6.1f MiB   plain %7.3f s %6.1f MiB   %.2fx"
              % (name, backend, size_mb, med["cairn"], rss["cairn"], med["plain"], rss["plain"],
                 med["cairn"] / med["plain"]), file=sys.stderr)
    return rows


def run_readers(args, name, mig, env):
    """status / verify / plan / lint on the file already applied by run_workload (SQLite)."""
    mdir = os.path.join(WORK, name + "-migrations")
    db = os.path.join(WORK, "%s-cairn.db" % name)
    out = []
    for cmd in (["status"], ["verify"], ["plan"], ["lint"]):
        if cmd == ["plan"]:
            db = os.path.join(WORK, "%s-empty.db" % name)  # everything pending
        # lint without a database: every file is read (as in CI, offline).
        target = [] if cmd == ["lint"] else ["--database", "sqlite:" + db]
        times = []
        for _ in range(args.rounds):
            t = timed([args.cairn] + target + ["--dir", mdir] + cmd,
                      env={k: v for k, v in env.items() if k != "DATABASE_URL"})
            if t[2] not in ((0, 12) if cmd == ["lint"] else (0,)):  # lint: 12 = findings
                sys.exit("big_files: %s failed (exit %d): no time recorded" % (cmd[0], t[2]))
            times.append(t)
        out.append({"workload": name, "command": cmd[0],
                    "mb": round(os.path.getsize(mig) / 1e6, 1),
                    "median_s": round(statistics.median(t[0] for t in times), 3),
                    "rss_mib": round(max(t[1] for t in times), 1)})
        print("  %-14s %-8s median %.3f s, peak RSS %.1f MiB" % (name, cmd[0], out[-1]["median_s"],
                                                              out[-1]["rss_mib"]), file=sys.stderr)
    return out


def main():
    global WORK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cairn", required=True)
    ap.add_argument("--pg", help="admin URL of a PostgreSQL server (omit: SQLite only)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workloads", default="rows100k,batch600")
    ap.add_argument("--growth-mb", default="10,100", help="sizes of the growth series, MB")
    ap.add_argument("--json")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--workdir", help="keep generated files here (default: a temp dir)")
    ap.add_argument("--sqlite-wal", action="store_true",
                    help="also time sqlite3 on a WAL database (synchronous=FULL), as cairn's")
    args = ap.parse_args()
    print("big_files: seed %d" % args.seed, file=sys.stderr)
    WORK = args.workdir or tempfile.mkdtemp(prefix="cairn-bigfiles.")
    os.makedirs(WORK, exist_ok=True)
    env = dict(os.environ, CAIRN_NO_CACHE="1")
    results = {"apply": [], "readers": [], "seed": args.seed,
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    files = []
    wl = [w for w in args.workloads.split(",") if w]
    if "rows100k" in wl:
        p = os.path.join(WORK, "rows100k.sql")
        if not os.path.exists(p):
            gen_rows(p, 100_000, args.seed)
        files.append(("rows100k", p))
    if "batch600" in wl:
        p = os.path.join(WORK, "batch600.sql")
        if not os.path.exists(p):
            gen_multi(p, 58_000_000, 800, args.seed)
        files.append(("batch600", p))
    for mb in [int(x) for x in args.growth_mb.split(",") if x]:
        p = os.path.join(WORK, "grow%d.sql" % mb)
        if not os.path.exists(p):
            gen_multi(p, mb * 1_000_000, 800, args.seed + mb)
        files.append(("grow%dMB" % mb, p))
    try:
        for name, path in files:
            results["apply"] += run_workload(args, name, path, env)
        biggest = max(files, key=lambda f: os.path.getsize(f[1]))
        results["readers"] = run_readers(args, biggest[0], biggest[1], env)
    finally:
        if args.pg:
            for who in ("cairn", "plain"):
                psql(args.pg, "DROP DATABASE IF EXISTS bigfiles_%s" % who)
        if not args.workdir:
            shutil.rmtree(WORK, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print("| workload | backend | MB | cairn s | plain s | ratio | cairn peak RSS MiB | plain peak RSS MiB | cairn s/MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results["apply"]:
        print("| %s | %s | %.1f | %.3f | %.3f | %.2fx | %.1f | %.1f | %.4f |" % (
            r["workload"], r["backend"], r["mb"], r["cairn_s"], r["plain_s"], r["ratio"],
            r["cairn_rss_mib"], r["plain_rss_mib"], r["cairn_s_per_mb"]))
    print()
    print("| file | command | median s | peak RSS MiB |")
    print("|---|---|---|---|")
    for r in results["readers"]:
        print("| %s (%.1f MB) | %s | %.3f | %.1f |" % (r["workload"], r["mb"], r["command"],
                                                     r["median_s"], r["rss_mib"]))


if __name__ == "__main__":
    main()
