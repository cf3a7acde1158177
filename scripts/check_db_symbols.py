#!/usr/bin/env python3
"""Checks how the database backends are linked (docs/design.md, "Backends").

    check_db_symbols.py --objects A.a B.a C.o ...
                        [--module cairn-pg.so] [--loads-module cairn]
                        [--links-postgres cairn-net]

--objects: no external symbol is defined (strongly) by two of the given
    archive members and object files. A function defined twice in archives
    is not a link error when one definition keeps the linker from pulling in
    the other: which one a program gets then depends on link order, as
    OpenPostgres once did. Arguments may hold several paths separated by ';'
    (CMake's $<TARGET_OBJECTS:...>).
--module: the PostgreSQL module exports nothing, and the only symbol of
    cairn's it needs from the executable that loads it is
    cairn::db::RegisterBackend.
--loads-module: that executable exports RegisterBackend and does not
    contain the PostgreSQL backend (it loads the module instead).
--links-postgres: that executable contains the PostgreSQL backend.

Prints one line per problem and exits 1 if there is any, else 0.
"""
import argparse
import subprocess
import sys
from collections import defaultdict

STRONG = set("TDBRGS")  # text, data, bss, read-only, small data: not weak, not common
POSTGRES_MARK = "cairn_db_postgres_registered"


def nm(*args):
    out = subprocess.run(["nm", *args], check=True, capture_output=True, text=True)
    return out.stdout.splitlines()


def defined_twice(paths):
    where = defaultdict(list)
    # POSIX format, one line per symbol: "FILE[MEMBER]: NAME TYPE VALUE SIZE"
    # (mangled names, which hold no spaces).
    for line in nm("-A", "-P", "--defined-only", "--extern-only", *paths):
        head, _, rest = line.partition(": ")
        fields = rest.split()
        if len(fields) >= 2 and fields[1] in STRONG:
            where[fields[0]].append(head)
    return [f"defined twice: {name} in {', '.join(files)}"
            for name, files in sorted(where.items()) if len(files) > 1]


def check_module(module):
    problems = []
    exported = [l for l in nm("-D", "-C", "--defined-only", module) if l.strip()]
    if exported:
        problems.append(f"{module} exports {len(exported)} symbol(s), e.g. {exported[0].split()[-1]}")
    for line in nm("-D", "-C", "--undefined-only", module):
        name = line.split(None, 1)[-1]
        if "cairn::" in name and not name.startswith("cairn::db::RegisterBackend("):
            problems.append(f"{module} needs {name} from the executable that loads it")
    return problems


def defines(exe, name, dynamic):
    args = ["-C", "--defined-only"] + (["-D"] if dynamic else [])
    return any(line.split(None, 2)[-1].startswith(name) for line in nm(*args, exe) if line.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", nargs="*", default=[])
    ap.add_argument("--module")
    ap.add_argument("--loads-module")
    ap.add_argument("--links-postgres")
    a = ap.parse_args()
    paths = [p for arg in a.objects for p in arg.split(";") if p]
    problems = defined_twice(paths) if paths else []
    if a.module:
        problems += check_module(a.module)
    if a.loads_module:
        if not defines(a.loads_module, "cairn::db::RegisterBackend(", dynamic=True):
            problems.append(f"{a.loads_module} does not export cairn::db::RegisterBackend")
        if defines(a.loads_module, POSTGRES_MARK, dynamic=False):
            problems.append(f"{a.loads_module} contains the PostgreSQL backend it should load")
    if a.links_postgres and not defines(a.links_postgres, POSTGRES_MARK, dynamic=False):
        problems.append(f"{a.links_postgres} does not contain the PostgreSQL backend")
    for p in problems:
        print(p)
    print(f"checked {len(paths)} archive(s) and object(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
