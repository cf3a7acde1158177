#!/usr/bin/env python3
"""Generate one workload in the format of every tool bench/peers/run.sh times.

Usage:
  gen_peers.py --count N --out DIR [--rollback K] [--seed S]

The workload is bench/gen_migrations.py's "full" kind (per migration: one
table, an index on it, three rows; the down section drops both), so the SQL
each tool runs is byte-for-byte the same. DIR is (re)created with:

  cairn/              NNNN_create_t_NNNN.sql (-- cairn:up / -- cairn:down)
  dbmate/             NNNN_create_t_NNNN.sql (-- migrate:up / -- migrate:down)
  sqitch/             sqitch.conf, sqitch.plan, deploy/ revert/ verify/
  alembic/            alembic.ini, env.py, script.py.mako, versions/rNNNN.py
                      (one op.execute per statement: Python's sqlite3 module
                      runs one statement per call)
  plain-up.sql        every up section, each in its own BEGIN; ... COMMIT;
  plain-down-K.sql    the last K down sections, newest first, one transaction each

Standard library only; output is byte-identical for the same arguments.
"""
import argparse
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from gen_migrations import full_migration  # noqa: E402

ALEMBIC_INI = """[alembic]
script_location = %(here)s
version_locations = %(here)s/versions
# The URL comes from -x url=... (see env.py).

[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARN
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic
[formatter_generic]
format = %(levelname)s %(message)s
"""

ALEMBIC_ENV = '''from alembic import context
from sqlalchemy import create_engine

url = context.get_x_argument(as_dictionary=True)["url"]
engine = create_engine(url)
with engine.connect() as connection:
    # One transaction per migration, as cairn, dbmate and sqitch do.
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''

ALEMBIC_MAKO = '''"""${message}"""
from alembic import op
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
def upgrade():
    pass
def downgrade():
    pass
'''


def statements(sql):
    return [s.strip() for s in sql.split(";\n") if s.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rollback", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    width = max(4, len(str(args.count)))
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    dirs = {k: os.path.join(args.out, k) for k in ("cairn", "dbmate", "sqitch", "alembic")}
    for sub in ("cairn", "dbmate", "sqitch/deploy", "sqitch/revert", "sqitch/verify",
                "alembic/versions"):
        os.makedirs(os.path.join(args.out, sub))

    def write(path, text):
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)

    write(os.path.join(dirs["sqitch"], "sqitch.conf"), "[core]\n\tplan_file = sqitch.plan\n"
          "\ttop_dir = .\n")
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    write(os.path.join(dirs["alembic"], "alembic.ini"), ALEMBIC_INI)
    write(os.path.join(dirs["alembic"], "env.py"), ALEMBIC_ENV)
    write(os.path.join(dirs["alembic"], "script.py.mako"), ALEMBIC_MAKO)
    ups, downs = [], []
    prev = None
    for i in range(1, args.count + 1):
        name, up, down = full_migration(i, width, rng)
        n = str(i).zfill(width)
        ups.append(up)
        downs.append(down)
        write(os.path.join(dirs["cairn"], "%s_%s.sql" % (n, name)),
              "-- cairn:up\n%s-- cairn:down\n%s" % (up, down))
        write(os.path.join(dirs["dbmate"], "%s_%s.sql" % (n, name)),
              "-- migrate:up\n%s\n-- migrate:down\n%s" % (up, down))
        change = "%s_%s" % (n, name)
        # sqitch runs each script in its own transaction; BEGIN/COMMIT inside
        # the scripts is sqitch's documented convention (sqitch-tutorial).
        write(os.path.join(dirs["sqitch"], "deploy", change + ".sql"), "BEGIN;\n%sCOMMIT;\n" % up)
        write(os.path.join(dirs["sqitch"], "revert", change + ".sql"),
              "BEGIN;\n%sCOMMIT;\n" % down)
        write(os.path.join(dirs["sqitch"], "verify", change + ".sql"), "SELECT 1;\n")
        plan.append("%s 2024-06-01T00:00:00Z bench <bench@cairn.invalid> # %s" % (change, name))
        rev = "r" + n
        body = ['"""%s"""' % name, "from alembic import op", "revision = %r" % rev,
                "down_revision = %r" % prev, "", "", "def upgrade():"]
        body += ["    op.execute(%r)" % s for s in statements(up)]
        body += ["", "", "def downgrade():"]
        body += ["    op.execute(%r)" % s for s in statements(down)]
        write(os.path.join(dirs["alembic"], "versions", rev + ".py"), "\n".join(body) + "\n")
        prev = rev
    write(os.path.join(dirs["sqitch"], "sqitch.plan"), "\n".join(plan) + "\n")
    write(os.path.join(args.out, "plain-up.sql"), "".join("BEGIN;\n%sCOMMIT;\n" % u for u in ups))
    k = min(args.rollback, args.count)
    write(os.path.join(args.out, "plain-down-%d.sql" % k),
          "".join("BEGIN;\n%sCOMMIT;\n" % d for d in reversed(downs[-k:])))
    print("gen_peers: %d migrations for cairn, dbmate, sqitch, alembic and plain SQL in %s"
          % (args.count, args.out))


if __name__ == "__main__":
    main()
