#!/usr/bin/env bash
# cairn lint against squawk on the same migrations (issue 21), rule by rule,
# with precision and recall of cairn against squawk on the rules both have.
# squawk (npm: squawk-cli) is a measuring stick, never a dependency: it is
# installed into build-deps/npm when npm is there, and the comparison is
# refused with a message (exit 2) when it cannot be.
#
#   bash bench/lint_vs_squawk.sh [CORPUS_DIR]   # default bench/lint/corpus
#
# bench/lint_vs_squawk.py prepare writes each file's up section (up to
# '-- cairn:down', line numbers unchanged, a batch section's :after/:upto as
# $1/$2) into one of two folders: the migrations cairn runs in a transaction
# go to squawk with --assume-in-transaction, the others (-- cairn:no-transaction,
# or a statement PostgreSQL refuses in a transaction block) without it, as a
# squawk user would configure them. cairn runs `cairn lint --json
# --enable=all` on the files themselves. bench/lint_vs_squawk.py compare
# matches findings of the same rule on the same file and line, removes the
# deliberate differences of bench/lint/deliberate.tsv, prints a markdown
# table, precision and recall, and exits 1 when a squawk finding on a shared
# rule is neither found by cairn nor a listed deliberate difference.
#
# Env: CAIRN (cairn binary, default build/clients/cairn), SQUAWK (squawk
#      binary; default build-deps/npm/node_modules/.bin/squawk), DELIBERATE
#      (default bench/lint/deliberate.tsv).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${1:-$root/bench/lint/corpus}"
cairn="${CAIRN:-$root/build/clients/cairn}"
squawk="${SQUAWK:-$root/build-deps/npm/node_modules/.bin/squawk}"
deliberate="${DELIBERATE:-$root/bench/lint/deliberate.tsv}"
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
python3 "$root/bench/lint_vs_squawk.py" prepare "$corpus" "$out"
echo "squawk: $("$squawk" --version)" >&2
# Both exit non-zero when they find something.
echo '[]' >"$out/squawk-tx.json"
echo '[]' >"$out/squawk-notx.json"
if compgen -G "$out/tx/*.sql" >/dev/null; then
  (cd "$out/tx" && "$squawk" --reporter json --assume-in-transaction ./*.sql >"$out/squawk-tx.json") || true
fi
if compgen -G "$out/notx/*.sql" >/dev/null; then
  (cd "$out/notx" && "$squawk" --reporter json ./*.sql >"$out/squawk-notx.json") || true
fi
"$cairn" lint --json --enable=all -- "$corpus"/*.sql >"$out/cairn.json" || true
python3 "$root/bench/lint_vs_squawk.py" compare "$out/cairn.json" "$deliberate" \
  "$out/squawk-tx.json" "$out/squawk-notx.json"
