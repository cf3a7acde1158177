#!/usr/bin/env bash
# cairn lint against squawk on the same migrations (issue 21), rule by rule.
# squawk (npm: squawk-cli) is a measuring stick, never a dependency: it is
# installed into build-deps/npm when npm is there, and the comparison is
# skipped with a message when it cannot be.
#
#   bash bench/lint_vs_squawk.sh [CORPUS_DIR]   # default bench/lint/corpus
#
# Each file's up section (up to '-- cairn:down', line numbers unchanged) is
# given to `squawk --reporter json --assume-in-transaction` (cairn runs each
# migration in a transaction); cairn runs `cairn lint --json --enable=all`.
# bench/lint_vs_squawk.py matches findings of the same rule on the same file
# and line and prints a markdown table: per shared rule the findings both
# report, those only squawk reports (missed by cairn or a deliberate
# difference, docs/lint.md) and those only cairn reports.
#
# Env: CAIRN (cairn binary, default build/clients/cairn), SQUAWK (squawk
#      binary; default build-deps/npm/node_modules/.bin/squawk).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${1:-$root/bench/lint/corpus}"
cairn="${CAIRN:-$root/build/clients/cairn}"
squawk="${SQUAWK:-$root/build-deps/npm/node_modules/.bin/squawk}"
if [[ ! -x "$squawk" ]]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --prefix "$root/build-deps/npm" --no-audit --no-fund squawk-cli >&2
  fi
fi
if [[ ! -x "$squawk" ]]; then
  echo "lint_vs_squawk: squawk not installed (npm install squawk-cli failed or npm missing)" >&2
  exit 2
fi
if [[ ! -x "$cairn" ]]; then
  echo "lint_vs_squawk: no cairn binary at $cairn (build the 'cairn' target or set CAIRN)" >&2
  exit 2
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/up"
for f in "$corpus"/*.sql; do
  sed '/^-- cairn:down/,$d' "$f" >"$out/up/$(basename "$f")"
done
"$squawk" --version >&2
# Both exit non-zero when they find something.
(cd "$out/up" && "$squawk" --reporter json --assume-in-transaction ./*.sql >"$out/squawk.json") || true
"$cairn" lint --json --enable=all -- "$corpus"/*.sql >"$out/cairn.json" || true
python3 "$root/bench/lint_vs_squawk.py" "$out/cairn.json" "$out/squawk.json"
