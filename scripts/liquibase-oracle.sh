#!/usr/bin/env bash
# Runs the real Liquibase and cairn on the same changelogs and compares what
# they leave (docs/formats.md, "Liquibase"): the schema and data after update /
# migrate and after rollback, Liquibase's DATABASECHANGELOG adopted by cairn
# (which succeeds only when cairn computes every MD5SUM Liquibase recorded), a
# changed changeset refused by both, a failing changeset stopping both at the
# same place, and files Liquibase rejects rejected by cairn. On SQLite always;
# on PostgreSQL too when CAIRN_TEST_PG_URL is set (scripts/pg-harness.sh).
#
# Usage: scripts/liquibase-oracle.sh [path/to/cairn]
# Liquibase: $LIQUIBASE, or `npm install liquibase` (the npm package ships the
# real Liquibase 4.x and its JDBC drivers; Java 17 runs it). Its sqlite-jdbc
# needs slf4j-api, which the package lacks: the script copies Debian's
# (libslf4j-java) into Liquibase's lib/ folder. Needs no network beyond npm.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CAIRN="${1:-$ROOT/build/clients/cairn}"
FIXTURE="$ROOT/tests/runner/liquibase/shop"
LIQUIBASE="${LIQUIBASE:-}"
if [[ -z "$LIQUIBASE" ]]; then
  for c in "$ROOT/node_modules" /tmp/lb-oracle/node_modules "$(npm root -g 2>/dev/null)"; do
    if [[ -x "$c/liquibase/dist/liquibase/liquibase" ]]; then
      LIQUIBASE="$c/liquibase/dist/liquibase/liquibase"
      break
    fi
  done
fi
if [[ -z "$LIQUIBASE" || ! -x "$LIQUIBASE" ]]; then
  echo "liquibase-oracle: Liquibase not found (npm install liquibase, or set LIQUIBASE)" >&2
  exit 2
fi
LB_HOME="$(dirname "$LIQUIBASE")"
if ! ls "$LB_HOME"/lib/slf4j-api*.jar >/dev/null 2>&1; then
  SLF4J="$(ls /usr/share/java/slf4j-api.jar /usr/share/maven-repo/org/slf4j/slf4j-api/*/slf4j-api-*.jar 2>/dev/null | head -1)"
  [[ -n "$SLF4J" ]] || { echo "liquibase-oracle: slf4j-api.jar not found (apt-get install libslf4j-java)" >&2; exit 2; }
  cp "$SLF4J" "$LB_HOME/lib/"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FAILS=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }

# lb DIR URL ARGS...: Liquibase run from DIR (its search path) on a database.
lb() {
  local dir="$1" url="$2"
  shift 2
  local user=()
  if [[ "$url" == postgres* ]]; then
    user=(--username="$(sed -E 's|^postgres(ql)?://([^@:/]+).*|\2|' <<<"$url")")
    url="jdbc:postgresql://$(sed -E 's|^postgres(ql)?://[^@]*@||' <<<"$url")"
  else
    url="jdbc:sqlite:${url#sqlite:}"
  fi
  (cd "$dir" && "$LIQUIBASE" --url="$url" "${user[@]}" --log-level=severe --show-banner=false "$@") \
    >"$WORK/lb.log" 2>&1
}
cairn() { "$CAIRN" -q -d "$1" --dir "$2" "${@:3}" >"$WORK/cairn.log" 2>&1; }

# The user tables, columns, indexes and views, and every row of them.
snapshot() {
  local url="$1"
  if [[ "$url" == sqlite:* ]]; then
    local f="${url#sqlite:}"
    sqlite3 "$f" "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_schema
      WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'cairn%'
      AND upper(name) NOT LIKE 'DATABASECHANGELOG%' ORDER BY type, name"
    for t in $(sqlite3 "$f" "SELECT name FROM sqlite_schema WHERE type = 'table' AND
        name NOT LIKE 'sqlite_%' AND name NOT LIKE 'cairn%' AND
        upper(name) NOT LIKE 'DATABASECHANGELOG%' ORDER BY name"); do
      echo "rows $t:"; sqlite3 "$f" "SELECT * FROM \"$t\" ORDER BY 1"
    done
  else
    psql "$url" -Atq -c "SELECT * FROM (SELECT 'column ' || table_name || '.' || column_name ||
      ' ' || data_type AS d FROM information_schema.columns WHERE table_schema = 'public' AND
      table_name NOT LIKE 'cairn%' AND table_name NOT LIKE 'databasechangelog%' UNION ALL
      SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT
      LIKE 'cairn%' AND tablename NOT LIKE 'databasechangelog%' UNION ALL SELECT 'view ' ||
      table_name || ': ' || view_definition FROM information_schema.views WHERE table_schema =
      'public' UNION ALL SELECT 'routine ' || routine_name FROM information_schema.routines
      WHERE routine_schema = 'public' AND routine_name NOT LIKE 'cairn%') s ORDER BY d"
    for t in $(psql "$url" -Atq -c "SELECT table_name FROM information_schema.tables WHERE
        table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'cairn%'
        AND table_name NOT LIKE 'databasechangelog%' ORDER BY 1"); do
      echo "rows $t:"; psql "$url" -Atq -c "SELECT * FROM \"$t\" ORDER BY 1"
    done
  fi
}
same() {  # same NAME URL_A URL_B
  if diff <(snapshot "$2") <(snapshot "$3") >"$WORK/diff" 2>&1; then
    pass "$1"
  else
    fail "$1"; sed 's/^/    /' "$WORK/diff" | head -20
  fi
}

# fresh BACKEND NAME: a new empty database's URL.
fresh() {
  if [[ "$1" == sqlite ]]; then
    sqlite3 "$WORK/$2.sqlite" "SELECT 1" >/dev/null
    echo "sqlite:$WORK/$2.sqlite"
  else
    local base="${CAIRN_TEST_PG_URL%/*}" db="lbo_$2_$$"
    psql "$CAIRN_TEST_PG_URL" -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    echo "$base/$db"
  fi
}

run_backend() {
  local be="$1" n rows
  echo "== $be"
  local L C A
  L="$(fresh "$be" lb)" C="$(fresh "$be" cairn)"
  lb "$FIXTURE" "$L" --changelog-file=db.changelog-master.yaml update || fail "$be: liquibase update"
  cairn "$C" "$FIXTURE" --format liquibase migrate || { fail "$be: cairn migrate"; cat "$WORK/cairn.log"; }
  same "$be: the shop folder: schema and rows after liquibase update = after cairn migrate" "$L" "$C"
  # Adopt: cairn adopts only when every MD5SUM equals its own computation.
  rows="$(if [[ $be == sqlite ]]; then sqlite3 "${L#sqlite:}" "SELECT count(*) FROM DATABASECHANGELOG";
          else psql "$L" -Atq -c "SELECT count(*) FROM databasechangelog"; fi)"
  if "$CAIRN" -d "$L" --dir "$FIXTURE" --format liquibase adopt >"$WORK/adopt.log" 2>&1; then
    n="$(grep -o 'adopted [0-9]* migration' "$WORK/adopt.log" | grep -o '[0-9]*')"
    [[ "$n" == "$rows" ]] && pass "$be: adopt took all $rows DATABASECHANGELOG rows (every MD5SUM equals cairn's checksum)" ||
      fail "$be: adopt took $n of $rows rows"
  else
    fail "$be: adopt"; cat "$WORK/adopt.log"
  fi
  "$CAIRN" -d "$L" --dir "$FIXTURE" --format liquibase status >"$WORK/m.log" 2>&1 &&
    grep -q "^0 pending" "$WORK/m.log" && pass "$be: after adopt nothing is pending" ||
    { fail "$be: pending after adopt"; cat "$WORK/m.log"; }
  # Rollback of every changeset that ran (dave:tags's rollback is "not required").
  A="$(fresh "$be" lb_rb)"
  lb "$FIXTURE" "$A" --changelog-file=db.changelog-master.yaml update
  lb "$FIXTURE" "$A" --changelog-file=db.changelog-master.yaml rollback-count --count="$rows" || fail "$be: liquibase rollback"
  cairn "$C" "$FIXTURE" --format liquibase rollback --to 0 || { fail "$be: cairn rollback"; cat "$WORK/cairn.log"; }
  same "$be: after rolling back every changeset" "$A" "$C"

  # A changed changeset: Liquibase's validation fails, cairn's adopt refuses.
  local D="$WORK/changed-$be"
  cp -r "$FIXTURE" "$D"
  L="$(fresh "$be" lb_changed)"
  lb "$D" "$L" --changelog-file=db.changelog-master.yaml update
  sed -i 's/CREATE TABLE notes (id integer PRIMARY KEY, body varchar(500));/CREATE TABLE notes (id integer PRIMARY KEY, body varchar(600));/' "$D/changes/later/010-notes.sql"
  if lb "$D" "$L" --changelog-file=db.changelog-master.yaml update; then
    fail "$be: liquibase accepted a changed changeset"
  else
    grep -qiE "checksum|check sum" "$WORK/lb.log" && pass "$be: liquibase refuses the changed changeset (checksum)" ||
      { fail "$be: liquibase failed otherwise"; tail -5 "$WORK/lb.log"; }
  fi
  if "$CAIRN" -d "$L" --dir "$D" --format liquibase adopt >"$WORK/adopt.log" 2>&1; then
    fail "$be: cairn adopted a changed changeset"
  else
    grep -q "eve:notes\|notes::eve" "$WORK/adopt.log" && pass "$be: cairn's adopt refuses the changed changeset: $(head -1 "$WORK/adopt.log")" ||
      { fail "$be: adopt refused otherwise"; cat "$WORK/adopt.log"; }
  fi

  # A failing changeset: both stop there, the changesets before it applied.
  D="$WORK/failing-$be"
  cp -r "$FIXTURE" "$D"
  printf -- '--liquibase formatted sql\n--changeset zed:ok\nCREATE TABLE before_failure (id integer);\n--changeset zed:fails\nCREATE TABLE t_fail (id integer);\nINSERT INTO missing_table VALUES (1);\n--rollback DROP TABLE t_fail;\n' >"$D/changes/later/030-broken.sql"
  L="$(fresh "$be" lb_fail)" C="$(fresh "$be" c_fail)"
  lb "$D" "$L" --changelog-file=db.changelog-master.yaml update && fail "$be: liquibase ran the failing changeset" || true
  cairn "$C" "$D" --format liquibase migrate && fail "$be: cairn ran the failing changeset" || true
  same "$be: a failing changeset stops both at the same place" "$L" "$C"

  # A malformed --changeset line: Liquibase rejects the file before running anything.
  D="$WORK/malformed-$be"
  cp -r "$FIXTURE" "$D"
  printf -- '--liquibase formatted sql\n--changeset zed: spaced-id\nCREATE TABLE never (id integer);\n' >"$D/changes/later/030-bad.sql"
  L="$(fresh "$be" lb_bad)" C="$(fresh "$be" c_bad)"
  lb "$D" "$L" --changelog-file=db.changelog-master.yaml update && fail "$be: liquibase took a malformed changeset line" || true
  if cairn "$C" "$D" --format liquibase migrate; then
    fail "$be: cairn took a malformed changeset line"
  else
    grep -q "030-bad.sql:2" "$WORK/cairn.log" && pass "$be: malformed --changeset refused by both: $(grep -o '030-bad.sql:2.*' "$WORK/cairn.log" | head -1)" ||
      { fail "$be: cairn refused otherwise"; cat "$WORK/cairn.log"; }
  fi
  same "$be: nothing ran for the malformed file" "$L" "$C"
}

# Statement cuts Liquibase makes differently per database.
run_dialect() {
  local be="$1" D L C
  D="$WORK/dialect-$be"
  mkdir -p "$D"
  if [[ $be == sqlite ]]; then
    printf -- '--liquibase formatted sql\n--changeset t:1\nCREATE TABLE items (id integer, n integer);\nCREATE TABLE item_log (id integer);\nCREATE TRIGGER items_log AFTER INSERT ON items BEGIN\n  INSERT INTO item_log VALUES (NEW.id);\n  INSERT INTO item_log VALUES (NEW.id + 100);\nEND;\nINSERT INTO items VALUES (1, 1);\n--rollback DROP TRIGGER items_log;\n--rollback DROP TABLE item_log;\n--rollback DROP TABLE items;\n' >"$D/changelog.sql"
  else
    printf -- '--liquibase formatted sql\n--changeset t:1\nCREATE TABLE items (id integer, n integer);\n--rollback DROP TABLE items;\n--changeset t:2 splitStatements:false\nCREATE FUNCTION bump() RETURNS trigger AS $$\nDECLARE step integer := 1;\nBEGIN\n  NEW.n := NEW.n + step;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nCREATE TRIGGER items_bump BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION bump();\nINSERT INTO items VALUES (1, 1);\n--rollback DROP TRIGGER items_bump ON items;\n--rollback DROP FUNCTION bump();\n' >"$D/changelog.sql"
  fi
  L="$(fresh "$be" lb_dialect)" C="$(fresh "$be" c_dialect)"
  lb "$D" "$L" --changelog-file=changelog.sql update || { fail "$be: liquibase on the dialect file"; cat "$WORK/lb.log"; }
  cairn "$C" "$D" --format liquibase migrate || { fail "$be: cairn on the dialect file"; cat "$WORK/cairn.log"; }
  same "$be: trigger / function bodies cut as Liquibase cuts them" "$L" "$C"
  if "$CAIRN" -d "$L" --dir "$D" --format liquibase adopt >"$WORK/adopt.log" 2>&1; then pass "$be: dialect file adopted (checksums equal)"; else fail "$be: dialect adopt"; cat "$WORK/adopt.log"; fi
  if [[ $be == sqlite ]]; then
    # A CASE's END inside the trigger closes its BEGIN for Liquibase, which then
    # cuts the trigger at the next ';' and fails; cairn refuses it at load.
    printf -- '--liquibase formatted sql\n--changeset t:1\nCREATE TABLE items (id integer, n integer);\nCREATE TRIGGER items_n AFTER INSERT ON items BEGIN\n  UPDATE items SET n = CASE WHEN n > 0 THEN 1 ELSE 0 END;\n  UPDATE items SET n = n + 1;\nEND;\n' >"$D/changelog.sql"
    L="$(fresh "$be" lb_case)" C="$(fresh "$be" c_case)"
    lb "$D" "$L" --changelog-file=changelog.sql update && fail "$be: liquibase ran a trigger cut after CASE ... END" || pass "$be: liquibase fails on a trigger whose CASE ... END closes its BEGIN"
    if cairn "$C" "$D" --format liquibase migrate; then fail "$be: cairn ran it"; else
      grep -q "inside a BEGIN ... END block" "$WORK/cairn.log" && pass "$be: cairn refuses it before running anything" || { fail "$be: cairn refused otherwise"; cat "$WORK/cairn.log"; }
    fi
    same "$be: nothing of the refused changelog ran in cairn's database" "$C" "$(fresh "$be" empty)"
  fi
  if [[ $be == postgres ]]; then
    # Without splitStatements:false Liquibase cuts the function at ';' and fails; cairn refuses it at load.
    sed -i 's/ splitStatements:false//' "$D/changelog.sql"
    L="$(fresh "$be" lb_dialect2)" C="$(fresh "$be" c_dialect2)"
    lb "$D" "$L" --changelog-file=changelog.sql update && fail "$be: liquibase ran a function cut at ';'" || pass "$be: liquibase fails on a function without splitStatements:false"
    if cairn "$C" "$D" --format liquibase migrate; then fail "$be: cairn ran it"; else
      grep -q "cuts the up SQL into statements differently" "$WORK/cairn.log" && pass "$be: cairn refuses it before running anything" || { fail "$be: cairn refused otherwise"; cat "$WORK/cairn.log"; }
    fi
    same "$be: nothing of the refused changelog ran in cairn's database" "$C" "$(fresh "$be" empty)"
  fi
}

run_backend sqlite
run_dialect sqlite
if [[ -n "${CAIRN_TEST_PG_URL:-}" ]]; then
  run_backend postgres
  run_dialect postgres
else
  echo "== postgres: skipped (CAIRN_TEST_PG_URL not set)"
fi
echo "liquibase-oracle: $("$LIQUIBASE" --version 2>/dev/null | grep -o 'Liquibase Version: [0-9.]*' | head -1), $FAILS failure(s)"
[[ $FAILS -eq 0 ]]
