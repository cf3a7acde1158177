// Reading other tools' files exactly as the tools read them
// (docs/formats.md): the same tricky dbmate files applied and rolled back by
// the real dbmate and by cairn into two SQLite databases whose schemas must
// be equal, and files dbmate refuses refused by cairn with one line naming
// the file and line.
#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The user schema of a database, without the tools' own tables: on SQLite
// each object's type, name and SQL; on PostgreSQL each column, index and
// view of the current schema.
std::string Schema(const std::string& url_text) {
  auto url = db::ParseDatabaseUrl(url_text);
  if (!url.ok()) return "";
  auto conn = db::Connection::Open(*url);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  if (!conn.ok()) return "";
  const bool sqlite = (*conn)->backend() == db::Backend::kSqlite;
  auto rows = (*conn)->Query(
      sqlite ? "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_schema WHERE "
               "name NOT LIKE 'sqlite_%' AND name NOT LIKE 'cairn%' AND name <> "
               "'schema_migrations' ORDER BY type, name"
             : "SELECT * FROM (SELECT 'column ' || table_name || '.' || column_name || ' ' || "
               "data_type AS d FROM information_schema.columns WHERE table_schema = "
               "current_schema() AND table_name NOT LIKE 'cairn%' AND table_name <> "
               "'schema_migrations' UNION ALL SELECT 'index ' || indexname || ': ' || indexdef "
               "FROM pg_indexes WHERE schemaname = current_schema() AND tablename NOT LIKE "
               "'cairn%' AND tablename <> 'schema_migrations' UNION ALL SELECT 'view ' || "
               "table_name || ': ' || view_definition FROM information_schema.views WHERE "
               "table_schema = current_schema()) s ORDER BY d");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  std::string out;
  if (rows.ok())
    for (const db::Row& r : *rows) out += r[0].AsText() + "\n";
  return out;
}
std::string SqliteSchema(const std::string& file) { return Schema("sqlite:" + file); }

class RunnerDbmateFidelityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dbmate_ = DbmateBinary();
    if (dbmate_.empty()) {
      const char* req = std::getenv("CAIRN_REQUIRE_PG");
      if (req && std::string(req) == "1") FAIL() << "dbmate is not installed (npm install dbmate)";
      GTEST_SKIP() << "dbmate not installed; run scripts/install-deps.sh or set CAIRN_DBMATE";
    }
  }
  std::string Dir() const { return dir_.File("m"); }
  void Write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(Dir());
    WriteFile(Dir() + "/" + name, text);
  }
  ProcessResult Dbmate(const std::string& db, const std::string& command) {
    return DbmateAt("sqlite:" + db, command);
  }
  ProcessResult DbmateAt(std::string url, const std::string& command) {
    if (url.rfind("postgres", 0) == 0)
      url += url.find('?') == std::string::npos ? "?sslmode=disable" : "&sslmode=disable";
    return RunProcess(
        {dbmate_, "--url", url, "--migrations-dir", Dir(), "--no-dump-schema", command});
  }
  ProcessResult Cairn(const std::string& db, const std::vector<std::string>& args) {
    return RunCairn("sqlite:" + db, Dir(), args);
  }
  void CompareOnTrickyFiles(const std::string& a, const std::string& b);
  std::string dbmate_;
  TempDir dir_;
};

// The tricky folder applied and rolled back by dbmate at `a` and by cairn at
// `b`; the schemas must be equal after each.
void RunnerDbmateFidelityTest::CompareOnTrickyFiles(const std::string& a, const std::string& b) {
  // An indented marker is SQL (a comment) inside the statement, not a marker.
  Write("20240101000001_items.sql",
        "-- a header comment\n"
        "   -- an indented one\n"
        "\n"
        "-- migrate:up\n"
        "CREATE TABLE items (\n"
        "    id integer primary key,\n"
        "    -- migrate:down is not a marker when indented\n"
        "    name text\n"
        ");\n"
        "-- migrate:upgrade notes: not a marker either\n"
        "-- migrate:down\n"
        "DROP TABLE items;\n");
  // No space after "--", a tab, options on both markers.
  Write("20240101000002_tags.sql",
        "--migrate:up transaction:false\n"
        "CREATE TABLE tags (id integer primary key, label text);\n"
        "CREATE INDEX tags_label ON tags (label);\n"
        "--\tmigrate:down transaction:false\n"
        "DROP INDEX tags_label;\n"
        "DROP TABLE tags;\n");
  // CRLF line ends; an option on the down marker only, the up one statement.
  Write("20240101000003_crlf.sql",
        "-- migrate:up\r\nALTER TABLE items ADD COLUMN price integer;\r\n"
        "-- migrate:down transaction:false\r\nALTER TABLE items DROP COLUMN price;\r\n");
  // An empty down section: dbmate's rollback does nothing.
  Write("20240101000004_view.sql",
        "-- migrate:up\nCREATE VIEW item_names AS SELECT name FROM items;\n-- migrate:down\n");
  Write("20240101000005_more.sql",
        "-- migrate:up   \n"
        "CREATE TABLE notes (body text); -- migrate:down after SQL is a comment\n"
        "INSERT INTO notes VALUES ('-- migrate:down inside a string');\n"
        "-- migrate:down  \n"
        "DROP TABLE notes;\n");

  ProcessResult d = DbmateAt(a, "migrate");
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  ProcessResult c = RunCairn(b, Dir(), {"--format", "dbmate", "migrate"});
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  const std::string applied = Schema(a);
  EXPECT_THAT(applied, HasSubstr("name"));  // the indented marker did not cut the table
  if (a.rfind("sqlite:", 0) == 0)
    EXPECT_THAT(applied, HasSubstr("-- migrate:down is not a marker when indented"));
  EXPECT_THAT(applied, HasSubstr("price"));
  EXPECT_EQ(Schema(b), applied);
  // The folder is recognised without --format too.
  c = RunCairn(b, Dir(), {"status"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;

  // Roll back the last four, one at a time under dbmate.
  for (int i = 0; i < 4; ++i) {
    d = DbmateAt(a, "rollback");
    ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  }
  c = RunCairn(b, Dir(), {"--format", "dbmate", "rollback", "--steps", "4"});
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  const std::string rolled_back = Schema(a);
  EXPECT_THAT(rolled_back, HasSubstr("item_names"));  // the empty down left the view
  EXPECT_THAT(rolled_back, Not(HasSubstr("price")));
  EXPECT_EQ(Schema(b), rolled_back);
}

TEST_F(RunnerDbmateFidelityTest, TrickyFilesLeaveTheSchemaDbmateLeaves) {
  CompareOnTrickyFiles("sqlite:" + dir_.File("dbmate.db"), "sqlite:" + dir_.File("cairn.db"));
}

TEST_F(RunnerDbmateFidelityTest, TrickyFilesLeaveTheSchemaDbmateLeavesOnPostgres) {
  auto a = TestDatabase::Create(db::Backend::kPostgres);
  if (!a) return;
  auto b = TestDatabase::Create(db::Backend::kPostgres);
  ASSERT_TRUE(b);
  CompareOnTrickyFiles(a->url(), b->url());
}

// Files dbmate refuses (or fails on): cairn refuses them too, before running
// anything, with one line naming the file and, where there is one, the line.
TEST_F(RunnerDbmateFidelityTest, FilesDbmateRejectsAreRefused) {
  struct Case {
    std::string text, error;
  };
  const std::vector<Case> cases = {
      // The file: the indented marker is part of the up section, so
      // there is no down section at all.
      {"-- migrate:up\nCREATE TABLE t (x integer);\nALTER TABLE t ADD COLUMN y integer;\n"
       "    -- migrate:down\nALTER TABLE t DROP COLUMN y;\n",
       "1_bad.sql: missing '-- migrate:down'"},
      {"CREATE TABLE t (x integer);\n-- migrate:up\nSELECT 1;\n-- migrate:down\n",
       "1_bad.sql:1: statement before '-- migrate:up'"},
      {"/* a block comment */\n-- migrate:up\nSELECT 1;\n-- migrate:down\n",
       "1_bad.sql:1: statement before"},
      {"-- migrate:down\n-- migrate:up\nCREATE TABLE t (x integer);\n",
       "1_bad.sql:1: '-- migrate:down' before '-- migrate:up'"},
      {"-- migrate:up\nCREATE TABLE t (x integer);\n-- migrate:down\nDROP TABLE t;\n"
       "-- migrate:down\nCREATE TABLE u (x integer);\n",
       "1_bad.sql:5: second '-- migrate:down'"},
      {"-- migrate:up\nCREATE TABLE t (x integer);\n-- migrate:down\nDROP TABLE t;\n"
       "-- migrate:up\nCREATE TABLE u (x integer);\n-- migrate:down\nDROP TABLE u;\n",
       "1_bad.sql:5: second '-- migrate:up'"},
      {"--\nmigrate:up\nCREATE TABLE t (x integer);\n-- migrate:down\nDROP TABLE t;\n",
       "1_bad.sql:2: '--' and 'migrate:up' on separate lines"},
      {"-- Migrate:Up\nCREATE TABLE t (x integer);\n-- migrate:down\n",
       "1_bad.sql: missing '-- migrate:up'"},
      {"-- migrate:up\rCREATE TABLE t (x integer);\r-- migrate:down\rDROP TABLE t;\r",
       "1_bad.sql:1: a line ends in a lone carriage return"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    std::filesystem::remove_all(Dir());
    Write("1_bad.sql", cases[i].text);
    const std::string a = dir_.File("d" + std::to_string(i) + ".db");
    const std::string b = dir_.File("c" + std::to_string(i) + ".db");
    ProcessResult d = Dbmate(a, "migrate");
    EXPECT_NE(d.exit_code, 0) << "dbmate accepted it: " << d.out << d.err;
    ProcessResult c = Cairn(b, {"--format", "dbmate", "migrate"});
    EXPECT_EQ(c.exit_code, 3) << c.out << c.err;
    auto lines = LinesStartingWith(c.err, "cairn: error:");
    ASSERT_EQ(lines.size(), 1u) << c.err;
    EXPECT_THAT(lines[0], HasSubstr(cases[i].error));
    EXPECT_EQ(SqliteSchema(b), "");
  }
}

// cairn runs a migration's two sections in one mode. Where dbmate's markers
// differ and the section dbmate runs in a transaction has several
// statements, cairn refuses rather than run it without one.
TEST_F(RunnerDbmateFidelityTest, MixedTransactionModesAreRefusedWhenTheyMatter) {
  Write("1_mixed.sql",
        "-- migrate:up transaction:false\nCREATE TABLE t (x integer);\n-- migrate:down\n"
        "DELETE FROM t;\nDROP TABLE t;\n");
  ProcessResult c = Cairn(dir_.File("c.db"), {"--format", "dbmate", "migrate"});
  EXPECT_EQ(c.exit_code, 3) << c.out << c.err;
  auto lines = LinesStartingWith(c.err, "cairn: error:");
  ASSERT_EQ(lines.size(), 1u) << c.err;
  EXPECT_THAT(lines[0], HasSubstr("1_mixed.sql:3: dbmate runs this down section of 2 statements"));
  // The unknown-option refusal names the line.
  Write("1_mixed.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:maybe\nSELECT 2;\n");
  c = Cairn(dir_.File("c.db"), {"--format", "dbmate", "migrate"});
  lines = LinesStartingWith(c.err, "cairn: error:");
  ASSERT_EQ(lines.size(), 1u) << c.err;
  EXPECT_THAT(lines[0], HasSubstr("1_mixed.sql:3: unsupported dbmate option 'transaction:maybe'"));
}

// ---- sqlx and goose, on both backends ------------------------------------

std::string LogSql(const std::string& step) {
  return "INSERT INTO fmt_log (step) VALUES ('" + step + "');\n";
}
const char kCreateLog[] = "CREATE TABLE fmt_log (step VARCHAR(40));\n";

class RunnerFormatsTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    pg_ = GetParam() == db::Backend::kPostgres;
  }
  std::string Dir() const { return dir_.path() + "/m"; }
  void Write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(Dir());
    WriteFile(Dir() + "/" + name, text);
  }
  ProcessResult Cairn(const std::vector<std::string>& args) {
    return RunCairn(tdb_->url(), Dir(), args);
  }
  void Exec(const std::string& sql) { ExecScript(*tdb_, sql); }
  std::map<std::string, int64_t> Log() {
    auto conn = tdb_->Connect();
    auto rows = conn->Query("SELECT step, count(*) FROM fmt_log GROUP BY step");
    std::map<std::string, int64_t> out;
    if (rows.ok())
      for (const db::Row& r : *rows) out[r[0].AsText()] = r[1].AsInt();
    return out;
  }
  std::vector<std::string> Ids(const ProcessResult& r, const std::string& verb) {
    std::vector<std::string> out;
    for (const std::string& l : LinesStartingWith(r.out, verb + " "))
      out.push_back(l.substr(verb.size() + 1));
    return out;
  }
  void ExpectOneError(const ProcessResult& r, int code, const std::string& needle) {
    EXPECT_EQ(r.exit_code, code) << r.out << r.err;
    auto lines = LinesStartingWith(r.err, "cairn: error:");
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_THAT(lines[0], HasSubstr(needle));
  }
  std::unique_ptr<TestDatabase> tdb_;
  bool pg_ = false;
  TempDir dir_;
};

// SHA-384 of a file's bytes by coreutils, independent of cairn's.
std::string Sha384sum(const std::string& path) {
  ProcessResult r = RunProcess({"/usr/bin/sha384sum", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, 96);
}

// _sqlx_migrations as sqlx creates it on each backend, and one of its rows.
std::string SqlxTable(bool pg) {
  return std::string(
             "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT "
             "NOT NULL, installed_on ") +
         (pg ? "TIMESTAMPTZ NOT NULL DEFAULT now()"
             : "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP") +
         ", success BOOLEAN NOT NULL, checksum " + (pg ? "BYTEA" : "BLOB") +
         " NOT NULL, execution_time BIGINT NOT NULL);\n";
}
std::string SqlxRow(bool pg, int version, const std::string& desc, const std::string& sha,
                    bool success) {
  return "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, "
         "execution_time) VALUES (" +
         std::to_string(version) + ", '" + desc + "', '2024-05-0" + std::to_string(version) +
         " 08:00:00" + (pg ? "+00" : "") + "', " + (success ? "TRUE" : "FALSE") + ", " +
         (pg ? "decode('" + sha + "', 'hex')" : "X'" + sha + "'") + ", 1234567);\n";
}

TEST_P(RunnerFormatsTest, SqlxFolderRunsRollsBackAndIsAdopted) {
  if (!tdb_) return;
  Write("1_create_log.sql", std::string(kCreateLog) + LogSql("1"));  // simple: up only
  Write("2_second.up.sql", LogSql("2"));
  Write("2_second.down.sql", "DELETE FROM fmt_log WHERE step = '2';\n");
  Write("3_index.up.sql", std::string("-- no-transaction\n") +
                              (pg_ ? "CREATE INDEX CONCURRENTLY fmt_log_step ON fmt_log (step);\n"
                                   : "CREATE INDEX fmt_log_step ON fmt_log (step);\n"));
  Write("3_index.down.sql", "-- no-transaction\nDROP INDEX fmt_log_step;\n");
  Write("10_tenth.up.sql", LogSql("10") + LogSql("10b"));
  Write("10_tenth.down.sql", "DELETE FROM fmt_log WHERE step LIKE '10%';\n");
  Write("README.md", "not a migration\n");
  Write("notes.sql", "ignored by sqlx: no '_' in the name\n");

  // Recognised without --format (the -- no-transaction files show sqlx).
  ProcessResult r = Cairn({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied"), (std::vector<std::string>{"1", "2", "3", "10"}));
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"10", 1}, {"10b", 1}}));
  std::vector<json> events = History(*tdb_, Dir());
  EXPECT_EQ(EventsOf(events, "migration_started", "3")[0]["outside_transaction"], true);
  EXPECT_EQ(EventsOf(events, "migration_started", "2")[0]["outside_transaction"], false);
  r = Cairn({"--format", "sqlx", "rollback", "--steps", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}}));
  // 1 is a simple migration: no down, so it cannot be rolled back.
  r = Cairn({"--format", "sqlx", "rollback"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;

  // Adopting: sqlx applied 1 and 2 on a fresh database.
  auto fresh = TestDatabase::Create(GetParam());
  ASSERT_TRUE(fresh);
  tdb_ = std::move(fresh);
  Exec(std::string(kCreateLog) + LogSql("1") + LogSql("2"));
  const std::string sha1 = Sha384sum(Dir() + "/1_create_log.sql");
  const std::string sha2 = Sha384sum(Dir() + "/2_second.up.sql");
  Exec(SqlxTable(pg_) + SqlxRow(pg_, 1, "create log", sha1, true) +
       SqlxRow(pg_, 2, "second", sha2, true));
  r = Cairn({"--format", "sqlx", "adopt"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  events = History(*tdb_, Dir());
  auto b = EventsOf(events, "migration_baselined", "2");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["source"], "sqlx");
  EXPECT_EQ(b[0]["original_checksum"], "sha384:" + sha2);
  EXPECT_EQ(b[0]["original_applied_at"].get<std::string>().substr(0, 19), "2024-05-02T08:00:00");
  r = Cairn({"--format", "sqlx", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied"), (std::vector<std::string>{"3", "10"}));
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"10", 1}, {"10b", 1}}));

  // A dirty row, and a file changed since sqlx ran it: refused, nothing written.
  for (int variant = 0; variant < 2; ++variant) {
    auto other = TestDatabase::Create(GetParam());
    ASSERT_TRUE(other);
    ExecScript(*other, SqlxTable(pg_) + SqlxRow(pg_, 1, "create log", sha1, true) +
                           SqlxRow(pg_, 2, "second", variant == 0 ? sha2 : sha1, variant != 0));
    r = RunCairn(other->url(), Dir(), {"--format", "sqlx", "adopt"});
    ExpectOneError(r, 20,
                   variant == 0 ? "version 2 has success = false"
                                : "2_second.up.sql changed since sqlx applied it");
    EXPECT_EQ(LedgerRows(*other), 0);
  }
}

// A plain sqlx folder matches no layout: cairn's error says what it saw and
// guesses; a cairn file, even a broken one, keeps cairn's error alone.
TEST_P(RunnerFormatsTest, AnUnrecognisedFolderGetsAGuess) {
  if (!tdb_) return;
  Write("20240101_init.sql", std::string(kCreateLog));
  Write("20240102_more.sql", LogSql("2"));
  ExpectOneError(Cairn({"migrate"}), 3,
                 "recognised 2 file(s) named <version>_<description>.sql without a cairn, dbmate "
                 "or goose marker: these look like sqlx files: use --format sqlx");
  ProcessResult r = Cairn({"--format", "sqlx", "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  Write("20240103_cairn.sql", "-- cairn:up\nSELECT 1;\n");
  r = Cairn({"status"});
  EXPECT_THAT(r.err, Not(HasSubstr("sqlx")));
}

TEST_P(RunnerFormatsTest, SqlxFilesSqlxRejectsAreRefused) {
  if (!tdb_) return;
  Write("1_a.sql", "SELECT 1;\n");
  Write("x1_b.sql", "SELECT 2;\n");
  ExpectOneError(Cairn({"--format", "sqlx", "migrate"}), 3,
                 "m/x1_b.sql: sqlx cannot read this version");
  std::filesystem::remove(Dir() + "/x1_b.sql");
  Write("2_c.down.sql", "SELECT 2;\n");
  ExpectOneError(Cairn({"--format", "sqlx", "migrate"}), 3, "m/2_c.down.sql: down file without");
  std::filesystem::remove(Dir() + "/2_c.down.sql");
  Write("01_d.sql", "SELECT 2;\n");
  ExpectOneError(Cairn({"--format", "sqlx", "migrate"}), 3, "duplicate migration version");
  std::filesystem::remove(Dir() + "/01_d.sql");
  Write("3_e.sql", "SELECT '\xff';\n");
  ExpectOneError(Cairn({"--format", "sqlx", "migrate"}), 3, "m/3_e.sql:1: not valid UTF-8");
  Write("3_e.sql", "SELECT 1;\n-- cairn:no-transaction\n");
  ExpectOneError(Cairn({"--format", "sqlx", "migrate"}), 3, "m/3_e.sql:2:");
  Write("3_e.up.sql", "-- no-transaction\nSELECT 1;\n");
  std::filesystem::remove(Dir() + "/3_e.sql");
  Write("3_e.down.sql", "SELECT 1;\nSELECT 2;\n");
  ExpectOneError(Cairn({"--format", "sqlx", "migrate"}), 3,
                 "m/3_e.down.sql:1: sqlx runs this down section of 2 statements");
}

// goose_db_version as goose creates it, with goose's first row.
std::string GooseTable(bool pg) {
  return std::string(
             pg ? "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT "
                  "NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default "
                  "now(), PRIMARY KEY(id));\n"
                : "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                  "version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp "
                  "TIMESTAMP DEFAULT (datetime('now')));\n") +
         "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, " + (pg ? "true" : "1") +
         ");\n";
}
std::string GooseRow(bool pg, const std::string& version, bool applied, int minute) {
  return "INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (" + version + ", " +
         (applied ? (pg ? "true" : "1") : (pg ? "false" : "0")) + ", '2024-06-01 10:0" +
         std::to_string(minute) + ":00');\n";
}

TEST_P(RunnerFormatsTest, GooseFolderRunsRollsBackAndIsAdopted) {
  if (!tdb_) return;
  Write("00001_create_log.sql", std::string("-- +goose Up\n") + kCreateLog + LogSql("1") +
                                    "\n-- +goose Down\nDROP TABLE fmt_log;\n");
  // A block with semicolons inside, kept as one statement.
  Write(
      "00002_block.sql",
      std::string("-- a comment before the annotations\n-- +goose Up\n-- +goose StatementBegin\n") +
          (pg_ ? "CREATE FUNCTION fmt_one() RETURNS integer AS $$\nBEGIN\n  RETURN 1;\nEND;\n"
                 "$$ LANGUAGE plpgsql;\n"
               : "CREATE VIEW fmt_view AS\n  SELECT step FROM fmt_log;\n") +
          "-- +goose StatementEnd\n" + LogSql("2") + "-- +goose Down\n-- +goose StatementBegin\n" +
          (pg_ ? "DROP FUNCTION fmt_one();\n" : "DROP VIEW fmt_view;\n") +
          "-- +goose StatementEnd\nDELETE FROM fmt_log WHERE step = '2';\n");
  // Lower-case annotations, outside a transaction.
  Write("00003_index.sql", std::string("-- +goose no transaction\n-- +goose up\n") +
                               (pg_ ? "CREATE INDEX CONCURRENTLY fmt_log_step ON fmt_log (step);\n"
                                    : "CREATE INDEX fmt_log_step ON fmt_log (step);\n") +
                               "-- +goose down\nDROP INDEX fmt_log_step;\n");
  // A timestamp version without Down: its rollback is a no-op.
  Write("20240101000004_no_down.sql", "-- +goose Up\n" + LogSql("4") + "-- +goose ENVSUB OFF\n");
  Write("main_test.go", "package migrations\n");

  ProcessResult r = Cairn({"migrate"});  // recognised without --format
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied"),
            (std::vector<std::string>{"00001", "00002", "00003", "20240101000004"}));
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"4", 1}}));
  std::vector<json> events = History(*tdb_, Dir());
  EXPECT_EQ(EventsOf(events, "migration_started", "00003")[0]["outside_transaction"], true);
  EXPECT_EQ(EventsOf(events, "migration_started", "00002")[0]["outside_transaction"], false);
  r = Cairn({"--format", "goose", "rollback", "--steps", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"4", 1}}));  // 4's down: nothing
  r = Cairn({"--format", "goose", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"4", 2}}));

  // Adopting goose's log: 1 and 2 applied; 3 applied then rolled back.
  auto fresh = TestDatabase::Create(GetParam());
  ASSERT_TRUE(fresh);
  tdb_ = std::move(fresh);
  Exec(std::string(kCreateLog) + LogSql("1") + LogSql("2") +
       (pg_ ? "CREATE FUNCTION fmt_one() RETURNS integer AS $$ BEGIN RETURN 1; END; $$ LANGUAGE "
              "plpgsql;\n"
            : "CREATE VIEW fmt_view AS SELECT step FROM fmt_log;\n"));
  Exec(GooseTable(pg_) + GooseRow(pg_, "1", true, 1) + GooseRow(pg_, "2", true, 2) +
       GooseRow(pg_, "3", true, 3) + GooseRow(pg_, "3", false, 4));
  r = Cairn({"--format", "goose", "adopt"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  events = History(*tdb_, Dir());
  ASSERT_EQ(EventsOf(events, "migration_baselined").size(), 2u);
  auto b = EventsOf(events, "migration_baselined", "00002");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["source"], "goose");
  EXPECT_EQ(b[0]["original_applied_at"].get<std::string>().substr(0, 19), "2024-06-01T10:02:00");
  r = Cairn({"--format", "goose", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied"), (std::vector<std::string>{"00003", "20240101000004"}));
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"4", 1}}));
}

TEST_P(RunnerFormatsTest, GooseFilesGooseRejectsOrCutsDifferentlyAreRefused) {
  if (!tdb_) return;
  struct Case {
    std::string text, error;
  };
  const std::vector<Case> cases = {
      {"-- +goose Up\n-- +goose ENVSUB ON\nSELECT 1;\n", "1_a.sql:2: '-- +goose ENVSUB ON'"},
      {"-- +goose Up\n  -- +goose Down\nSELECT 1;\n", "1_a.sql:2: goose annotation with leading"},
      {"-- +goose Up\n-- +goose Sideways\nSELECT 1;\n", "1_a.sql:2: unknown goose annotation"},
      {"SELECT 1;\n-- +goose Up\nSELECT 1;\n", "1_a.sql:1: SQL before '-- +goose Up'"},
      {"-- +goose Up\nSELECT 1\n-- +goose Down\nSELECT 2;\n", "1_a.sql:3: the up statement"},
      {"-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
       "1_a.sql:2: '-- +goose StatementBegin' without"},
      {"-- +goose Up\nSELECT 1;\n-- +goose Up\n", "1_a.sql:3: second '-- +goose Up'"},
      {"-- +goose Down\nSELECT 1;\n", "1_a.sql:1: '-- +goose Down' before"},
      {"SELECT 1;\n", "1_a.sql:1: SQL before"},
      // goose ends the statement at the ';' ending line 2, inside the string.
      {"-- +goose Up\nINSERT INTO t VALUES ('a;\nb');\n",
       "1_a.sql:1: goose cuts the up section into statements differently"},
      {"-- +goose Up\n-- +goose StatementBegin\n-- +goose StatementEnd\nSELECT 1;\n",
       "1_a.sql:3: empty StatementBegin/StatementEnd block"},
      {"-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 1; SELECT 2;\n",
       "1_a.sql:3: goose sends these 2 statements as one outside a transaction"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    std::filesystem::remove_all(Dir());
    Write("1_a.sql", cases[i].text);
    ExpectOneError(Cairn({"--format", "goose", "migrate"}), 3, cases[i].error);
    EXPECT_EQ(LedgerRows(*tdb_), 0);
  }
  std::filesystem::remove_all(Dir());
  Write("1_a.sql", "-- +goose Up\nSELECT 1;\n");
  Write("2_b.go", "package migrations\n");
  ExpectOneError(Cairn({"--format", "goose", "migrate"}), 3, "m/2_b.go: a goose Go migration");
}

// A UTF-8 byte order mark is read as each tool reads it: Flyway's reader
// drops it (small files and those read in blocks alike, in V, U and R
// scripts); golang-migrate sends the bytes as they are, which PostgreSQL
// rejects and SQLite skips. Checksums stay those of the files' bytes.
TEST_P(RunnerFormatsTest, AByteOrderMarkIsReadAsTheToolReadsIt) {
  if (!tdb_) return;
  const std::string bom = "\xEF\xBB\xBF";
  Write("V1__people.sql", bom + "CREATE TABLE people (id INT);\n");
  Write("U1__people.sql", bom + "DROP VIEW IF EXISTS people_view;\nDROP TABLE people;\n");
  std::string big = bom + "CREATE TABLE big (id INT);\n";
  int64_t rows = 0;  // over 1 MiB (kKeepInMemoryBytes): read in blocks, not whole
  for (; big.size() <= (size_t{1} << 20); ++rows)
    big += "INSERT INTO big VALUES (" + std::to_string(rows) + ");\n";
  Write("V2__big.sql", big);
  Write("U2__big.sql", bom + "DROP TABLE big;\n");
  Write("R__people_view.sql",
        bom +
            "DROP VIEW IF EXISTS people_view;\nCREATE VIEW people_view AS SELECT id FROM "
            "people;\n");
  ProcessResult r = Cairn({"--format", "flyway", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(TableExists(*tdb_, "big"));
  {
    auto conn = tdb_->Connect();
    auto n = conn->Query("SELECT count(*) FROM big");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ((*n)[0][0].AsInt(), rows);
  }
  r = Cairn({"--format", "flyway", "rollback", "--to", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(TableExists(*tdb_, "big"));
  EXPECT_FALSE(TableExists(*tdb_, "people"));

  std::filesystem::remove_all(Dir());
  Exec("DROP VIEW IF EXISTS people_view;");
  Write("1_gm.up.sql", bom + "CREATE TABLE gm (id INT);\n");
  Write("1_gm.down.sql", "DROP TABLE gm;\n");
  r = Cairn({"--format", "golang-migrate", "migrate"});
  if (pg_) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // as `migrate` against PostgreSQL fails
    EXPECT_THAT(r.err, HasSubstr("starts with the file's UTF-8 byte order mark")) << r.err;
    EXPECT_FALSE(TableExists(*tdb_, "gm"));
  } else {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(TableExists(*tdb_, "gm"));
  }
}

// A failing statement of a down file is reported in that file, at its line
// there (it was reported in the up file, at the down file's line).
TEST_P(RunnerFormatsTest, AFailingDownFileIsNamed) {
  if (!tdb_) return;
  for (const auto& [format, up, down] : {std::tuple<std::string, std::string, std::string>{
                                             "golang-migrate", "1_a.up.sql", "1_a.down.sql"},
                                         {"flyway", "V1__a.sql", "U1__a.sql"}}) {
    auto db = TestDatabase::Create(GetParam());
    ASSERT_TRUE(db);
    std::filesystem::remove_all(Dir());
    Write(up, "CREATE TABLE a (id INT);\n");
    Write(down, "DROP TABLE a;\n\nDROP TABLE nope;\n");
    ProcessResult r = RunCairn(db->url(), Dir(), {"--format", format, "migrate"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    r = RunCairn(db->url(), Dir(), {"--format", format, "rollback"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(Dir() + "/" + down + ":3: migration 1 failed")) << format;
    EXPECT_TRUE(TableExists(*db, "a")) << format;  // the failed down was rolled back
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerFormatsTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// A statement that cannot run in a transaction, in a section the tool runs
// in one: the tool fails on the file (dbmate on SQLite: "cannot VACUUM from
// within a transaction"), where cairn on its own would run the migration
// outside a transaction. cairn refuses it before running anything, naming
// the file, the statement's line in that file (down files of two-file
// layouts counted from their own first line) and the tool's marker.
TEST(RunnerFormatsRefusalTest, WhatTheToolCannotRunInATransactionIsRefused) {
  struct Case {
    std::string format;
    std::map<std::string, std::string> files;
    std::string error;  // empty: accepted
  };
  const std::vector<Case> cases = {
      {"dbmate",
       {{"1_a.sql",
         "-- migrate:up\nCREATE TABLE a (x int);\nVACUUM;\n-- migrate:down\nDROP TABLE a;\n"}},
       "m/1_a.sql: VACUUM at line 3 cannot run in the transaction dbmate runs this up section in "
       "(dbmate fails on it); mark the section '-- migrate:up transaction:false'"},
      {"dbmate",
       {{"1_a.sql",
         "-- migrate:up transaction:false\nVACUUM;\n-- migrate:down transaction:false\n"
         "VACUUM;\n"}},
       ""},
      {"goose",
       {{"1_a.sql",
         "-- +goose Up\nCREATE TABLE a (x int);\n-- +goose Down\nDROP TABLE a;\n"
         "CREATE INDEX CONCURRENTLY i ON b (x);\n"}},
       "m/1_a.sql: CREATE INDEX CONCURRENTLY at line 5 cannot run in the transaction goose runs "
       "this down section in (goose fails on it); mark the file '-- +goose NO TRANSACTION'"},
      {"sqlx",
       {{"1_a.up.sql", "CREATE TABLE a (x int);\n"},
        {"1_a.down.sql", "DROP TABLE a;\n\nVACUUM;\n"}},
       "m/1_a.down.sql: VACUUM at line 3 cannot run in the transaction sqlx runs this down "
       "section in (sqlx fails on it); begin the file with '-- no-transaction'"},
      {"golang-migrate",
       {{"1_a.up.sql", "CREATE TABLE a (x int);\nCREATE INDEX CONCURRENTLY i ON a (x);\n"}},
       "m/1_a.up.sql: CREATE INDEX CONCURRENTLY at line 2 cannot run in the transaction "
       "golang-migrate runs this up section in (golang-migrate fails on it); put the statement "
       "in a migration of its own"},
      // One statement alone: golang-migrate sends it outside a transaction
      // block on PostgreSQL, as cairn runs it.
      {"golang-migrate", {{"1_a.up.sql", "CREATE INDEX CONCURRENTLY i ON a (x);\n"}}, ""},
      {"flyway", {{"V1__a.sql", "-- an index\nCREATE INDEX CONCURRENTLY i ON a (x);\n"}}, ""},
      {"flyway",
       {{"V1__a.sql", "CREATE TABLE a (x int);\nCREATE INDEX CONCURRENTLY i ON a (x);\n"}},
       "m/V1__a.sql: CREATE INDEX CONCURRENTLY at line 2 cannot run in the transaction flyway"},
      {"diesel",
       {{"2024-01-01-000001_a/up.sql", "CREATE TABLE a (x int);\n"},
        {"2024-01-01-000001_a/down.sql", "DROP TABLE a;\nVACUUM;\n"}},
       "m/2024-01-01-000001_a/down.sql: VACUUM at line 2 cannot run in the transaction diesel "
       "runs this down section in (diesel fails on it); put 'run_in_transaction = false'"},
      {"diesel",
       {{"2024-01-01-000001_a/up.sql", "VACUUM;\n"},
        {"2024-01-01-000001_a/metadata.toml", "run_in_transaction = false\n"}},
       ""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + " (" + cases[i].format + ")");
    TempDir dir;
    for (const auto& [name, text] : cases[i].files) {
      std::filesystem::create_directories(
          std::filesystem::path(dir.File("m/" + name)).parent_path());
      WriteFile(dir.File("m/" + name), text);
    }
    // `plan` reads the folder and stops before running anything.
    ProcessResult r = RunCairn("sqlite:" + dir.File("t.db"), dir.File("m"),
                               {"--format", cases[i].format, "plan"});
    if (cases[i].error.empty()) {
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      continue;
    }
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    auto lines = LinesStartingWith(r.err, "cairn: error:");
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_THAT(lines[0], HasSubstr(dir.File(cases[i].error)));
  }
}

// ---- A realistic folder per format, cairn against the plain client --------
//
// Eleven migrations of a school's schema, written once and laid out as each
// tool lays them out (sqlx, goose, dbmate, golang-migrate, Flyway with undo
// scripts, diesel): tables with foreign keys, seed data whose strings hold
// ';' and '--', an index built outside a transaction (CONCURRENTLY on
// PostgreSQL, where the format can say so), a view, a trigger (a plpgsql
// function on PostgreSQL, a BEGIN ... END body on SQLite), a renamed
// column. cairn runs the folder; the plain client (sqlite3, psql) runs each
// section as the tool hands it over (in one transaction unless the file
// says otherwise) into a second database. The two must be equal after
// apply, after a file failing at its second statement, after a rollback,
// after applying again; an edited applied file is refused.

struct Step {
  std::string name, up, down;
  bool no_transaction = false;
};

// `no_transaction`: the format can run the index outside a transaction
// (CONCURRENTLY on PostgreSQL); otherwise a plain index in a transaction.
std::vector<Step> SchoolSteps(bool pg, bool no_transaction) {
  std::vector<Step> s = {
      {"schools", "CREATE TABLE schools (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n",
       "DROP TABLE schools;\n"},
      {"students",
       "CREATE TABLE students (id INTEGER PRIMARY KEY,\n"
       "  school_id INTEGER NOT NULL REFERENCES schools (id), full_name TEXT NOT NULL);\n"
       "CREATE INDEX students_school ON students (school_id);\n",
       "DROP INDEX students_school;\nDROP TABLE students;\n"},
      {"courses",
       "CREATE TABLE courses (id INTEGER PRIMARY KEY, code VARCHAR(12) NOT NULL, title TEXT);\n",
       "DROP TABLE courses;\n"},
      {"enrolments",
       "CREATE TABLE enrolments (student_id INTEGER NOT NULL REFERENCES students (id),\n"
       "  course_id INTEGER NOT NULL REFERENCES courses (id), PRIMARY KEY (student_id, "
       "course_id));\n",
       "DROP TABLE enrolments;\n"},
      {"seed",
       "INSERT INTO schools (id, name) VALUES (1, 'North; the old building'), (2, 'South -- "
       "annex');\n"
       "INSERT INTO courses (id, code, title) VALUES (1, 'MA-1', 'Maths /* one */'), (2, 'EN-1', "
       "'English');\n",
       "DELETE FROM courses;\nDELETE FROM schools;\n"},
      {"email",
       "ALTER TABLE students ADD COLUMN email TEXT;\n"
       "CREATE UNIQUE INDEX students_email ON students (email);\n",
       "DROP INDEX students_email;\nALTER TABLE students DROP COLUMN email;\n"},
      {"course_code",
       pg && no_transaction ? "CREATE INDEX CONCURRENTLY courses_code ON courses (code);\n"
                            : "CREATE INDEX courses_code ON courses (code);\n",
       pg && no_transaction ? "DROP INDEX CONCURRENTLY courses_code;\n"
                            : "DROP INDEX courses_code;\n",
       no_transaction},
      {"roster",
       "CREATE VIEW roster AS SELECT s.full_name, c.code FROM enrolments e\n"
       "  JOIN students s ON s.id = e.student_id JOIN courses c ON c.id = e.course_id;\n",
       "DROP VIEW roster;\n"},
      {"audit",
       pg ? "CREATE TABLE audit (what TEXT);\n"
            "CREATE FUNCTION students_audit() RETURNS trigger AS $$\nBEGIN\n"
            "  INSERT INTO audit (what) VALUES ('student ' || NEW.id);\n  RETURN NEW;\nEND;\n"
            "$$ LANGUAGE plpgsql;\n"
            "CREATE TRIGGER students_audit AFTER INSERT ON students FOR EACH ROW EXECUTE FUNCTION "
            "students_audit();\n"
          : "CREATE TABLE audit (what TEXT);\n"
            "CREATE TRIGGER students_audit AFTER INSERT ON students BEGIN\n"
            "  INSERT INTO audit (what) VALUES ('student ' || NEW.id);\nEND;\n",
       pg ? "DROP TRIGGER students_audit ON students;\nDROP FUNCTION students_audit();\n"
            "DROP TABLE audit;\n"
          : "DROP TRIGGER students_audit;\nDROP TABLE audit;\n"},
      {"students_seed",
       "INSERT INTO students (id, school_id, full_name, email) VALUES (1, 1, 'Ada', "
       "'ada@example.org'), (2, 2, 'Grace', NULL);\n"
       "INSERT INTO enrolments VALUES (1, 1), (2, 1), (2, 2);\n",
       "DELETE FROM enrolments;\nDELETE FROM audit;\nDELETE FROM students;\n"},
      {"rename", "ALTER TABLE courses RENAME COLUMN title TO name;\n",
       "ALTER TABLE courses RENAME COLUMN name TO title;\n"},
  };
  return s;
}

// The body of a StatementBegin/End block in goose: the statements that hold
// semicolons of their own (the function and the trigger).
std::string GooseSection(const std::string& sql) {
  if (sql.find("BEGIN\n") == std::string::npos) return sql;
  std::string out;
  size_t at = 0;
  while (at < sql.size()) {
    size_t end = sql.find(";\n", at);
    std::string stmt = sql.substr(at, end + 2 - at);
    // A statement with a body runs to the line "END;" or "$$ LANGUAGE ...;".
    if (stmt.find("BEGIN\n") != std::string::npos) {
      const size_t body_end =
          sql.find(stmt.find("$$") != std::string::npos ? "plpgsql;\n" : "END;\n", at);
      const size_t stop = sql.find(";\n", body_end) + 2;
      stmt = sql.substr(at, stop - at);
      out += "-- +goose StatementBegin\n" + stmt + "-- +goose StatementEnd\n";
      at = stop;
    } else {
      out += stmt;
      at = end + 2;
    }
  }
  return out;
}

// The formats that can mark a migration to run outside a transaction.
bool HasNoTransaction(const std::string& format) {
  return format == "sqlx" || format == "goose" || format == "dbmate" || format == "diesel";
}

// Lays step number `n` (from 1) out as `format` does; returns the path of
// its up file (the file cairn names in messages).
std::string WriteStep(const std::string& dir, const std::string& format, const Step& st, int n) {
  std::filesystem::create_directories(dir);
  const std::string stamp = std::to_string(20240101000000 + n);
  const bool no_tx = st.no_transaction;
  if (format == "sqlx" || format == "golang-migrate") {
    const std::string head = no_tx ? "-- no-transaction\n" : "";
    WriteFile(dir + "/" + stamp + "_" + st.name + ".down.sql", head + st.down);
    WriteFile(dir + "/" + stamp + "_" + st.name + ".up.sql", head + st.up);
    return dir + "/" + stamp + "_" + st.name + ".up.sql";
  }
  if (format == "goose") {  // sequence numbers, then timestamps
    char seq[16];
    std::snprintf(seq, sizeof seq, "%05d", n);
    const std::string v = n == 11 ? "20240301120000" : n == 12 ? "20240401000000" : seq;
    const std::string path = dir + "/" + v + "_" + st.name + ".sql";
    WriteFile(path, std::string(no_tx ? "-- +goose NO TRANSACTION\n" : "") + "-- +goose Up\n" +
                        GooseSection(st.up) + "\n-- +goose Down\n" + GooseSection(st.down));
    return path;
  }
  if (format == "dbmate") {
    const std::string opt = no_tx ? " transaction:false" : "";
    const std::string path = dir + "/" + stamp + "_" + st.name + ".sql";
    WriteFile(path,
              "-- migrate:up" + opt + "\n" + st.up + "\n-- migrate:down" + opt + "\n" + st.down);
    return path;
  }
  if (format == "flyway") {
    const std::string v = std::to_string(n);
    WriteFile(dir + "/U" + v + "__" + st.name + ".sql", st.down);
    WriteFile(dir + "/V" + v + "__" + st.name + ".sql", st.up);
    return dir + "/V" + v + "__" + st.name + ".sql";
  }
  // diesel: a folder per migration
  char name[64];
  std::snprintf(name, sizeof name, "2024-01-01-0000%02d_", n);
  const std::string sub = dir + "/" + name + st.name;
  std::filesystem::create_directories(sub);
  WriteFile(sub + "/down.sql", st.down);
  WriteFile(sub + "/up.sql", st.up);
  if (no_tx) WriteFile(sub + "/metadata.toml", "run_in_transaction = false\n");
  return sub + "/up.sql";
}

// The plain client: `sql` run against `url` as the tool hands it over, in
// one transaction or none; a failure stops it (and rolls the transaction
// back).
ProcessResult PlainClient(const std::string& url, const std::string& sql, bool transaction) {
  TempDir tmp;
  const std::string file = tmp.File("in.sql");
  if (url.rfind("sqlite:", 0) == 0) {
    WriteFile(file, transaction ? "BEGIN;\n" + sql + "COMMIT;\n" : sql);
    return RunProcess({"/usr/bin/sqlite3", "-bail", url.substr(7), ".read " + file});
  }
  const char* bindir = std::getenv("CAIRN_PG_BINDIR");
  EXPECT_NE(bindir, nullptr) << "CAIRN_PG_BINDIR (scripts/pg-harness.sh) names psql's directory";
  WriteFile(file, sql);
  std::vector<std::string> argv{std::string(bindir ? bindir : "/usr/bin") + "/psql",
                                "-X",
                                "-q",
                                "-v",
                                "ON_ERROR_STOP=1",
                                "-d",
                                url,
                                "-f",
                                file};
  if (transaction) argv.push_back("--single-transaction");
  return RunProcess(argv);
}

// The schema and every row of the school's tables.
std::string SchoolDump(const std::string& url) {
  std::string out = Schema(url);
  auto parsed = db::ParseDatabaseUrl(url);
  auto conn = db::Connection::Open(*parsed);
  EXPECT_TRUE(conn.ok());
  if (!conn.ok()) return out;
  for (const char* q : {"SELECT id || ' ' || name FROM schools ORDER BY id",
                        "SELECT id || ' ' || full_name FROM students ORDER BY id",
                        "SELECT id || ' ' || code FROM courses ORDER BY id",
                        "SELECT student_id || ' ' || course_id FROM enrolments ORDER BY 1",
                        "SELECT what FROM audit ORDER BY what"}) {
    auto rows = (*conn)->Query(q);
    out += std::string(q) + (rows.ok() ? ":\n" : ": (no table)\n");
    if (rows.ok())
      for (const db::Row& r : *rows) out += "  " + r[0].AsText() + "\n";
  }
  return out;
}

class RunnerFormatFolderTest
    : public ::testing::TestWithParam<std::tuple<db::Backend, std::string>> {
 protected:
  void SetUp() override {
    cairn_ = TestDatabase::Create(std::get<0>(GetParam()));
    if (!cairn_) return;  // no PostgreSQL server
    plain_ = TestDatabase::Create(std::get<0>(GetParam()));
    ASSERT_TRUE(plain_);
    pg_ = std::get<0>(GetParam()) == db::Backend::kPostgres;
    format_ = std::get<1>(GetParam());
  }
  std::string Dir() const { return dir_.path() + "/m"; }
  ProcessResult Cairn(std::vector<std::string> args) {
    args.insert(args.begin(), {"--format", format_});
    return RunCairn(cairn_->url(), Dir(), args);
  }
  void PlainUp(const Step& st) {
    ProcessResult r = PlainClient(plain_->url(), st.up, !st.no_transaction);
    ASSERT_EQ(r.exit_code, 0) << st.name << ": " << r.out << r.err;
  }
  void PlainDown(const Step& st) {
    ProcessResult r = PlainClient(plain_->url(), st.down, !st.no_transaction);
    ASSERT_EQ(r.exit_code, 0) << st.name << ": " << r.out << r.err;
  }
  std::unique_ptr<TestDatabase> cairn_, plain_;
  bool pg_ = false;
  std::string format_;
  TempDir dir_;
};

TEST_P(RunnerFormatFolderTest, AppliesFailsRollsBackAndReappliesAsThePlainClient) {
  if (!cairn_) return;
  const std::vector<Step> steps = SchoolSteps(pg_, HasNoTransaction(format_));
  std::vector<std::string> up_files;
  for (size_t i = 0; i < steps.size(); ++i)
    up_files.push_back(WriteStep(Dir(), format_, steps[i], static_cast<int>(i + 1)));

  ProcessResult r = Cairn({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(LinesStartingWith(r.out, "applied ").size(), steps.size()) << r.out;
  for (const Step& st : steps) PlainUp(st);
  const std::string applied = SchoolDump(plain_->url());
  EXPECT_THAT(applied, HasSubstr("  1 North; the old building\n"));
  EXPECT_THAT(applied, HasSubstr("  student 2\n"));  // the trigger ran
  EXPECT_EQ(SchoolDump(cairn_->url()), applied);

  // A file failing at its second statement: nothing of it stays, under both.
  Step failing{"failing",
               "INSERT INTO schools (id, name) VALUES (3, 'East');\n"
               "INSERT INTO schools (id, name) VALUES (1, 'a second school 1');\n",
               "DELETE FROM schools WHERE id = 3;\n"};
  const std::string fail_dir = dir_.path() + "/fail";
  WriteStep(fail_dir, format_, failing, 12);
  std::vector<std::filesystem::path> moved;
  for (const auto& e : std::filesystem::directory_iterator(fail_dir)) {
    moved.push_back(std::filesystem::path(Dir()) / e.path().filename());
    std::filesystem::rename(e.path(), moved.back());
  }
  r = Cairn({"migrate"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(PlainClient(plain_->url(), failing.up, true).exit_code, 0);
  EXPECT_EQ(SchoolDump(cairn_->url()), applied);
  EXPECT_EQ(SchoolDump(plain_->url()), applied);
  for (const auto& p : moved) std::filesystem::remove_all(p);

  // Roll back the last five, one section at a time under the plain client.
  r = Cairn({"rollback", "--steps", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (size_t i = steps.size(); i > steps.size() - 5; --i) PlainDown(steps[i - 1]);
  const std::string rolled_back = SchoolDump(plain_->url());
  EXPECT_THAT(rolled_back, Not(HasSubstr("roster")));
  EXPECT_THAT(rolled_back, HasSubstr("MA-1"));
  EXPECT_EQ(SchoolDump(cairn_->url()), rolled_back);

  // And forward again.
  r = Cairn({"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(LinesStartingWith(r.out, "applied ").size(), 5u) << r.out;
  for (size_t i = steps.size() - 5; i < steps.size(); ++i) PlainUp(steps[i]);
  EXPECT_EQ(SchoolDump(cairn_->url()), SchoolDump(plain_->url()));
  EXPECT_EQ(SchoolDump(cairn_->url()), applied);

  // A file changed after it was applied: refused, naming the file, and
  // nothing runs.
  std::ofstream(up_files[2], std::ios::app) << "-- edited\n";
  r = Cairn({"migrate"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(up_files[2] + ": migration "));
  EXPECT_THAT(r.err, HasSubstr(" was changed after it was applied"));
  EXPECT_EQ(SchoolDump(cairn_->url()), applied);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, RunnerFormatFolderTest,
    ::testing::Combine(::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                       ::testing::Values(std::string("sqlx"), std::string("goose"),
                                         std::string("dbmate"), std::string("golang-migrate"),
                                         std::string("flyway"), std::string("diesel"))),
    [](const ::testing::TestParamInfo<std::tuple<db::Backend, std::string>>& info) {
      return std::string(std::get<0>(info.param) == db::Backend::kSqlite ? "Sqlite" : "Postgres") +
             "_" +
             (std::get<1>(info.param) == "golang-migrate" ? std::string("golang_migrate")
                                                          : std::get<1>(info.param));
    });

}  // namespace
}  // namespace cairn::testing
