#!/usr/bin/env python3
"""cairn lint against squawk, rule by rule (see bench/lint_vs_squawk.sh).

  lint_vs_squawk.py prepare CORPUS OUT
      Writes each migration's up section (the lines before '-- cairn:down',
      so line numbers stay those of the file; a batch section's :after and
      :upto as $1 and $2) to OUT/tx/ when cairn runs it in a transaction and
      to OUT/notx/ when it runs outside one (the -- cairn:no-transaction
      directive, or a statement PostgreSQL refuses in a transaction block, as
      docs/transactions.md lists them).

  lint_vs_squawk.py compare CAIRN_JSON DELIBERATE_TSV SQUAWK_JSON...
      Matches `cairn lint --json` findings with `squawk --reporter json`
      findings of the same rule (squawk's name mapped to cairn's id), file
      name and 1-based line (squawk's are 0-based). On the rules both tools
      have, squawk is the reference: a squawk finding cairn does not report is
      a deliberate difference when DELIBERATE_TSV lists it with its reason,
      else it is missed. Prints a markdown table, precision and recall, and
      the findings each tool has alone. Exit 1 when a finding is missed or a
      line of DELIBERATE_TSV matches no unmatched finding (a stale entry).

DELIBERATE_TSV: '# reason KEY: explanation' lines define the reasons; other
non-empty, non-'#' lines are 'side<TAB>file<TAB>line<TAB>rule<TAB>reason',
side 'squawk' (a squawk finding cairn deliberately does not report) or
'cairn' (a cairn finding squawk does not report, for a documented reason).
"""
import collections
import json
import os
import re
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
    "identifier-too-long": "identifier-too-long",
}
SHARED = set(SQUAWK_TO_CAIRN.values())

# Statements PostgreSQL refuses in a transaction block, which make cairn run
# the migration outside one (runner/src/source/directives.cc).
OUTSIDE = re.compile(
    r"^\s*(?:(?:CREATE|DROP)\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\b|REINDEX\b[^;]*\bCONCURRENTLY\b"
    r"|REINDEX\s+(?:DATABASE|SYSTEM)\b|VACUUM\b|(?:CREATE|DROP)\s+(?:DATABASE|TABLESPACE)\b"
    r"|ALTER\s+SYSTEM\b)",
    re.IGNORECASE,
)


def up_section(text):
    """The lines before '-- cairn:down' (all lines kept, so numbers match)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("-- cairn:down"):
            return "\n".join(lines[:i]) + "\n"
    return text


def runs_outside_transaction(text):
    up = up_section(text)
    header = up.split("-- cairn:up", 1)[0]
    if re.search(r"^--\s*cairn:no-transaction\b", header, re.MULTILINE):
        return True
    body = up.split("-- cairn:up", 1)[-1]
    body = re.sub(r"\$(\w*)\$.*?\$\1\$", "''", body, flags=re.DOTALL)
    body = re.sub(r"'(?:[^']|'')*'", "''", body)
    body = re.sub(r"--[^\n]*", "", body)
    return any(OUTSIDE.match(stmt) for stmt in body.split(";"))


def prepare(corpus, out):
    for sub in ("tx", "notx"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    for name in sorted(os.listdir(corpus)):
        if not name.endswith(".sql"):
            continue
        with open(os.path.join(corpus, name)) as f:
            text = f.read()
        up = up_section(text).replace(":after", "$1").replace(":upto", "$2")
        sub = "notx" if runs_outside_transaction(text) else "tx"
        with open(os.path.join(out, sub, name), "w") as f:
            f.write(up)


def load_deliberate(path):
    reasons, rows = {}, []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = re.match(r"#\s*reason\s+([\w-]+):\s*(.*)", line)
            if m:
                reasons[m.group(1)] = m.group(2)
                continue
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 5 or parts[0] not in ("squawk", "cairn") or not parts[2].isdigit():
                sys.exit(f"{path}:{n}: expected side<TAB>file<TAB>line<TAB>rule<TAB>reason")
            if parts[4] not in reasons:
                sys.exit(f"{path}:{n}: unknown reason '{parts[4]}' (define it with '# reason KEY: ...')")
            rows.append((parts[0], (parts[1], int(parts[2]), parts[3]), parts[4]))
    return reasons, rows


def pct(a, b):
    return f"{100.0 * a / b:.1f}%" if b else "n/a"


def compare(cairn_path, deliberate_path, squawk_paths):
    with open(cairn_path) as f:
        cairn_json = json.load(f)
    cairn = collections.Counter(
        (os.path.basename(x["file"]), x["line"], x["rule"]) for x in cairn_json["findings"])
    squawk = collections.Counter()
    for p in squawk_paths:
        with open(p) as f:
            for x in json.load(f):
                name = x.get("rule_name") or ""
                rule = SQUAWK_TO_CAIRN.get(name, "squawk:" + name)
                squawk[(os.path.basename(x["file"]), x["line"] + 1, rule)] += 1
    reasons, rows = load_deliberate(deliberate_path)
    both = cairn & squawk
    squawk_only = collections.Counter({k: n for k, n in (squawk - cairn).items() if k[2] in SHARED})
    cairn_only = collections.Counter({k: n for k, n in (cairn - squawk).items() if k[2] in SHARED})
    deliberate = {"squawk": collections.Counter(), "cairn": collections.Counter()}
    by_reason = {"squawk": collections.Counter(), "cairn": collections.Counter()}
    stale = []
    for side, key, reason in rows:
        pool = squawk_only if side == "squawk" else cairn_only
        if pool[key] - deliberate[side][key] <= 0:
            stale.append((side, key, reason))
            continue
        deliberate[side][key] += 1
        by_reason[side][reason] += 1
    missed = squawk_only - deliberate["squawk"]
    cairn_extra = cairn_only - deliberate["cairn"]

    def count(counter, rule=None, shared=True):
        return sum(n for k, n in counter.items()
                   if (rule is None and (k[2] in SHARED) == shared) or k[2] == rule)

    rules = sorted({k[2] for k in cairn} | {k[2] for k in squawk})
    print("| rule (cairn id) | squawk | cairn | both | deliberate (squawk) | missed | cairn only | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rule in rules:
        if rule not in SHARED:
            continue
        s, c, b = count(squawk, rule), count(cairn, rule), count(both, rule)
        d, m = count(deliberate["squawk"], rule), count(missed, rule)
        dc, x = count(deliberate["cairn"], rule), count(cairn_extra, rule)
        print(f"| {rule} | {s} | {c} | {b} | {d} | {m} | {x} + {dc} deliberate | "
              f"{pct(b, c - dc)} | {pct(b, s - d)} |")
    s, c, b = count(squawk), count(cairn), count(both)
    d, m = count(deliberate["squawk"]), count(missed)
    dc, x = count(deliberate["cairn"]), count(cairn_extra)
    print(f"| **shared rules** | {s} | {c} | {b} | {d} | {m} | {x} + {dc} deliberate | "
          f"{pct(b, c - dc)} | {pct(b, s - d)} |")
    print()
    print(f"files: {cairn_json['files']}, {len({k[0] for k in cairn} | {k[0] for k in squawk})} "
          f"with findings; "
          f"squawk {sum(squawk.values())} findings, cairn {sum(cairn.values())}")
    print(f"squawk findings on shared rules: {s}; found by cairn: {b}; "
          f"deliberate differences: {d}"
          + (" (" + ", ".join(f"{r} {n}" for r, n in sorted(by_reason['squawk'].items())) + ")"
             if d else "")
          + f"; missed: {m}")
    print(f"cairn findings on shared rules: {c}; squawk has {b}; cairn only: {c - b}"
          + (" (deliberate: " + ", ".join(f"{r} {n}" for r, n in sorted(by_reason['cairn'].items()))
             + ")" if dc else ""))
    print(f"precision {pct(b, c - dc)} (= {b} / ({c} - {dc} deliberate); {pct(b, c)} counting "
          f"every cairn finding squawk lacks); recall {pct(b, s - d)} (= {b} / ({s} - {d} "
          f"deliberate); {pct(b, s)} counting every squawk finding)")
    print()
    print("reasons of the deliberate differences:")
    for r in sorted(set(by_reason["squawk"]) | set(by_reason["cairn"])):
        print(f"  {r} ({by_reason['squawk'][r]} squawk, {by_reason['cairn'][r]} cairn): {reasons[r]}")
    own = collections.Counter(k[2] for k in cairn.elements() if k[2] not in SHARED)
    lacking = collections.Counter(k[2] for k in squawk.elements() if k[2] not in SHARED)
    print()
    print("cairn findings squawk lacks, by rule:")
    for r in sorted({k[2] for k in cairn_only} | set(own)):
        if r in SHARED:
            dlb = count(deliberate["cairn"], r)
            print(f"  {r}: {count(cairn_only, r)}" + (f" ({dlb} deliberate)" if dlb else ""))
        else:
            print(f"  {r}: {own[r]} (cairn's own rule)")
    if lacking:
        print("squawk rules cairn does not have:")
        for r, n in sorted(lacking.items()):
            print(f"  {r}: {n}")
    for label, counter in (("missed (squawk finding, not by cairn, not deliberate)", missed),
                           ("cairn only on a shared rule, not deliberate", cairn_extra)):
        if counter:
            print(f"{label}:")
            for f, line, rule in sorted(counter.elements()):
                print(f"  {f}:{line}: {rule}")
    for side, (f, line, rule), reason in stale:
        print(f"stale deliberate entry: {side} {f}:{line}: {rule} ({reason}): no such unmatched finding")
    return 1 if m or stale else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) >= 5 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3], sys.argv[4:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
