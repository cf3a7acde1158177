#!/usr/bin/env python3
"""Checks that dependencies between cairn's modules point one way only.

    proto <- ledger modules (base <- db <- store <- export <- service,
             base <- rpc <- service) <- runner <- clients

Every #include "..." line of ledger/, runner/ and clients/ is attributed to
the module of the including file (by its folder) and to the module of the
included header (by its path), and must follow ALLOWED below: a module may
include its own headers and those of the modules it is allowed to depend on,
directly or through them. docs/design.md ("Module map") explains the modules;
a new module is one line here.

Usage: check_layers.py [ROOT]    (ROOT: the source tree; default: this
script's parent's parent). Prints one line per violation and exits 1, or
prints a summary and exits 0. Run by ctest as `layering_check`.
"""
import os
import re
import sys

# module -> the modules it may include directly (its dependencies' own
# dependencies are allowed too: the closure is taken below).
ALLOWED = {
    "proto": [],
    "base": [],
    "db": ["base"],
    "store": ["db", "proto"],
    "export": ["store"],
    "rpc": ["base"],
    "service": ["export", "rpc", "proto"],
    "runner": ["store"],
    # clients/: the client library, the report, the Yapper bridge, the
    # command line's local commands, and the network commands on top.
    "clients/client": ["rpc", "store", "proto"],
    "clients/report": ["export"],
    "clients/yapper": ["export"],
    "clients/cli": ["runner", "export", "clients/report", "clients/yapper"],
    "clients/net": ["clients/cli", "clients/client", "service"],
    # Files directly in clients/ (the executables' main()).
    "clients": ["clients/cli"],
}

LEDGER_MODULES = {"base", "db", "store", "export", "rpc", "service"}
RUNNER_INCLUDE_DIRS = {"runner", "schema"}
# Headers generated into the build tree: (name, module).
GENERATED = {"build_info.h": "clients/cli", "completion_scripts.h": "clients/cli"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def closure(module, seen=None):
    seen = set() if seen is None else seen
    for dep in ALLOWED[module]:
        if dep not in seen:
            seen.add(dep)
            closure(dep, seen)
    return seen


def module_of_path(rel):
    """The module that owns the file at `rel` (relative to the root), or None."""
    parts = rel.split("/")
    if parts[0] == "proto":
        return "proto"
    if parts[0] == "ledger" and len(parts) >= 3:
        if parts[1] == "src" and parts[2] in LEDGER_MODULES:
            return parts[2]
        if parts[1] == "include" and len(parts) >= 4 and parts[3] in LEDGER_MODULES:
            return parts[3]
        return None
    if parts[0] == "runner":
        return "runner"
    if parts[0] == "clients":
        if len(parts) >= 3 and "clients/" + parts[1] in ALLOWED:
            return "clients/" + parts[1]
        return "clients" if len(parts) == 2 else None
    return None


def module_of_include(root, including_rel, header):
    """The module that owns `header` as included from `including_rel`."""
    parts = header.split("/")
    if parts[0] == "cairn" and len(parts) >= 3:
        if parts[1] == "v1":
            return "proto"
        if parts[1] in LEDGER_MODULES:
            return parts[1]
        if parts[1] in RUNNER_INCLUDE_DIRS:
            return "runner"
    if header in GENERATED:
        return GENERATED[header]
    # A header beside the file, or under one of the trees' include roots.
    here = os.path.dirname(including_rel)
    for base in (here, "ledger/src", "runner/src", "clients", "."):
        candidate = os.path.normpath(os.path.join(base, header))
        if os.path.isfile(os.path.join(root, candidate)):
            return module_of_path(candidate)
    return "?"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    problems = []
    checked = 0
    for top in ("ledger", "runner", "clients"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".cc", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                mine = module_of_path(rel)
                if mine is None:
                    problems.append(f"{rel}: in no module (scripts/check_layers.py, ALLOWED)")
                    continue
                allowed = closure(mine) | {mine}
                with open(os.path.join(root, rel), encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        checked += 1
                        theirs = module_of_include(root, rel, m.group(1))
                        if theirs == "?":
                            problems.append(f"{rel}:{lineno}: cannot tell the module of "
                                            f"\"{m.group(1)}\"")
                        elif theirs is None or theirs not in allowed:
                            problems.append(f"{rel}:{lineno}: module {mine} includes "
                                            f"\"{m.group(1)}\" of module {theirs}, which it "
                                            f"may not depend on")
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} problem(s) (docs/design.md, \"Module map\")")
        return 1
    print(f"check_layers: {checked} include lines follow the module layering")
    return 0


if __name__ == "__main__":
    sys.exit(main())
