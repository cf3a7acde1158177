#!/usr/bin/env python3
"""Side-by-side of `cairn lint --json` and `squawk --reporter json` findings.

Usage: lint_vs_squawk.py CAIRN_JSON SQUAWK_JSON (see bench/lint_vs_squawk.sh).
Findings match when they have the same rule (squawk's name mapped to cairn's
id), the same file name and the same 1-based line (squawk's lines are
0-based). Prints a markdown table and the unmatched findings.
"""
import collections
import json
import os
import sys

# squawk's rule name -> cairn's id (docs/lint.md lists both).
SQUAWK_TO_CAIRN = {
    "require-concurrent-index-creation": "index-without-concurrently",
    "require-concurrent-index-deletion": "require-concurrent-index-deletion",
    "ban-concurrent-index-creation-in-transaction": "ban-concurrent-index-creation-in-transaction",
    "adding-foreign-key-constraint": "adding-foreign-key-constraint",
    "constraint-missing-not-valid": "constraint-missing-not-valid",
    "adding-required-field": "not-null-without-default",
    "adding-not-nullable-field": "adding-not-nullable-field",
    "adding-field-with-default": "adding-field-with-default",
    "adding-serial-primary-key-field": "adding-serial-primary-key-field",
    "changing-column-type": "column-type-change",
    "disallowed-unique-constraint": "disallowed-unique-constraint",
    "require-lock-timeout": "missing-lock-timeout",
    "require-statement-timeout": "missing-statement-timeout",
    "ban-drop-column": "drop-column",
    "ban-drop-table": "drop-table",
    "ban-drop-database": "ban-drop-database",
    "ban-drop-not-null": "ban-drop-not-null",
    "renaming-column": "renaming-column",
    "renaming-table": "renaming-table",
    "transaction-nesting": "transaction-nesting",
    "prefer-robust-stmts": "prefer-robust-stmts",
    "prefer-text-field": "prefer-text-field",
    "prefer-timestamp-tz": "prefer-timestamptz",
    "prefer-bigint-over-int": "prefer-bigint-over-int",
    "prefer-identity": "prefer-identity",
    "ban-char-field": "ban-char-field",
    "syntax-error": "parse-error",
}


def load(cairn_path, squawk_path):
    with open(cairn_path) as f:
        cairn = [(os.path.basename(x["file"]), x["line"], x["rule"]) for x in json.load(f)["findings"]]
    with open(squawk_path) as f:
        raw = json.load(f)
    squawk = []
    for x in raw:
        name = x.get("rule_name") or ""
        squawk.append((os.path.basename(x["file"]), x["line"] + 1, SQUAWK_TO_CAIRN.get(name, "squawk:" + name)))
    return cairn, squawk


def main():
    cairn, squawk = load(sys.argv[1], sys.argv[2])
    c = collections.Counter(cairn)
    s = collections.Counter(squawk)
    rules = sorted({r for (_, _, r) in cairn} | {r for (_, _, r) in squawk})
    print("| rule (cairn id) | squawk | cairn | both | squawk only | cairn only |")
    print("|---|---:|---:|---:|---:|---:|")
    totals = [0] * 5
    for rule in rules:
        sc = sum(n for k, n in s.items() if k[2] == rule)
        cc = sum(n for k, n in c.items() if k[2] == rule)
        both = sum(min(n, c[k]) for k, n in s.items() if k[2] == rule)
        row = [sc, cc, both, sc - both, cc - both]
        totals = [a + b for a, b in zip(totals, row)]
        print(f"| {rule} | " + " | ".join(str(v) for v in row) + " |")
    print("| **total** | " + " | ".join(str(v) for v in totals) + " |")
    print()
    for label, mine, other in (("squawk only", s, c), ("cairn only", c, s)):
        extra = sorted((k for k in mine for _ in range(mine[k] - min(mine[k], other[k]))))
        if extra:
            print(f"{label}:")
            for f, line, rule in extra:
                print(f"  {f}:{line}: {rule}")


if __name__ == "__main__":
    main()
