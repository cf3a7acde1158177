// Schema model, introspection and diff on both backends, against real
// databases: models read back from the catalogs, plans applied for real,
// rows checked afterwards. Also fresh-database detection.
#include <gmock/gmock.h>

#include <random>

#include "cairn/runner/migration.h"
#include "cairn/runner/schema_ops.h"
#include "cairn/schema/diff.h"
#include "cairn/schema/model.h"
#include "cairn/schema/scratch.h"
#include "tests/ledger/ledger_test_util.h"

namespace cairn::testing {
namespace {

using schema::Model;
using ::testing::Contains;
using ::testing::HasSubstr;

class RunnerSchemaTest : public ConnectedBackendTest {
 protected:
  bool pg() const { return GetParam() == db::Backend::kPostgres; }
  // Table key as the model names it.
  std::string T(const std::string& name) const { return pg() ? "public." + name : name; }

  void Exec(const std::string& sql) {
    db::ScriptFailure f;
    Status s = conn_->ExecuteScript(sql, nullptr, &f);
    ASSERT_TRUE(s.ok()) << s.ToString() << " in: " << f.statement;
  }
  Model Live() {
    auto m = schema::Introspect(*conn_);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : Model{};
  }
  Model Desired(const std::string& sql) {
    auto m = schema::LoadDesiredSchema(conn_->url(), "schema.sql", sql);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : Model{};
  }
  void Apply(const schema::Plan& plan) {
    auto tx = conn_->Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    db::ScriptFailure f;
    Status s = conn_->ExecuteScript(plan.Script(), nullptr, &f);
    ASSERT_TRUE(s.ok()) << s.ToString() << " in: " << f.statement << "\nplan:\n" << plan.Script();
    CAIRN_ASSERT_OK((*tx)->Commit());
  }
  std::vector<std::string> Column(const std::string& sql) {
    auto rows = conn_->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (rows.ok())
      for (const auto& r : *rows) out.push_back(r[0].AsText());
    return out;
  }
  // Live (after `initial`) -> desired -> back; checks both models exactly.
  // Returns the up plan.
  schema::Plan RoundTrip(const std::string& desired_sql) {
    Model before = Live();
    auto hints = schema::ParseHints("schema.sql", desired_sql, pg() ? "public" : "");
    EXPECT_TRUE(hints.ok()) << hints.status().ToString();
    Model desired = Desired(desired_sql);
    schema::Plan up = schema::Diff(before, desired, hints->renames);
    schema::Plan down = schema::Diff(desired, before, schema::Reverse(hints->renames));
    Apply(up);
    EXPECT_EQ(schema::Canonical(Live()), schema::Canonical(desired)) << up.Script();
    EXPECT_TRUE(schema::Diff(Live(), desired, {}).empty());
    Apply(down);
    EXPECT_EQ(schema::Canonical(Live()), schema::Canonical(before)) << down.Script();
    Apply(up);  // and forward again, to leave the database at the desired state
    EXPECT_EQ(schema::Canonical(Live()), schema::Canonical(desired));
    return up;
  }
  static bool HasStep(const schema::Plan& p, const std::string& prefix) {
    for (const auto& s : p.steps)
      if (s.description.rfind(prefix, 0) == 0) return true;
    return false;
  }
};

TEST_P(RunnerSchemaTest, IntrospectionReadsTablesColumnsConstraintsAndIndexes) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE authors (id INTEGER PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, "
      "  score INTEGER DEFAULT 0 CHECK (score >= 0));\n"
      "CREATE TABLE books (id INTEGER NOT NULL, author_id INTEGER NOT NULL REFERENCES authors (id) "
      "  ON DELETE CASCADE, title TEXT, PRIMARY KEY (id));\n"
      "CREATE INDEX books_title ON books (title) WHERE title IS NOT NULL;\n"
      "CREATE TABLE cairn_private (x INTEGER);\n");
  Model m = Live();
  ASSERT_EQ(m.tables.size(), 2u) << schema::Canonical(m);  // cairn_* excluded
  const schema::Table& a = m.tables.at(T("authors"));
  ASSERT_EQ(a.columns.size(), 3u);
  const schema::Column* email = a.FindColumn("email");
  ASSERT_NE(email, nullptr);
  EXPECT_TRUE(email->not_null);
  EXPECT_THAT(email->type, HasSubstr(pg() ? "character varying(80)" : "varchar(80)"));
  ASSERT_TRUE(a.FindColumn("score")->default_expr.has_value());
  EXPECT_EQ(*a.FindColumn("score")->default_expr, "0");
  int pk = 0, unique = 0, check = 0;
  for (const auto& c : a.constraints) {
    pk += c.kind == schema::ConstraintKind::kPrimaryKey;
    unique += c.kind == schema::ConstraintKind::kUnique;
    check += c.kind == schema::ConstraintKind::kCheck;
    EXPECT_FALSE(c.name.empty());
  }
  EXPECT_EQ(pk, 1);
  EXPECT_EQ(unique, 1);
  EXPECT_EQ(check, 1);
  const schema::Table& b = m.tables.at(T("books"));
  const schema::Constraint* fk = nullptr;
  for (const auto& c : b.constraints)
    if (c.kind == schema::ConstraintKind::kForeignKey) fk = &c;
  ASSERT_NE(fk, nullptr);
  EXPECT_EQ(fk->ref_table, T("authors"));
  EXPECT_EQ(fk->columns, std::vector<std::string>{"author_id"});
  EXPECT_EQ(fk->ref_columns, std::vector<std::string>{"id"});
  EXPECT_EQ(fk->on_delete, "cascade");
  ASSERT_EQ(b.indexes.size(), 1u);
  EXPECT_EQ(b.indexes[0].name, "books_title");
  EXPECT_THAT(b.indexes[0].definition, HasSubstr(pg() ? "WHERE" : "where"));
  // The model survives a trip through the desired-state loader unchanged,
  // and the fingerprint is stable.
  EXPECT_EQ(schema::Fingerprint(m), schema::Fingerprint(Live()));
  schema::Model empty;
  empty.backend = GetParam();
  schema::Plan create = schema::Diff(empty, m, {});
  EXPECT_EQ(schema::Canonical(Desired(create.Script())), schema::Canonical(m)) << create.Script();
}

TEST_P(RunnerSchemaTest, PostgresEnumsArraysAndOtherSchemas) {
  if (!conn_ || !pg()) return;  // enums, arrays and schemas are PostgreSQL's
  Exec(
      "CREATE SCHEMA app;\n"
      "CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');\n"
      "CREATE TABLE app.people (id serial PRIMARY KEY, tags text[] NOT NULL DEFAULT '{}', "
      "  mood app.mood);\n");
  Model m = Live();
  ASSERT_TRUE(m.enums.count("app.mood")) << schema::Canonical(m);
  EXPECT_EQ(m.enums.at("app.mood").labels, (std::vector<std::string>{"sad", "ok", "happy"}));
  const schema::Table& t = m.tables.at("app.people");
  EXPECT_EQ(t.FindColumn("id")->type, "serial");
  EXPECT_TRUE(t.FindColumn("tags")->array);
  EXPECT_EQ(t.FindColumn("mood")->enum_type, "app.mood");
}

// Key columns keep their declared order (not the table's), survive dropped
// columns before them, and are named even when the referenced table is not
// in the model (cairn_* tables are left out of it).
TEST_P(RunnerSchemaTest, KeyColumnsInKeyOrderAcrossDroppedColumnsAndOutsideTables) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE cairn_outside (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (b, a));\n"
      "CREATE TABLE parent (gone INTEGER, x INTEGER NOT NULL, y INTEGER NOT NULL, "
      "  PRIMARY KEY (y, x));\n"
      "CREATE TABLE child (gone INTEGER, p INTEGER, q INTEGER, o1 INTEGER, o2 INTEGER, "
      "  UNIQUE (q, p), FOREIGN KEY (q, p) REFERENCES parent (y, x), "
      "  FOREIGN KEY (o2, o1) REFERENCES cairn_outside (b, a));\n");
  if (pg()) Exec("ALTER TABLE parent DROP COLUMN gone; ALTER TABLE child DROP COLUMN gone;");
  Model m = Live();
  ASSERT_EQ(m.tables.size(), 2u) << schema::Canonical(m);
  for (const auto& c : m.tables.at(T("parent")).constraints)
    if (c.kind == schema::ConstraintKind::kPrimaryKey)
      EXPECT_EQ(c.columns, (std::vector<std::string>{"y", "x"}));
  int fks = 0, uniques = 0;
  for (const auto& c : m.tables.at(T("child")).constraints) {
    if (c.kind == schema::ConstraintKind::kUnique) {
      ++uniques;
      EXPECT_EQ(c.columns, (std::vector<std::string>{"q", "p"}));
    }
    if (c.kind != schema::ConstraintKind::kForeignKey) continue;
    ++fks;
    if (c.ref_table == T("parent")) {
      EXPECT_EQ(c.columns, (std::vector<std::string>{"q", "p"}));
      EXPECT_EQ(c.ref_columns, (std::vector<std::string>{"y", "x"}));
    } else {
      EXPECT_EQ(c.ref_table, T("cairn_outside"));
      EXPECT_EQ(c.columns, (std::vector<std::string>{"o2", "o1"}));
      EXPECT_EQ(c.ref_columns, (std::vector<std::string>{"b", "a"}));
    }
  }
  EXPECT_EQ(fks, 2);
  EXPECT_EQ(uniques, 1);
}

TEST_P(RunnerSchemaTest, CanonicalFormIgnoresColumnOrder) {
  if (!conn_) return;
  EXPECT_EQ(schema::Canonical(Desired("CREATE TABLE t (a INTEGER, b TEXT);")),
            schema::Canonical(Desired("CREATE TABLE t (b TEXT, a INTEGER);")));
  EXPECT_NE(schema::Canonical(Desired("CREATE TABLE t (a INTEGER, b TEXT);")),
            schema::Canonical(Desired("CREATE TABLE t (a INTEGER, b TEXT NOT NULL);")));
}

TEST_P(RunnerSchemaTest, CreateAndDropTablesIndexesAndColumns) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
      "INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob');\n"
      "CREATE TABLE old_stuff (x INTEGER);\n");
  schema::Plan up = RoundTrip(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT DEFAULT 'none');\n"
      "CREATE INDEX users_name ON users (name);\n"
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n");
  EXPECT_TRUE(HasStep(up, "create table"));
  EXPECT_TRUE(HasStep(up, "drop table"));
  EXPECT_TRUE(HasStep(up, "create index"));
  EXPECT_EQ(Column("SELECT name FROM users ORDER BY id"), (std::vector<std::string>{"ada", "bob"}));
  EXPECT_EQ(Column("SELECT email FROM users ORDER BY id"),
            (std::vector<std::string>{"none", "none"}));
}

TEST_P(RunnerSchemaTest, NotNullChangeKeepsRows) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
      "INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob');\n");
  schema::Plan up = RoundTrip("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);");
  EXPECT_TRUE(HasStep(up, pg() ? "alter column" : "rebuild table"));
  EXPECT_EQ(Column("SELECT name FROM users ORDER BY id"), (std::vector<std::string>{"ada", "bob"}));
}

TEST_P(RunnerSchemaTest, TypeChangeConvertsTheData) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE prices (id INTEGER PRIMARY KEY, amount TEXT);\n"
      "INSERT INTO prices (id, amount) VALUES (1, '42'), (2, '7');\n");
  schema::Plan up = RoundTrip("CREATE TABLE prices (id INTEGER PRIMARY KEY, amount INTEGER);");
  if (pg()) EXPECT_THAT(up.Script(), HasSubstr("USING \"amount\"::integer"));
  EXPECT_EQ(Column("SELECT amount + 1 FROM prices ORDER BY id"),
            (std::vector<std::string>{"43", "8"}));
}

TEST_P(RunnerSchemaTest, SqliteRebuildKeepsRowsAndForeignKeys) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE teams (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER, name TEXT, junk TEXT);\n"
      "CREATE INDEX players_name ON players (name);\n"
      "INSERT INTO teams (id) VALUES (1);\n"
      "INSERT INTO players (id, team_id, name, junk) VALUES (1, 1, 'ann', 'x'), (2, 1, 'ben', "
      "'y');\n");
  const char* desired =
      "CREATE TABLE teams (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id), "
      "  name TEXT NOT NULL CHECK (length(name) > 0));\n"
      "CREATE INDEX players_name ON players (name);\n";
  Model before = Live();
  schema::Plan up = schema::Diff(before, Desired(desired), {});
  if (!pg()) EXPECT_TRUE(HasStep(up, "rebuild table players")) << up.Script();
  Apply(up);
  Model after = Live();
  EXPECT_EQ(schema::Canonical(after), schema::Canonical(Desired(desired)));
  EXPECT_EQ(Column("SELECT name FROM players ORDER BY id"),
            (std::vector<std::string>{"ann", "ben"}));
  bool has_fk = false;
  for (const auto& c : after.tables.at(T("players")).constraints)
    has_fk |= c.kind == schema::ConstraintKind::kForeignKey && c.ref_table == T("teams");
  EXPECT_TRUE(has_fk);
  EXPECT_EQ(after.tables.at(T("players")).indexes.size(), 1u);
  // Back again: the dropped column returns (empty), the rows stay.
  Apply(schema::Diff(after, before, {}));
  EXPECT_EQ(schema::Canonical(Live()), schema::Canonical(before));
  EXPECT_EQ(Column("SELECT name FROM players ORDER BY id"),
            (std::vector<std::string>{"ann", "ben"}));
}

TEST_P(RunnerSchemaTest, DeclaredColumnRenameKeepsDataUndeclaredIsDropAndAdd) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, nick TEXT);\n"
      "INSERT INTO users (id, nick) VALUES (1, 'ada');\n");
  const std::string body = "CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT);\n";
  Model before = Live();
  schema::Plan undeclared = schema::Diff(before, Desired(body), {});
  EXPECT_FALSE(HasStep(undeclared, "rename"));
  if (pg()) {
    EXPECT_TRUE(HasStep(undeclared, "drop column"));
    EXPECT_TRUE(HasStep(undeclared, "add column"));
  }
  schema::Plan up = RoundTrip("-- cairn:rename-column users nick handle\n" + body);
  EXPECT_TRUE(HasStep(up, "rename column"));
  EXPECT_EQ(Column("SELECT handle FROM users"), std::vector<std::string>{"ada"});
}

TEST_P(RunnerSchemaTest, DeclaredTableRenameKeepsData) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE people (id INTEGER, name TEXT);\n"
      "INSERT INTO people (id, name) VALUES (1, 'ada');\n");
  schema::Plan up = RoundTrip(
      "-- cairn:rename-table people persons\n"
      "CREATE TABLE persons (id INTEGER, name TEXT);\n");
  EXPECT_TRUE(HasStep(up, "rename table"));
  EXPECT_EQ(Column("SELECT name FROM persons"), std::vector<std::string>{"ada"});
}

TEST_P(RunnerSchemaTest, BadHintNamesFileAndLine) {
  if (!conn_) return;
  auto h =
      schema::ParseHints("schema.sql", "CREATE TABLE t (a INTEGER);\n-- cairn:renam t u\n", "");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("schema.sql:2:"));
  auto bad = schema::LoadDesiredSchema(conn_->url(), "schema.sql",
                                       "CREATE TABLE t (a INTEGER);\n\nCREATE TABLEX u;\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("schema.sql:3:"));
}

TEST_P(RunnerSchemaTest, ForeignKeyCyclesAreReportedAndStillApplied) {
  if (!conn_) return;
  Exec("CREATE TABLE keep (id INTEGER PRIMARY KEY);");
  schema::Plan up = RoundTrip(
      "CREATE TABLE keep (id INTEGER PRIMARY KEY);\n"
      "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER);\n"
      "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));\n" +
      std::string(
          pg() ? "ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id);\n"
               : "DROP TABLE a; CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER "
                 "REFERENCES b (id));\n"));
  ASSERT_EQ(up.cycles.size(), 1u) << up.Script();
  EXPECT_THAT(up.cycles[0], HasSubstr(T("a")));
  EXPECT_THAT(up.cycles[0], HasSubstr(T("b")));
  EXPECT_THAT(up.Script(), HasSubstr("cycle"));
}

TEST_P(RunnerSchemaTest, EnumAddValue) {
  if (!conn_ || !pg()) return;  // enum types are PostgreSQL's
  Exec(
      "CREATE TYPE mood AS ENUM ('sad', 'happy');\n"
      "CREATE TABLE people (id INTEGER PRIMARY KEY, mood mood);\n"
      "INSERT INTO people VALUES (1, 'sad'), (2, 'happy');\n");
  Model before = Live();
  Model desired = Desired(
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'elated');\n"
      "CREATE TABLE people (id INTEGER PRIMARY KEY, mood mood);\n");
  schema::Plan up = schema::Diff(before, desired, {});
  EXPECT_THAT(up.Script(), HasSubstr("ADD VALUE 'ok' AFTER 'sad'"));
  Apply(up);
  EXPECT_EQ(schema::Canonical(Live()), schema::Canonical(desired));
  EXPECT_EQ(Column("SELECT mood::text FROM people ORDER BY id"),
            (std::vector<std::string>{"sad", "happy"}));
}

TEST_P(RunnerSchemaTest, EnumRemoveValueRewritesDependentColumns) {
  if (!conn_ || !pg()) return;
  Exec(
      "CREATE TYPE mood AS ENUM ('sad', 'meh', 'happy');\n"
      "CREATE TABLE people (id INTEGER PRIMARY KEY, mood mood NOT NULL DEFAULT 'happy', "
      "  past mood[]);\n"
      "INSERT INTO people VALUES (1, 'sad', '{sad,happy}'), (2, 'happy', NULL);\n");
  schema::Plan up = RoundTrip(
      "CREATE TYPE mood AS ENUM ('sad', 'happy');\n"
      "CREATE TABLE people (id INTEGER PRIMARY KEY, "
      "  mood mood NOT NULL DEFAULT 'happy', past mood[]);\n");
  EXPECT_TRUE(HasStep(up, "recreate enum public.mood"));
  EXPECT_EQ(Column("SELECT mood::text FROM people ORDER BY id"),
            (std::vector<std::string>{"sad", "happy"}));
  EXPECT_EQ(Column("SELECT past::text FROM people WHERE id = 1"),
            std::vector<std::string>{"{sad,happy}"});
}

// Seeded random pairs of schemas: up gives B exactly, down gives A back,
// rows in surviving columns are kept.
TEST_P(RunnerSchemaTest, RandomSchemaPairsRoundTrip) {
  if (!conn_) return;
  std::mt19937 rng(20261121);
  auto random_schema = [&](int salt) {
    std::string sql;
    const char* types[] = {"INTEGER", "TEXT", "REAL"};
    for (int t = 0; t < 3; ++t) {
      if (rng() % 4 == 0 && t > 0) continue;  // sometimes no table
      sql += "CREATE TABLE t" + std::to_string(t) + " (id INTEGER PRIMARY KEY";
      for (int c = 0; c < 4; ++c) {
        if (rng() % 2) continue;
        sql += ", c" + std::to_string(c) + " " + types[(rng() + salt) % 3];
        if (rng() % 3 == 0) sql += " NOT NULL DEFAULT 1";
      }
      if (t > 0 && rng() % 2) sql += ", ref INTEGER REFERENCES t0 (id)";
      sql += ");\n";
      if (rng() % 2)
        sql += "CREATE INDEX t" + std::to_string(t) + "_id ON t" + std::to_string(t) + " (id);\n";
    }
    if (sql.find("CREATE TABLE t0 ") == std::string::npos)
      sql = "CREATE TABLE t0 (id INTEGER PRIMARY KEY);\n" + sql;
    return sql;
  };
  // Each round creates two scratch databases: fewer rounds on PostgreSQL,
  // where that costs a CREATE DATABASE each.
  const int rounds = pg() ? 3 : 6;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Model a = Desired(random_schema(round)), b = Desired(random_schema(round + 1));
    schema::Model empty;
    empty.backend = GetParam();
    Apply(schema::Diff(Live(), a, {}));
    ASSERT_EQ(schema::Canonical(Live()), schema::Canonical(a));
    Exec("INSERT INTO t0 (id) VALUES (" + std::to_string(100 + round) + ")");
    Apply(schema::Diff(a, b, {}));
    EXPECT_EQ(schema::Canonical(Live()), schema::Canonical(b));
    Apply(schema::Diff(b, a, {}));
    EXPECT_EQ(schema::Canonical(Live()), schema::Canonical(a));
    EXPECT_EQ(Column("SELECT id FROM t0"), std::vector<std::string>{std::to_string(100 + round)});
    Apply(schema::Diff(a, empty, {}));
    ASSERT_TRUE(Live().tables.empty());
  }
}

runner::Migration M(const std::string& file, const std::string& text) {
  auto m = runner::ParseMigration(file, file, text);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

std::vector<runner::Migration> ThreeMigrations() {
  return {M("0001_users.sql", "-- cairn:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n"),
          M("0002_posts.sql",
            "-- cairn:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);\n"
            "CREATE INDEX posts_body ON posts (body);\n"),
          M("0003_seed.sql", "-- cairn:up\nINSERT INTO users (id) VALUES (1);\n"),
          M("0004_email.sql", "-- cairn:up\nALTER TABLE users ADD COLUMN email TEXT;\n")};
}

TEST_P(RunnerSchemaTest, DetectExistingSchemaFindsTheLongestMatchingPrefix) {
  if (!conn_) return;
  Exec(
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);\n"
      "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
      "CREATE INDEX posts_body ON posts (body);\n");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto r, runner::DetectExistingSchema(*conn_, ThreeMigrations()));
  EXPECT_TRUE(r.has_tables);
  ASSERT_TRUE(r.matched) << ::testing::PrintToString(r.differences);
  EXPECT_EQ(r.matched_count, 3);  // 0003 changes no schema: 2 and 3 both match
  EXPECT_EQ(r.matched_id, "0003");
  EXPECT_EQ(r.all_matching_counts, (std::vector<int>{2, 3}));
  EXPECT_FALSE(r.error.has_value());
  EXPECT_TRUE(Live().tables.count(T("posts")));  // the target was only read
}

TEST_P(RunnerSchemaTest, DetectExistingSchemaReportsAPartiallyMigratedDatabase) {
  if (!conn_) return;
  // 0001 and half of 0002: the table, not its index; plus a stray column.
  Exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, legacy TEXT);\n"
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);\n");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto r, runner::DetectExistingSchema(*conn_, ThreeMigrations()));
  EXPECT_FALSE(r.matched);
  EXPECT_EQ(r.closest_id, "0002");
  EXPECT_THAT(r.differences, Contains(HasSubstr("- index")));
  EXPECT_THAT(r.differences, Contains(HasSubstr("+ column " + T("users") + ".legacy")));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerSchemaTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
