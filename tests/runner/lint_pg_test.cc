// cairn lint on PostgreSQL's parser (runner/src/lint/, docs/lint.md): every
// rule fires on its dangerous form and stays silent on its safe form; parse
// errors name their line; tables created earlier in the migration are exempt
// from the locking rules; per-statement silencing; statement facts.
#include <gmock/gmock.h>

#include <set>

#include "cairn/runner/lint.h"
#include "runner/src/lint/pg_parse.h"
#include "runner/src/lint/statement_facts.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

// (line, rule)
using Hit = std::pair<int, std::string>;

runner::LintOptions AllHints(int pg_major = 15) {
  runner::LintOptions o;
  o.enable = {"all"};
  o.server_version = pg_major * 10000;
  return o;
}

std::vector<Hit> Hits(const std::string& up, const runner::LintOptions& options = AllHints()) {
  auto r = runner::LintMigrationText("m.sql", "-- cairn:up\n" + up, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<Hit> out;
  if (r.ok())
    for (const auto& f : r->findings) out.emplace_back(f.line, f.rule);
  return out;
}

std::set<std::string> Rules(const std::vector<Hit>& hits) {
  std::set<std::string> out;
  for (const Hit& h : hits) out.insert(h.second);
  return out;
}

constexpr const char* kTimeouts = "SET lock_timeout = '2s';\nSET statement_timeout = '1min';\n";

struct Case {
  std::string rule;
  std::string bad;  // after the timeouts (unless the rule is about them)
  std::string safe;
  int line;  // of the finding in the bad form (line 1: -- cairn:up)
};

// Lines: 1 "-- cairn:up", 2-3 the timeouts, 4 the first statement of the case.
const std::vector<Case> kCases = {
    {"parse-error", "SELECT 1;\nALTER TABLE users\n  ADD COLUMN x TEXT NOT NUL;\n",
     "ALTER TABLE users ADD COLUMN x TEXT NOT NULL DEFAULT '';\n", 6},
    {"index-without-concurrently", "CREATE INDEX users_email ON users (email);\n",
     "CREATE INDEX CONCURRENTLY users_email ON users (email);\n", 4},
    {"require-concurrent-index-deletion", "DROP INDEX users_email;\n",
     "DROP INDEX CONCURRENTLY users_email;\n", 4},
    {"ban-concurrent-index-creation-in-transaction",
     "BEGIN;\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nCOMMIT;\n",
     "CREATE INDEX CONCURRENTLY users_email ON users (email);\n", 5},
    {"adding-foreign-key-constraint",
     "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);\n",
     "ALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id) "
     "NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user;\n",
     4},
    {"constraint-missing-not-valid", "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0);\n",
     "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID;\n"
     "-- cairn:no-transaction\nALTER TABLE users VALIDATE CONSTRAINT age_ok;\n",
     4},
    {"not-null-without-default", "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL;\n",
     "ALTER TABLE users ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';\n", 4},
    {"adding-not-nullable-field", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
     "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
     "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n"
     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n",
     4},
    {"adding-field-with-default",
     "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n",
     "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true,\n"
     "  ADD COLUMN seen_at timestamptz DEFAULT now();\n",
     4},
    {"adding-serial-primary-key-field", "ALTER TABLE events ADD COLUMN id bigserial PRIMARY KEY;\n",
     "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;\n", 4},
    {"column-type-change", "ALTER TABLE users\n  ALTER COLUMN name TYPE text;\n",
     "ALTER TABLE users ADD COLUMN name_v2 text;\n", 5},
    {"disallowed-unique-constraint",
     "ALTER TABLE users ADD CONSTRAINT users_email UNIQUE (email);\n",
     "ALTER TABLE users ADD CONSTRAINT users_email UNIQUE USING INDEX users_email_idx;\n", 4},
    {"drop-column", "ALTER TABLE users DROP COLUMN legacy;\n",
     "ALTER TABLE users ALTER COLUMN legacy DROP DEFAULT;\n", 4},
    {"drop-table", "DROP TABLE old_things;\n",
     "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;\n", 4},
    {"ban-drop-database", "DROP DATABASE legacy;\n", "DROP SCHEMA IF EXISTS scratch;\n", 4},
    {"ban-drop-not-null", "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;\n",
     "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';\n", 4},
    {"renaming-column", "ALTER TABLE users RENAME COLUMN name TO full_name;\n",
     "CREATE TABLE drafts (a text);\nALTER TABLE drafts RENAME COLUMN a TO b;\n", 4},
    {"renaming-table", "ALTER TABLE users RENAME TO people;\n",
     "CREATE VIEW people AS SELECT * FROM users;\n", 4},
    {"update-without-where", "UPDATE users SET active = true;\n",
     "UPDATE users SET active = true WHERE id < 1000;\n", 4},
    {"delete-without-where", "DELETE FROM sessions;\n",
     "DELETE FROM sessions WHERE expires_at < now();\n", 4},
    {"backfill-without-batch",
     "ALTER TABLE users ADD COLUMN plan text;\nUPDATE users SET plan = 'free' WHERE id > 0;\n",
     "UPDATE users SET plan = 'free' WHERE id = 7;\n", 5},
    {"enum-value-used-before-commit",
     "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET m = 'meh' WHERE id = 1;\n",
     "-- cairn:no-transaction\nALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';\n"
     "UPDATE people SET m = 'meh' WHERE id = 1;\n",
     5},
    {"enum-value-ordering", "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad';\n",
     "ALTER TYPE mood ADD VALUE 'meh';\n", 4},
    {"transaction-nesting", "BEGIN;\nALTER TABLE users ADD COLUMN c text;\nCOMMIT;\n",
     "ALTER TABLE users ADD COLUMN c text;\n", 4},
    {"prefer-robust-stmts",
     "-- cairn:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n",
     "-- cairn:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users "
     "(email);\n",
     5},
    {"identifier-too-long", "CREATE TABLE t (id bigint,\n  " + std::string(64, 'x') + " text);\n",
     "CREATE TABLE t (id bigint,\n  " + std::string(63, 'x') + " text);\n", 5},
    {"prefer-text-field", "CREATE TABLE t (id bigint, name varchar(100));\n",
     "CREATE TABLE t (id bigint, name text);\n", 4},
    {"prefer-timestamptz", "CREATE TABLE t (at timestamp);\n", "CREATE TABLE t (at timestamptz);\n",
     4},
    {"prefer-bigint-over-int", "CREATE TABLE t (n int);\n", "CREATE TABLE t (n bigint);\n", 4},
    {"prefer-identity", "CREATE TABLE t (id bigserial);\n",
     "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY);\n", 4},
    {"ban-char-field", "CREATE TABLE t (code char(2));\n", "CREATE TABLE t (code text);\n", 4},
};

TEST(RunnerLintPgTest, EveryRuleHasACase) {
  std::set<std::string> covered;
  for (const Case& c : kCases) covered.insert(c.rule);
  covered.insert({"missing-lock-timeout", "missing-statement-timeout"});  // TimeoutRules
  // lint_target_test.cc: they need a database (lint --rehearse).
  covered.insert({"down-does-not-reverse-up", "up-fails-on-rehearsal", "no-down-section"});
  for (const runner::LintRule& r : runner::LintRules())
    EXPECT_TRUE(covered.count(std::string(r.id))) << r.id;
}

TEST(RunnerLintPgTest, EachRuleFiresOnItsDangerousFormOnly) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.rule);
    const std::vector<Hit> bad = Hits(kTimeouts + c.bad);
    EXPECT_THAT(bad, ::testing::Contains(Hit{c.line, c.rule}));
    EXPECT_EQ(
        std::count_if(bad.begin(), bad.end(), [&](const Hit& h) { return h.second == c.rule; }), 1);
    EXPECT_EQ(Rules(Hits(kTimeouts + c.safe)).count(c.rule), 0u);
  }
}

TEST(RunnerLintPgTest, TimeoutRules) {
  const std::string alter = "ALTER TABLE users ADD COLUMN note text;\n";
  EXPECT_EQ(Hits(alter),
            (std::vector<Hit>{{2, "missing-lock-timeout"}, {2, "missing-statement-timeout"}}));
  EXPECT_TRUE(Hits(kTimeouts + alter).empty());
  // The directives count as the SETs do.
  auto r = runner::LintMigrationText(
      "m.sql", "-- cairn:lock-timeout 2s\n-- cairn:statement-timeout 1m\n-- cairn:up\n" + alter,
      AllHints());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->findings.empty());
  // A statement that takes no dangerous lock needs neither; so does a table
  // created in the migration.
  EXPECT_TRUE(Hits("SELECT count(*) FROM users;\nINSERT INTO users (id) VALUES (1);\n").empty());
  EXPECT_TRUE(Hits("CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN note text;\n").empty());
  // The statement timeout is a hint: off unless enabled.
  EXPECT_EQ(Hits(alter, {}), (std::vector<Hit>{{2, "missing-lock-timeout"}}));
}

TEST(RunnerLintPgTest, ParseErrorNamesItsLineAndTheStatementsLine) {
  auto r = runner::LintMigrationText(
      "m.sql", "-- cairn:up\nSELECT 1;\nCREATE TABLE t (\n  id bigint,\n  name text FORM\n);\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].rule, "parse-error");
  EXPECT_EQ(r->findings[0].line, 5);  // the error is at FORM on line 5
  EXPECT_THAT(r->findings[0].message,
              HasSubstr("statement at 3 does not parse: syntax error at or near \"FORM\""));
  EXPECT_EQ(r->findings[0].severity, "error");
}

TEST(RunnerLintPgTest, TablesCreatedEarlierInTheMigrationAreExempt) {
  const std::string changes =
      "ALTER TABLE t ADD COLUMN x text NOT NULL;\n"
      "ALTER TABLE t ADD CONSTRAINT t_user FOREIGN KEY (id) REFERENCES users (id);\n"
      "ALTER TABLE t ADD CONSTRAINT t_x UNIQUE (x);\n"
      "CREATE INDEX t_x_idx ON t (x);\n"
      "DROP INDEX t_x_idx;\n"
      "ALTER TABLE t ALTER COLUMN x TYPE varchar(3), ALTER COLUMN x SET NOT NULL;\n"
      "UPDATE t SET x = 'a';\n"
      "ALTER TABLE t DROP COLUMN x;\n";
  const runner::LintOptions defaults;
  // Only the foreign key's lock on users, which exists, wants a timeout.
  EXPECT_EQ(Hits("CREATE TABLE t (id bigint);\n" + changes, defaults),
            (std::vector<Hit>{{4, "missing-lock-timeout"}}));
  // That finding is about users: its table (for table sizes) is users, not t.
  {
    auto r = runner::LintMigrationText(
        "m.sql", "-- cairn:up\nCREATE TABLE t (id bigint);\n" + changes, defaults);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->findings.size(), 1u);
    EXPECT_EQ(r->findings[0].table, "users");
    EXPECT_THAT(r->findings[0].message, HasSubstr("lock on users"));
  }
  // On a table that already existed, each one fires (but the DROP INDEX,
  // whose index the migration built).
  EXPECT_EQ(Rules(Hits(kTimeouts + changes, defaults)),
            (std::set<std::string>{"not-null-without-default", "adding-foreign-key-constraint",
                                   "disallowed-unique-constraint", "index-without-concurrently",
                                   "column-type-change", "adding-not-nullable-field",
                                   "update-without-where", "drop-column"}));
  // Created after the change does not count; renamed from a new table does.
  EXPECT_EQ(
      Hits(kTimeouts + std::string("ALTER TABLE t DROP COLUMN x;\nCREATE TABLE t (id bigint);\n"),
           defaults),
      (std::vector<Hit>{{4, "drop-column"}}));
  EXPECT_EQ(Hits("CREATE TABLE t0 (id bigint);\nALTER TABLE t0 RENAME TO t;\n" + changes, defaults),
            (std::vector<Hit>{{5, "missing-lock-timeout"}}));
}

// Found on bench/lint/corpus: tables made by SELECT INTO, new views and
// sequences are the migration's own as CREATE TABLE's are.
TEST(RunnerLintPgTest, SelectIntoViewsAndSequencesCreatedEarlierAreExempt) {
  const runner::LintOptions defaults;
  EXPECT_TRUE(Hits("SELECT * INTO a FROM users WHERE id < 10;\n"
                   "ALTER TABLE a ADD PRIMARY KEY (id);\nCREATE INDEX a_x ON a (x);\n",
                   defaults)
                  .empty());
  EXPECT_TRUE(Hits("CREATE VIEW v AS SELECT 1 AS one;\nALTER VIEW v RENAME TO w;\n"
                   "ALTER VIEW w ALTER COLUMN one SET DEFAULT 0;\nCOMMENT ON VIEW w IS 'x';\n"
                   "CREATE SEQUENCE s;\nALTER SEQUENCE s RESTART WITH 5;\n"
                   "CREATE TABLE t (id bigint);\nCOMMENT ON COLUMN t.id IS 'x';\n"
                   "CREATE TABLE t2 PARTITION OF t FOR VALUES IN (1);\n",
                   defaults)
                  .empty());
  // The same statements on existing objects lock them.
  for (const char* sql :
       {"ALTER VIEW v RENAME TO w;\n", "COMMENT ON COLUMN t.id IS 'x';\n",
        "COMMENT ON TABLE t IS 'x';\n", "ALTER SEQUENCE s RESTART WITH 5;\n",
        "CREATE TABLE t2 PARTITION OF t FOR VALUES IN (1);\n", "VACUUM (ANALYZE) t;\n"}) {
    SCOPED_TRACE(sql);
    EXPECT_EQ(Hits(sql, defaults), (std::vector<Hit>{{2, "missing-lock-timeout"}}));
  }
}

// ADD CONSTRAINT has no IF NOT EXISTS: outside a transaction a re-run fails
// on it unless a DROP CONSTRAINT IF EXISTS of the name comes first.
TEST(RunnerLintPgTest, AddConstraintIsNotRobustOutsideATransaction) {
  const std::string head = "-- cairn:no-transaction\n-- cairn:up\n" + std::string(kTimeouts);
  const std::string add =
      "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;\n"
      "ALTER TABLE users VALIDATE CONSTRAINT c;\n";
  auto r = runner::LintMigrationText("m.sql", head + add, AllHints());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].rule, "prefer-robust-stmts");
  EXPECT_EQ(r->findings[0].line, 5);
  r = runner::LintMigrationText(
      "m.sql", head + "ALTER TABLE users DROP CONSTRAINT IF EXISTS c;\n" + add, AllHints());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->findings.empty()) << r->findings[0].rule << " at " << r->findings[0].line;
  // In a transaction a failure rolls everything back: nothing to report.
  EXPECT_TRUE(Hits(std::string(kTimeouts) +
                   "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;\n")
                  .empty());
}

// Found on bench/lint/corpus: AT TIME ZONE and date_trunc are not volatile
// (evaluated once, stored in the catalog); CREATE INDEX ON ONLY a partitioned
// table builds nothing (it cannot be CONCURRENTLY; the partitions' indexes
// are built concurrently and attached).
TEST(RunnerLintPgTest, StableDefaultsAndIndexesOnOnlyAreNotReported) {
  for (const char* def : {"(now() AT TIME ZONE 'utc')", "date_trunc('week', now())",
                          "make_interval(days => 30)", "concat('a', 'b')", "CURRENT_DATE"}) {
    SCOPED_TRACE(def);
    EXPECT_TRUE(Hits(std::string(kTimeouts) +
                     "ALTER TABLE users ADD COLUMN d timestamptz DEFAULT " + def + ";\n")
                    .empty());
  }
  EXPECT_EQ(
      Hits(std::string(kTimeouts) + "ALTER TABLE users ADD COLUMN d float8 DEFAULT random();\n"),
      (std::vector<Hit>{{4, "adding-field-with-default"}}));
  EXPECT_TRUE(Hits(std::string(kTimeouts) + "CREATE INDEX i ON ONLY events (kind);\n").empty());
  EXPECT_EQ(Hits("CREATE INDEX i ON ONLY events (kind);\n", {}),
            (std::vector<Hit>{{2, "missing-lock-timeout"}}));  // a SHARE lock, briefly
}

TEST(RunnerLintPgTest, ValidateInTheAddingTransactionAndForeignKeysOfNewTables) {
  // VALIDATE in the transaction that added the constraint NOT VALID still
  // holds the ADD's lock while it scans.
  const std::string add =
      std::string(kTimeouts) + "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;\n";
  const std::string validate = "ALTER TABLE users VALIDATE CONSTRAINT c;\n";
  EXPECT_EQ(Hits(add + validate), (std::vector<Hit>{{5, "constraint-missing-not-valid"}}));
  EXPECT_TRUE(Hits(add).empty());
  EXPECT_TRUE(Hits(std::string(kTimeouts) + validate).empty());
  // A new table's FOREIGN KEY locks the table it references: a lock_timeout
  // is needed, though the new table itself is exempt.
  EXPECT_EQ(Hits("CREATE TABLE t (id bigint, user_id bigint REFERENCES users (id));\n"),
            (std::vector<Hit>{{2, "missing-lock-timeout"}, {2, "missing-statement-timeout"}}));
  EXPECT_TRUE(Hits("CREATE TABLE t (id bigint, note text);\n").empty());
  // So does a key added to a new table afterwards, by ADD CONSTRAINT or
  // ADD COLUMN ... REFERENCES; a key between two new tables locks nothing.
  for (const char* add :
       {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users (id)",
        "ALTER TABLE t ADD COLUMN owner_id bigint REFERENCES users (id)"}) {
    SCOPED_TRACE(add);
    EXPECT_EQ(Hits("CREATE TABLE t (id bigint, user_id bigint);\n" + std::string(add) + ";\n"),
              (std::vector<Hit>{{3, "missing-lock-timeout"}, {3, "missing-statement-timeout"}}));
  }
  EXPECT_TRUE(
      Hits("CREATE TABLE u (id bigint PRIMARY KEY);\nCREATE TABLE t (id bigint, u_id bigint);\n"
           "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u_id) REFERENCES u (id);\n")
          .empty());
}

TEST(RunnerLintPgTest, ServerVersionDecidesWhetherAConstantDefaultRewrites) {
  const std::string add =
      std::string(kTimeouts) + "ALTER TABLE users ADD COLUMN n bigint DEFAULT 0;\n";
  EXPECT_TRUE(Hits(add, AllHints(15)).empty());
  EXPECT_EQ(Hits(add, AllHints(10)), (std::vector<Hit>{{4, "adding-field-with-default"}}));
}

TEST(RunnerLintPgTest, AlterTableFindingsPointAtTheirSubcommand) {
  EXPECT_EQ(Hits(std::string(kTimeouts) +
                 "ALTER TABLE users\n  ADD COLUMN a text,\n  ALTER COLUMN b TYPE bigint,\n"
                 "  DROP COLUMN c;\n"),
            (std::vector<Hit>{{6, "column-type-change"}, {7, "drop-column"}}));
}

TEST(RunnerLintPgTest, LintIgnoreNextSilencesOneStatementAndSquawkNamesWork) {
  auto r = runner::LintMigrationText("m.sql",
                                     "-- cairn:up\nSET lock_timeout = '1s';\n"
                                     "-- cairn:lint-ignore-next drop-table archived in ticket 12\n"
                                     "DROP TABLE a;\nDROP TABLE b;\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].line, 5);
  EXPECT_EQ(r->silenced, 1);
  // squawk's rule names are accepted for the same rule.
  r = runner::LintMigrationText("m.sql",
                                "-- cairn:up\n-- cairn:lint-ignore ban-drop-table\n"
                                "-- cairn:lint-ignore require-lock-timeout\nDROP TABLE a;\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->findings.empty());
  EXPECT_EQ(r->silenced, 2);
  r = runner::LintMigrationText("m.sql", "-- cairn:up\n-- cairn:lint-ignore-next drop-tabel\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("m.sql:2: cairn:lint-ignore-next names unknown rule"));
}

TEST(RunnerLintPgTest, BackfillsBatchSectionsAndEnumValues) {
  // The classic backfill: fill the rows not filled yet, all in one go.
  EXPECT_EQ(Hits(std::string(kTimeouts) +
                 "UPDATE users SET plan = 'free' WHERE plan IS NULL AND id IS NULL;\n"),
            (std::vector<Hit>{{4, "backfill-without-batch"}}));
  // Other NULL tests, or a column not set, are not that pattern.
  EXPECT_TRUE(Hits(std::string(kTimeouts) +
                   "UPDATE users SET plan = 'free' WHERE deleted_at IS NULL;\n"
                   "UPDATE users SET plan = 'free' WHERE plan IS NOT NULL;\n")
                  .empty());
  // On a table the migration created, nothing can be blocked.
  EXPECT_TRUE(Hits("CREATE TABLE t (id bigint, v text);\nALTER TABLE t ADD COLUMN w text;\n"
                   "UPDATE t SET w = v WHERE w IS NULL;\n")
                  .empty());
  // A batch section parses (:after/:upto) and is the safe form.
  auto r = runner::LintMigrationText(
      "m.sql",
      "-- cairn:up\n-- cairn:batch table=users key=id size=500\n"
      "UPDATE users SET plan = 'free' WHERE id > :after AND id <= :upto AND plan IS NULL;\n"
      "-- cairn:down\nSELECT 1;\n",
      AllHints());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->findings.empty()) << r->findings[0].rule << ": " << r->findings[0].message;
  // A parse error in a batch section still points at the file's column.
  r = runner::LintMigrationText("m.sql",
                                "-- cairn:up\n-- cairn:batch table=users key=id\n"
                                "UPDATE users SET plan = 'free' WHERE id > :after AND id <= :upto "
                                "AND AND;\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].rule, "parse-error");
  EXPECT_EQ(r->findings[0].column, 70);  // the second AND
  // Before PostgreSQL 12, ADD VALUE runs outside a transaction (cairn takes
  // the file out of one), so the value is committed when used; and then the
  // statement must be re-runnable.
  const std::string enum_use =
      "ALTER TYPE mood ADD VALUE 'meh';\nINSERT INTO people (m) VALUES ('meh');\n";
  EXPECT_EQ(Hits(kTimeouts + enum_use), (std::vector<Hit>{{5, "enum-value-used-before-commit"}}));
  EXPECT_EQ(Hits(kTimeouts + enum_use, AllHints(11)),
            (std::vector<Hit>{{4, "prefer-robust-stmts"}}));
  // Even on a type created in the same transaction (PostgreSQL 15 says
  // "unsafe use of new value" there too; only CREATE TYPE's values are safe).
  EXPECT_EQ(Hits("CREATE TYPE mood AS ENUM ('ok');\n" + enum_use),
            (std::vector<Hit>{{4, "enum-value-used-before-commit"}}));
  EXPECT_TRUE(Hits("CREATE TYPE mood AS ENUM ('ok', 'meh');\n"
                   "INSERT INTO people (m) VALUES ('meh');\n")
                  .empty());
  // A string that is not the new value is not a use of it.
  EXPECT_TRUE(Hits(std::string(kTimeouts) +
                   "ALTER TYPE mood ADD VALUE 'meh';\nINSERT INTO people (m) VALUES ('ok');\n")
                  .empty());
}

TEST(RunnerLintPgTest, HintsAreOffUnlessEnabledAndUnknownEnableIsAnError) {
  EXPECT_TRUE(Hits("CREATE TABLE t (id serial, at timestamp);\n", {}).empty());
  runner::LintOptions one;
  one.enable = {"prefer-timestamptz"};
  EXPECT_EQ(Hits("CREATE TABLE t (id serial, at timestamp);\n", one),
            (std::vector<Hit>{{2, "prefer-timestamptz"}}));
  one.enable = {"prefer-everything"};
  auto r = runner::LintMigrationText("m.sql", "-- cairn:up\nSELECT 1;\n", one);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("--enable: unknown lint rule 'prefer-everything'"));
}

TEST(RunnerLintPgTest, StatementFacts) {
  struct Want {
    std::string sql;
    std::string table;
    runner::lint::LockLevel lock;
    bool in_transaction;
    bool rewrites;
  };
  using L = runner::lint::LockLevel;
  const std::vector<Want> wants = {
      {"CREATE INDEX i ON t (x)", "t", L::kShare, true, false},
      {"CREATE INDEX CONCURRENTLY i ON s.t (x)", "t", L::kShareUpdateExclusive, false, false},
      {"DROP INDEX CONCURRENTLY i", "i", L::kShareUpdateExclusive, false, false},
      {"ALTER TABLE t ADD COLUMN c int DEFAULT 1", "t", L::kAccessExclusive, true, false},
      {"ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()", "t", L::kAccessExclusive, true,
       true},
      {"ALTER TABLE t ALTER COLUMN c TYPE bigint", "t", L::kAccessExclusive, true, true},
      {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id)", "t",
       L::kShareRowExclusive, true, false},
      {"ALTER TABLE t VALIDATE CONSTRAINT f", "t", L::kShareUpdateExclusive, true, false},
      {"UPDATE t SET a = 1", "t", L::kRowExclusive, true, false},
      {"VACUUM FULL t", "t", L::kAccessExclusive, false, true},
      {"DROP TRIGGER tr ON s.t", "t", L::kAccessExclusive, true, false},
      {"COMMENT ON COLUMN s.t.c IS 'x'", "t", L::kShareUpdateExclusive, true, false},
      {"ALTER SEQUENCE q RESTART", "q", L::kShareRowExclusive, true, false},
      {"CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)", "p", L::kAccessExclusive, true, false},
      {"CREATE DATABASE d", "", L::kNone, false, false},
      {"ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", "p", L::kShareUpdateExclusive, false,
       false},
      {"ALTER TABLE p DETACH PARTITION p1", "p", L::kAccessExclusive, true, false},
      {"LOCK TABLE t IN SHARE MODE", "t", L::kShare, true, false},
      {"REFRESH MATERIALIZED VIEW CONCURRENTLY m", "m", L::kExclusive, true, false},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(w.sql);
    auto parsed = runner::lint::ParsePostgres(w.sql);
    ASSERT_FALSE(parsed.error) << parsed.error->message;
    ASSERT_EQ(parsed.statements.size(), 1u);
    auto f = runner::lint::ClassifyStatement(parsed.statements[0], 150000);
    EXPECT_EQ(f.table, w.table);
    EXPECT_EQ(f.lock, w.lock) << runner::lint::LockLevelName(f.lock);
    EXPECT_EQ(f.runs_in_transaction, w.in_transaction);
    EXPECT_EQ(f.rewrites_table, w.rewrites);
  }
  // Before PostgreSQL 11 any DEFAULT rewrote the table.
  auto parsed = runner::lint::ParsePostgres("ALTER TABLE t ADD COLUMN c int DEFAULT 1");
  EXPECT_TRUE(runner::lint::ClassifyStatement(parsed.statements[0], 100000).rewrites_table);
  // A syntax error gives the position as a byte offset, after multibyte text
  // (FORM is a column alias; the error is at t).
  parsed = runner::lint::ParsePostgres("SELECT 'é' FORM t");
  ASSERT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error->offset, std::string("SELECT 'é' FORM ").size());
}

TEST(RunnerLintPgTest, CliEnableJsonSeverityAndPgVersion) {
  TempDir dir;
  WriteFile(dir.File("0001_t.sql"),
            "-- cairn:up\nSET lock_timeout = '1s';\nCREATE TABLE t (id int);\n"
            "ALTER TABLE users ADD COLUMN n bigint DEFAULT 0;\n");
  ProcessResult r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--pg-version", "10"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("0001_t.sql:4:19: adding-field-with-default: "));
  r = RunProcess(
      {CairnBinary(), "--dir", dir.path(), "lint", "--json", "--enable", "prefer-bigint-over-int"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["rule"], "prefer-bigint-over-int");
  EXPECT_EQ(j["findings"][0]["severity"], "hint");
  EXPECT_EQ(j["findings"][0]["line"], 3);
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--enable", "nope"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--enable: unknown lint rule 'nope'"));
}

}  // namespace
}  // namespace cairn::testing
