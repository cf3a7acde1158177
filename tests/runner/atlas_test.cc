// Atlas versioned migration folders (docs/formats.md, "Atlas"): atlas.sum
// checked as Atlas checks it (its hashes computed here independently, with
// coreutils' sha256sum), the file directives, Atlas's statement cut, and
// the adoption of atlas_schema_revisions filled as Atlas fills it. The
// atlas binary is in neither npm nor Debian, so "Atlas" in these tests is
// the plain client following Atlas's rules: each file, in name order, cut
// into statements by Atlas's lexer and sent statement by statement.
#include "runner/src/formats/atlas.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- independent hashing: coreutils --------------------------------------

std::string Base64OfHex(const std::string& hex) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned> b;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) b.push_back(std::stoul(hex.substr(i, 2), 0, 16));
  std::string out;
  for (size_t i = 0; i < b.size(); i += 3) {
    unsigned v =
        b[i] << 16 | (i + 1 < b.size() ? b[i + 1] << 8 : 0) | (i + 2 < b.size() ? b[i + 2] : 0);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += i + 1 < b.size() ? kAlphabet[v >> 6 & 63] : '=';
    out += i + 2 < b.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// base64(SHA-256(bytes)) by /usr/bin/sha256sum.
std::string Sha256Base64(const std::string& bytes) {
  TempDir tmp;
  WriteFile(tmp.File("in"), bytes);
  ProcessResult r = RunProcess({"/usr/bin/sha256sum", tmp.File("in")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Base64OfHex(r.out.substr(0, 64));
}

// atlas.sum for `files` (name -> bytes), as `atlas migrate hash` writes it:
// per file, in name order, the running SHA-256 over every name and content
// so far; first, the SHA-256 over the names and hashes.
std::string SumFile(const std::map<std::string, std::string>& files) {
  std::string running, total_input, lines;
  for (const auto& [name, bytes] : files) {
    running += name + bytes;
    const std::string h = Sha256Base64(running);
    total_input += name + h;
    lines += name + " h1:" + h + "\n";
  }
  return "h1:" + Sha256Base64(total_input) + "\n" + lines;
}

// ---- the folder ------------------------------------------------------------

// A folder as `atlas migrate diff` and hand edits leave it, written from
// Atlas's documentation: generated comments, file directives, a custom
// delimiter, a version without a name, a dotted name.
std::map<std::string, std::string> Folder(bool pg) {
  std::map<std::string, std::string> f;
  f["20240101000001_create_users.sql"] =
      "-- Create \"users\" table\n"
      "CREATE TABLE \"users\" (\"id\" integer NOT NULL, \"name\" varchar(100) NOT NULL, "
      "\"email\" varchar(200) NULL, PRIMARY KEY (\"id\"));\n"
      "-- Create index \"users_email\" to table: \"users\"\n"
      "CREATE UNIQUE INDEX \"users_email\" ON \"users\" (\"email\");\n";
  f["20240101000002_create_posts.sql"] =
      "-- Create \"posts\" table\n"
      "CREATE TABLE \"posts\" (\n"
      "  \"id\" integer NOT NULL,\n"
      "  \"user_id\" integer NOT NULL,\n"
      "  \"title\" varchar(200) NOT NULL,\n"
      "  PRIMARY KEY (\"id\"),\n"
      "  CONSTRAINT \"posts_user_fk\" FOREIGN KEY (\"user_id\") REFERENCES \"users\" (\"id\") "
      "ON DELETE CASCADE\n"
      ");\n";
  f["20240101000003_seed.sql"] =
      "INSERT INTO users (id, name, email) VALUES (1, 'Ann; -- not a comment', "
      "'ann@example.com');\n"
      "INSERT INTO users (id, name, email) VALUES (2, 'Bob (the /* second */ one)', "
      "'bob@example.com'); INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'first');\n";
  f["20240101000004_view.sql"] = "CREATE VIEW user_names AS SELECT id, name FROM users;\n";
  f["20240101000005_index.sql"] = std::string("-- atlas:txmode none\n\n") +
                                  (pg ? "CREATE INDEX CONCURRENTLY posts_title ON posts (title);\n"
                                      : "CREATE INDEX posts_title ON posts (title);\n");
  f["20240101000006_trigger.sql"] =
      pg ? "-- atlas:delimiter //\n"
           "CREATE FUNCTION users_lower_email() RETURNS trigger AS $$\n"
           "BEGIN\n"
           "  NEW.email := lower(NEW.email);\n"
           "  RETURN NEW;\n"
           "END;\n"
           "$$ LANGUAGE plpgsql//\n"
           "CREATE TRIGGER users_lower_email BEFORE INSERT ON users FOR EACH ROW EXECUTE "
           "FUNCTION users_lower_email()//\n"
         : "-- atlas:delimiter //\n"
           "CREATE TRIGGER users_lower_email AFTER INSERT ON users BEGIN\n"
           "  UPDATE users SET email = lower(NEW.email) WHERE id = NEW.id;\n"
           "END//\n";
  f["20240101000007_created_at.sql"] =
      "-- atlas:txmode file\n\n"
      "-- Modify \"users\" table\n"
      "ALTER TABLE users ADD COLUMN created_at timestamp NULL;\n";
  f["20240101000008_view_again.sql"] =
      "-- atlas:nolint destructive\n"
      "DROP VIEW user_names;\n"
      "CREATE VIEW user_names AS SELECT id, name, email FROM users;\n";
  f["20240626204339_v0.34.2.sql"] = "ALTER TABLE posts ADD COLUMN body text NULL;\n";
  f["20240626204340.sql"] = "CREATE INDEX posts_user_id ON posts (user_id);\n";
  f["20240626204341_blank_delimited.sql"] =
      "-- atlas:delimiter \\n\\n\n"
      "INSERT INTO users (id, name, email) VALUES (3, 'Carol', 'CAROL@EXAMPLE.COM');\n"
      "\n"
      "INSERT INTO posts (id, user_id, title, body)\n"
      "  VALUES (10, 3, 'Hello; world', 'two\n\nlines');\n";
  return f;
}

const std::vector<std::string> kIds = {"20240101000001", "20240101000002", "20240101000003",
                                       "20240101000004", "20240101000005", "20240101000006",
                                       "20240101000007", "20240101000008", "20240626204339",
                                       "20240626204340", "20240626204341"};

// The user schema and data of a database: tables' columns, indexes, views,
// triggers and the rows of users and posts, without cairn's tables.
std::string Snapshot(const TestDatabase& tdb) {
  auto conn = tdb.Connect();
  const bool sqlite = conn->backend() == db::Backend::kSqlite;
  std::string out;
  for (const char* sql :
       {sqlite ? "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_schema "
                 "WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'cairn%' AND name <> "
                 "'atlas_schema_revisions' ORDER BY 1"
               : "SELECT table_name || '.' || column_name || ' ' || data_type FROM "
                 "information_schema.columns WHERE table_schema = current_schema() AND "
                 "table_name NOT LIKE 'cairn%' ORDER BY 1",
        sqlite ? "SELECT 'none'"
               : "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = "
                 "current_schema() AND tablename NOT LIKE 'cairn%' ORDER BY 1",
        sqlite ? "SELECT 'none'"
               : "SELECT trigger_name || ' ' || action_statement FROM information_schema.triggers "
                 "WHERE trigger_schema = current_schema() AND event_object_table NOT LIKE "
                 "'cairn%' ORDER BY 1",
        sqlite ? "SELECT 'none'"
               : "SELECT table_name || ': ' || view_definition FROM information_schema.views "
                 "WHERE table_schema = current_schema() ORDER BY 1",
        "SELECT CAST(id AS TEXT) || '|' || name || '|' || COALESCE(email, '-') FROM users "
        "ORDER BY id",
        "SELECT CAST(id AS TEXT) || '|' || title || '|' || COALESCE(body, '-') FROM posts "
        "ORDER BY id"}) {
    auto rows = conn->Query(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    if (rows.ok())
      for (const db::Row& r : *rows) out += r[0].AsText() + "\n";
  }
  return out;
}

class RunnerAtlasTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    pg_ = GetParam() == db::Backend::kPostgres;
  }
  std::string Dir() const { return dir_.path() + "/m"; }
  // Writes `files` and their atlas.sum.
  void WriteFolder(const std::map<std::string, std::string>& files) {
    std::filesystem::remove_all(Dir());
    std::filesystem::create_directories(Dir());
    for (const auto& [name, text] : files) WriteFile(Dir() + "/" + name, text);
    WriteFile(Dir() + "/atlas.sum", SumFile(files));
  }
  ProcessResult Cairn(const TestDatabase& tdb, const std::vector<std::string>& args) {
    return RunCairn(tdb.url(), Dir(), args);
  }
  // The plain client following Atlas's rules: the files in name order, each
  // cut by Atlas's lexer and sent statement by statement.
  void ApplyAsAtlas(const TestDatabase& tdb, const std::map<std::string, std::string>& files,
                    size_t count) {
    auto conn = tdb.Connect();
    size_t i = 0;
    for (const auto& [name, text] : files) {
      if (i++ == count) break;
      auto stmts = runner::internal::AtlasStatements(text);
      ASSERT_TRUE(stmts.ok()) << name << ": " << stmts.status().ToString();
      for (const std::string& s : *stmts) {
        Status st = conn->ExecuteScript(s, nullptr, nullptr);
        ASSERT_TRUE(st.ok()) << name << ": " << s << ": " << st.ToString();
      }
    }
  }
  static std::vector<std::string> Ids(const ProcessResult& r, const std::string& verb) {
    std::vector<std::string> out;
    for (const std::string& l : LinesStartingWith(r.out, verb + " "))
      out.push_back(l.substr(verb.size() + 1));
    return out;
  }
  static void ExpectOneError(const ProcessResult& r, int code, const std::string& needle) {
    EXPECT_EQ(r.exit_code, code) << r.out << r.err;
    auto lines = LinesStartingWith(r.err, "cairn: error:");
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_THAT(lines[0], HasSubstr(needle));
  }
  // atlas_schema_revisions as Atlas (its Ent schema) creates it: on
  // PostgreSQL in the schema atlas_schema_revisions, its default.
  std::string RevisionsTable() const {
    return pg_ ? "CREATE SCHEMA atlas_schema_revisions;\n"
                 "CREATE TABLE atlas_schema_revisions.atlas_schema_revisions (version character "
                 "varying NOT NULL, description character varying NOT NULL, type bigint NOT NULL "
                 "DEFAULT 2, applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0, "
                 "executed_at timestamptz NOT NULL, execution_time bigint NOT NULL, error text "
                 "NULL, error_stmt text NULL, hash character varying NOT NULL, partial_hashes "
                 "jsonb NULL, operator_version character varying NOT NULL, PRIMARY KEY "
                 "(version));\n"
               : "CREATE TABLE atlas_schema_revisions (version text NOT NULL, description text "
                 "NOT NULL, type integer NOT NULL DEFAULT 2, applied integer NOT NULL DEFAULT 0, "
                 "total integer NOT NULL DEFAULT 0, executed_at datetime NOT NULL, "
                 "execution_time integer NOT NULL, error text NULL, error_stmt text NULL, hash "
                 "text NOT NULL, partial_hashes json NULL, operator_version text NOT NULL, "
                 "PRIMARY KEY (version));\n";
  }
  // One revision row as Atlas's executor writes it for `file` (type 2 =
  // executed): every statement applied, the file's atlas.sum hash, the
  // running hashes of its statements. `applied` < 0: all of them.
  std::string RevisionRow(const std::map<std::string, std::string>& files, const std::string& file,
                          int minute, int type = 2, int applied = -1,
                          const std::string& error = "") {
    const std::string sum = SumFile(files);
    const size_t at = sum.find("\n" + file + " h1:");
    const std::string hash = sum.substr(at + file.size() + 5, 44);
    auto stmts = runner::internal::AtlasStatements(files.at(file));
    EXPECT_TRUE(stmts.ok());
    std::string partial = "[", running;
    for (size_t i = 0; stmts.ok() && i < stmts->size(); ++i) {
      running += (*stmts)[i];
      if (applied >= 0 && static_cast<int>(i) >= applied) break;
      partial += std::string(i ? "," : "") + "\"h1:" + Sha256Base64(running) + "\"";
    }
    partial += "]";
    // A baseline row (type 1) has no statements, hash or partial hashes.
    const int total = type == 1 ? 0 : stmts.ok() ? static_cast<int>(stmts->size()) : 0;
    if (type == 1)
      partial = "NULL";
    else
      partial = "'" + partial + "'";
    const std::string stem = file.substr(0, file.size() - 4);
    const size_t us = stem.find('_');
    // Atlas writes time.Now(): PostgreSQL keeps it as timestamptz, the
    // SQLite driver as text with the local offset (here +02:00).
    const std::string when =
        pg_ ? "2024-06-01 10:" + std::to_string(10 + minute) + ":00.250000+00"
            : "2024-06-01 12:" + std::to_string(10 + minute) + ":00.250000+02:00";
    return std::string("INSERT INTO ") +
           (pg_ ? "atlas_schema_revisions.atlas_schema_revisions" : "atlas_schema_revisions") +
           " (version, description, type, applied, total, executed_at, execution_time, error, "
           "error_stmt, hash, partial_hashes, operator_version) VALUES ('" +
           stem.substr(0, us) + "', '" + (us == std::string::npos ? "" : stem.substr(us + 1)) +
           "', " + std::to_string(type) + ", " + std::to_string(applied < 0 ? total : applied) +
           ", " + std::to_string(total) + ", '" + when + "', 1250000, " +
           (error.empty() ? "NULL, NULL" : "'" + error + "', 'SELECT 1'") + ", '" +
           (type == 1 ? "" : hash) + "', " + partial + ", 'Atlas CLI v0.34.2');\n";
  }
  std::unique_ptr<TestDatabase> tdb_;
  bool pg_ = false;
  TempDir dir_;
};

TEST_P(RunnerAtlasTest, FolderRunsAsAtlasRunsItAndIsAdopted) {
  if (!tdb_) return;
  const auto files = Folder(pg_);
  WriteFolder(files);

  // Atlas's --tx-mode all and none: cairn's --tx all refuses the txmode none
  // file, --tx none the files without a down section.
  ExpectOneError(Cairn(*tdb_, {"migrate", "--tx", "all"}), 3,
                 "m/20240101000005_index.sql: migration 20240101000005 cannot run inside a "
                 "transaction");
  ExpectOneError(Cairn(*tdb_, {"migrate", "--tx", "none"}), 3, "has no '-- cairn:down' section");
  EXPECT_EQ(LedgerRows(*tdb_), 0);
  // cairn, recognising the folder by its atlas.sum.
  ProcessResult r = Cairn(*tdb_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied"), kIds);
  // The plain client following Atlas's rules, into another database.
  auto atlas = TestDatabase::Create(GetParam());
  ASSERT_TRUE(atlas);
  ApplyAsAtlas(*atlas, files, files.size());
  const std::string expected = Snapshot(*atlas);
  EXPECT_THAT(expected, HasSubstr("3|Carol|carol@example.com"));  // the trigger ran
  EXPECT_THAT(expected, HasSubstr("10|Hello; world|two\n\nlines"));
  EXPECT_THAT(expected, HasSubstr("posts_title"));
  EXPECT_EQ(Snapshot(*tdb_), expected);

  // A failing file outside a transaction: Atlas keeps the statements before
  // the failing one, and so does cairn.
  auto failing = files;
  failing["20240626204342_fails.sql"] =
      "-- atlas:txmode none\n\nCREATE TABLE half (x integer);\nINSERT INTO missing_table VALUES "
      "(1);\n";
  WriteFolder(failing);
  r = Cairn(*tdb_, {"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  {
    auto conn = atlas->Connect();
    auto stmts = runner::internal::AtlasStatements(failing["20240626204342_fails.sql"]);
    ASSERT_TRUE(stmts.ok());
    ASSERT_EQ(stmts->size(), 2u);
    EXPECT_TRUE(conn->ExecuteScript((*stmts)[0], nullptr, nullptr).ok());
    EXPECT_FALSE(conn->ExecuteScript((*stmts)[1], nullptr, nullptr).ok());
  }
  EXPECT_THAT(Snapshot(*atlas), HasSubstr("half"));
  EXPECT_EQ(Snapshot(*tdb_), Snapshot(*atlas));
  WriteFolder(files);

  std::vector<json> events = History(*tdb_, Dir());
  EXPECT_EQ(EventsOf(events, "migration_started", kIds[4])[0]["outside_transaction"], true);
  EXPECT_EQ(EventsOf(events, "migration_started", kIds[6])[0]["outside_transaction"], false);
  auto started = EventsOf(events, "migration_started", kIds[8]);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_THAT(started[0].value("summary", ""), HasSubstr("20240626204339 up (v0.34.2)"));
  // Atlas's versioned files have no down section.
  r = Cairn(*tdb_, {"--format", "atlas", "rollback"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;

  // Adopting: Atlas applied the first six files and recorded them (with the
  // row of its cloud identifier, which is no revision).
  auto adopted = TestDatabase::Create(GetParam());
  ASSERT_TRUE(adopted);
  ApplyAsAtlas(*adopted, files, 6);
  std::string rows = RevisionsTable();
  auto it = files.begin();
  for (int i = 0; i < 6; ++i, ++it) rows += RevisionRow(files, it->first, i);
  rows += std::string("INSERT INTO ") +
          (pg_ ? "atlas_schema_revisions.atlas_schema_revisions" : "atlas_schema_revisions") +
          " (version, description, type, applied, total, executed_at, execution_time, hash, "
          "operator_version) VALUES ('.atlas_cloud_identifier', "
          "'3f1c0b5e-2a59-4a8e-9d3e-8f6b7a2c1d00', 0, 0, 0, '2024-06-01 10:00:00', 0, '', "
          "'Atlas CLI v0.34.2');\n";
  ExecScript(*adopted, rows);
  r = Cairn(*adopted, {"--format", "atlas", "adopt"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  events = History(*adopted, Dir());
  ASSERT_EQ(EventsOf(events, "migration_baselined").size(), 6u);
  auto b = EventsOf(events, "migration_baselined", kIds[2]);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["source"], "atlas");
  const std::string sum = SumFile(files);
  EXPECT_EQ(b[0]["original_checksum"],
            "h1:" + sum.substr(sum.find("20240101000003_seed.sql h1:") + 27, 44));
  EXPECT_EQ(b[0]["original_applied_at"].get<std::string>().substr(0, 19), "2024-06-01T10:12:00");
  r = Cairn(*adopted, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied"), std::vector<std::string>(kIds.begin() + 6, kIds.end()));
  EXPECT_EQ(Snapshot(*adopted), expected);
}

// Atlas's own history rules decide what adopt records: files before the
// first revision (a baseline) count as applied; a half-applied revision, a
// revision without its file, a file between revisions without one (Atlas:
// "added out of order") are refused, nothing written.
TEST_P(RunnerAtlasTest, AdoptFollowsAtlasHistoryRules) {
  if (!tdb_) return;
  const auto files = Folder(pg_);
  WriteFolder(files);
  std::vector<std::string> names;
  for (const auto& [n, t] : files) names.push_back(n);

  // `atlas migrate apply --baseline 20240101000003`: one baseline row.
  ApplyAsAtlas(*tdb_, files, 3);
  ExecScript(*tdb_, RevisionsTable() + RevisionRow(files, names[2], 0, /*type=*/1, 0));
  ProcessResult r = Cairn(*tdb_, {"--format", "atlas", "adopt"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<json> events = History(*tdb_, Dir());
  ASSERT_EQ(EventsOf(events, "migration_baselined").size(), 3u);
  EXPECT_EQ(EventsOf(events, "migration_baselined", kIds[2])[0].value("original_checksum", ""), "");
  r = Cairn(*tdb_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied").front(), kIds[3]);

  struct Case {
    std::string rows, error;
  };
  const std::vector<Case> cases = {
      {RevisionRow(files, names[0], 0) +
           RevisionRow(files, names[2], 1, 2, 1, "pq: duplicate key value"),
       "version 20240101000003 is partially applied (1 of 3 statements; error: pq: duplicate"},
      {RevisionRow(files, names[0], 0) + RevisionRow(files, names[2], 1),
       "20240101000002_create_posts.sql has no revision in atlas_schema_revisions"},
      {RevisionRow(files, names[0], 0) + "INSERT INTO " +
           (pg_ ? std::string("atlas_schema_revisions.atlas_schema_revisions")
                : std::string("atlas_schema_revisions")) +
           " (version, description, executed_at, execution_time, hash, operator_version) VALUES "
           "('20240101000009', 'gone', '2024-06-01 10:00:00', 1, 'x', 'Atlas CLI v0.34.2');\n",
       "records version 20240101000009 but no migration file"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    auto other = TestDatabase::Create(GetParam());
    ASSERT_TRUE(other);
    ExecScript(*other, RevisionsTable() + cases[i].rows);
    ExpectOneError(Cairn(*other, {"--format", "atlas", "adopt"}), 20, cases[i].error);
    EXPECT_EQ(LedgerRows(*other), 0);
  }
  auto none = TestDatabase::Create(GetParam());
  ASSERT_TRUE(none);
  ExpectOneError(Cairn(*none, {"--format", "atlas", "adopt"}), 3,
                 "the target has no atlas_schema_revisions table");
  if (!pg_) return;
  // Atlas given a URL with a schema keeps the table in that schema: read
  // there; in both schemas cairn cannot tell which one Atlas used.
  auto bound = TestDatabase::Create(GetParam());
  ASSERT_TRUE(bound);
  std::string in_public = RevisionsTable() + RevisionRow(files, names[0], 0);
  for (const std::string from :
       {"CREATE SCHEMA atlas_schema_revisions;\n", "atlas_schema_revisions."})
    for (size_t at; (at = in_public.find(from)) != std::string::npos;)
      in_public.replace(at, from.size(), "");
  ExecScript(*bound, in_public);
  ProcessResult a = Cairn(*bound, {"--format", "atlas", "adopt"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_EQ(EventsOf(History(*bound, Dir()), "migration_baselined").size(), 1u);
  auto both = TestDatabase::Create(GetParam());
  ASSERT_TRUE(both);
  ExecScript(*both, in_public + RevisionsTable());
  ExpectOneError(Cairn(*both, {"--format", "atlas", "adopt"}), 20,
                 "atlas_schema_revisions exists both in the connected schema and in the schema");
  EXPECT_EQ(LedgerRows(*both), 0);
}

// A file over 1 MiB is read as every format's large files are (its section
// left in the file) and still cut and checked as Atlas cuts it.
TEST_P(RunnerAtlasTest, LargeFileIsCheckedAndRun) {
  if (!tdb_) return;
  std::string big = "CREATE TABLE rows_t (id integer, note varchar(100));\n";
  for (int i = 0; big.size() < (3u << 19); ++i)
    big += "INSERT INTO rows_t VALUES (" + std::to_string(i) + ", 'row; " + std::to_string(i) +
           " (with parentheses)');\n";
  WriteFolder({{"20240101000001_big.sql", big}});
  ProcessResult r = Cairn(*tdb_, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto conn = tdb_->Connect();
  auto rows = conn->Query("SELECT count(*) FROM rows_t");
  ASSERT_TRUE(rows.ok());
  EXPECT_GT((*rows)[0][0].AsInt(), 20000);
  // A backtick quote near its end: the cuts differ, named by line.
  WriteFolder({{"20240101000001_big.sql", big + "SELECT `x'`;\nSELECT 'y';\n"}});
  auto fresh = TestDatabase::Create(GetParam());
  ASSERT_TRUE(fresh);
  ExpectOneError(Cairn(*fresh, {"migrate"}), 3, "Atlas cuts this file into statements differently");
}

// atlas.sum, checked as `atlas migrate apply` checks it: a changed file, a
// file without its line, a line without its file, a hand-edited sum, a
// missing sum; one error naming the file, nothing applied.
TEST_P(RunnerAtlasTest, SumFileIsCheckedAsAtlasChecksIt) {
  if (!tdb_) return;
  auto files = Folder(pg_);
  WriteFolder(files);
  const std::string good_sum = ReadFileOrDie(Dir() + "/atlas.sum");
  // The sum cairn computes is the one computed here with coreutils.
  std::vector<std::string> names, bytes;
  for (const auto& [n, t] : files) {
    names.push_back(n);
    bytes.push_back(t);
  }
  EXPECT_EQ(runner::internal::AtlasSumFile(names, bytes), good_sum);

  struct Case {
    std::function<void()> change;
    std::string error;
  };
  const std::string seed = Dir() + "/20240101000003_seed.sql";
  const std::vector<Case> cases = {
      {[&] { WriteFile(seed, files.at("20240101000003_seed.sql") + "-- one more line\n"); },
       "m/20240101000003_seed.sql: changed since atlas.sum was written (line 4 records h1:"},
      {[&] { WriteFile(Dir() + "/20240101000009_late.sql", "SELECT 1;\n"); },
       "m/20240101000009_late.sql: not listed in atlas.sum"},
      {[&] { std::filesystem::remove(seed); },
       "m/atlas.sum:4: 20240101000003_seed.sql is listed but not in the folder"},
      {[&] {
         std::string s = good_sum;
         s.replace(s.find("seed.sql h1:") + 12, 1,
                   s[s.find("seed.sql h1:") + 12] == 'A' ? "B" : "A");
         WriteFile(Dir() + "/atlas.sum", s);
       },
       "m/atlas.sum:1: the sum on the first line does not match the lines below it"},
      {[&] { WriteFile(Dir() + "/atlas.sum", good_sum + "20240101000009_late.sql\n"); },
       "m/atlas.sum:13: not a line '<file> h1:<hash>'"},
      {[&] { std::filesystem::remove(Dir() + "/atlas.sum"); },
       "m/atlas.sum: not found; Atlas refuses to apply a migration folder without its sum file"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    WriteFolder(files);
    cases[i].change();
    ExpectOneError(Cairn(*tdb_, {"--format", "atlas", "migrate"}), 3, cases[i].error);
    EXPECT_EQ(LedgerRows(*tdb_), 0);
  }
  // A good folder again runs.
  WriteFolder(files);
  ProcessResult r = Cairn(*tdb_, {"--format", "atlas", "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// File directives and statement cuts Atlas rejects, or that Atlas would
// read differently from cairn: refused before anything runs, naming the
// file and (where there is one) the line.
TEST_P(RunnerAtlasTest, FilesAtlasRejectsOrReadsDifferentlyAreRefused) {
  if (!tdb_) return;
  struct Case {
    std::string text, error;
  };
  const std::vector<Case> cases = {
      {"-- atlas:txmode all\n\nSELECT 1;\n",
       "1_a.sql: '-- atlas:txmode all' is not allowed in a file"},
      {"-- atlas:txmode none\n-- atlas:txmode file\n\nSELECT 1;\n",
       "1_a.sql: multiple txmode directives"},
      {"-- atlas:txmode sometimes\n\nSELECT 1;\n", "1_a.sql: unknown txmode 'sometimes'"},
      // No empty line after it: Atlas ignores the directive.
      {"-- atlas:txmode none\nSELECT 1;\n",
       "1_a.sql:1: '-- atlas:txmode none': Atlas ignores this directive here"},
      {"-- atlas:txmode none\r\n\r\nSELECT 1;\r\n",
       "1_a.sql:1: '-- atlas:txmode none': Atlas ignores this directive here"},
      {"SELECT 1;\n-- atlas:delimiter //\nSELECT 2//\n",
       "1_a.sql:2: '-- atlas:delimiter //': Atlas ignores this directive here"},
      {"-- atlas:checkpoint v1\n\nSELECT 1;\n",
       "1_a.sql:1: '-- atlas:checkpoint v1': a checkpoint"},
      {"-- atlas:sum ignore\nSELECT 1;\n", "1_a.sql:1: 'atlas:sum ignore': Atlas leaves this file"},
      {"-- atlas:import shared/users.sql\n\nSELECT 1;\n",
       "1_a.sql:1: unknown Atlas directive 'atlas:import'"},
      {"-- atlas:delimiter\nSELECT 1;\n", "1_a.sql: empty delimiter"},
      {"SELECT 1;\n-- cairn:no-transaction\n", "1_a.sql:2: '-- cairn:no-transaction' is a comment"},
      {"CREATE TABLE t (x integer;\n", "1_a.sql:1:16: unclosed '('"},
      {"SELECT 1);\n", "1_a.sql:1:9: unexpected ')'"},
      {"\xEF\xBB\xBFSELECT 1;\n", "1_a.sql:1: a byte order mark"},
      // A PostgreSQL E'' string: Atlas's lexer takes \' as the end of it.
      {"INSERT INTO t VALUES (E'a\\'b;c');\nSELECT 1;\n", "1_a.sql:1:31: unclosed quote"},
      // A backtick quote Atlas knows and cairn does not: the cuts differ.
      {"SELECT `x'`;\nSELECT 'y';\n",
       "1_a.sql:1: Atlas cuts this file into statements differently"},
      // txmode none: Atlas sends each of its statements on its own.
      {"-- atlas:txmode none\n\nCREATE RULE r AS ON INSERT TO t DO ALSO (DELETE FROM t; DELETE "
       "FROM t);\n",
       "1_a.sql:3: Atlas sends 2 statements as one here, outside a transaction"},
      {pg_ ? "CREATE INDEX CONCURRENTLY i ON t (x);\n" : "VACUUM;\n",
       pg_ ? "1_a.sql: CREATE INDEX CONCURRENTLY at line 1 cannot run in the transaction Atlas"
           : "1_a.sql: VACUUM at line 1 cannot run in the transaction Atlas"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ": " + cases[i].text);
    WriteFolder({{"1_a.sql", cases[i].text}});
    if (cases[i].text.rfind("-- atlas:sum ignore", 0) == 0)  // as `atlas migrate hash` writes it
      WriteFile(Dir() + "/atlas.sum", "h1:" + Sha256Base64("") + "\n");
    ExpectOneError(Cairn(*tdb_, {"--format", "atlas", "migrate"}), 3, "m/" + cases[i].error);
    EXPECT_EQ(LedgerRows(*tdb_), 0);
  }
  // File names: Atlas orders them byte by byte, cairn versions by number.
  WriteFolder({{"9_a.sql", "SELECT 1;\n"}, {"10_b.sql", "SELECT 2;\n"}});
  ExpectOneError(Cairn(*tdb_, {"--format", "atlas", "migrate"}), 3,
                 "m/9_a.sql: Atlas runs it after 10_b.sql");
  WriteFolder({{"1_a.sql", "SELECT 1;\n"}, {"1_b.sql", "SELECT 2;\n"}});
  ExpectOneError(Cairn(*tdb_, {"--format", "atlas", "migrate"}), 3,
                 "m/1_b.sql: duplicate migration version 1");
  WriteFolder({{"_a.sql", "SELECT 1;\n"}});
  ExpectOneError(Cairn(*tdb_, {"--format", "atlas", "migrate"}), 3,
                 "m/_a.sql: no version before the first '_'");
  EXPECT_EQ(LedgerRows(*tdb_), 0);
  // A hidden *.sql file is Atlas's too (its Glob matches it), and its name
  // sorts first.
  WriteFolder({{"1_a.sql", "SELECT 1;\n"}, {".2_b.sql", "SELECT 2;\n"}});
  ProcessResult r = Cairn(*tdb_, {"--format", "atlas", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Ids(r, "applied"), (std::vector<std::string>{".2", "1"}));
}

// The MySQL client's DELIMITER command, which Atlas's lexer follows, and a
// `-- atlas:delimiter` ending a statement on the same line as the next.
TEST_P(RunnerAtlasTest, DelimiterCommandIsFollowed) {
  if (!tdb_) return;
  const std::map<std::string, std::string> files = {
      {"1_cmd.sql",
       "DELIMITER //\nCREATE TABLE d1 (x integer);\nINSERT INTO d1 VALUES (1)//\nDELIMITER ;\n"
       "CREATE TABLE d2 (y integer);\n"},
      {"2_same_line.sql",
       "-- atlas:delimiter $$\nCREATE TABLE d3 (z integer)$$INSERT INTO d3 "
       "VALUES (3)$$\n"}};
  WriteFolder(files);
  ProcessResult r = Cairn(*tdb_, {"--format", "atlas", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto atlas = TestDatabase::Create(GetParam());
  ASSERT_TRUE(atlas);
  ApplyAsAtlas(*atlas, files, files.size());
  auto conn = tdb_->Connect();
  auto rows = conn->Query("SELECT (SELECT count(*) FROM d1) + (SELECT count(*) FROM d3)");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0].AsInt(), 2);
  EXPECT_TRUE(TableExists(*conn, "d2"));
  auto other = atlas->Connect();
  EXPECT_TRUE(TableExists(*other, "d2"));
  EXPECT_TRUE(TableExists(*other, "d3"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerAtlasTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// ---- Atlas's lexer and directives, as lex.go and dir.go read them ---------

TEST(AtlasLexerTest, CutsAsLexGo) {
  struct Case {
    std::string text;
    std::vector<std::string> stmts;
  };
  const std::vector<Case> cases = {
      {"-- a comment\nCREATE TABLE t (a int);\n\n/* x */ INSERT INTO t VALUES (1);",
       {"CREATE TABLE t (a int);", "INSERT INTO t VALUES (1);"}},
      // Parentheses keep a ';' inside them; quotes of three kinds.
      {"SELECT (1;2);\nSELECT ';', \";\", `;`;\n", {"SELECT (1;2);", "SELECT ';', \";\", `;`;"}},
      {"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nSELECT 2;",
       {"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;", "SELECT 2;"}},
      {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); END;\nSELECT 1;",
       {"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); END;", "SELECT 1;"}},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n",
       {"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;"}},
      {"-- atlas:delimiter //\nA; B//\nC//\n", {"A; B", "C"}},
      {"-- atlas:delimiter \\n\\n\nA;\n\nB;\nC\n", {"A;", "B;\nC"}},
      {"DELIMITER //\nSELECT 1//\nDELIMITER ;\nSELECT 2;", {"SELECT 1", "SELECT 2;"}},
      // A comment without a line end is no comment: the statement it is.
      {"SELECT 1;\n-- trailing", {"SELECT 1;", "-- trailing"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto got = runner::internal::AtlasStatements(c.text);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, c.stmts);
  }
  for (const auto& [text, error] : std::vector<std::pair<std::string, std::string>>{
           {"SELECT (1;", "1:8: unclosed '('"},
           {"SELECT 1;\nSELECT 2);", "2:9: unexpected ')'"},
           {"SELECT 'x;", "1:8: unclosed quote"},
           {"-- atlas:delimiter //", "no input found after delimiter"},
           {"-- atlas:delimiter\nSELECT 1;", "empty delimiter"}}) {
    auto got = runner::internal::AtlasStatements(text);
    ASSERT_FALSE(got.ok()) << text;
    EXPECT_THAT(got.status().message(), HasSubstr(error)) << text;
  }
}

TEST(AtlasLexerTest, DirectivesMatchAsDirGo) {
  struct Case {
    std::string text, prefix, name, arg;
  };
  for (const Case& c : std::vector<Case>{
           {"-- atlas:txmode none", "-- ", "txmode", "none"},
           {"--atlas:sum", "--", "sum", ""},
           // The greedy prefix: the last directive on the line wins.
           {"-- see atlas:txmode none, atlas:sum ignore\nSELECT 1;", "-- see atlas:txmode none, ",
            "sum", "ignore"},
           {"-- atlas:delimiter   \\n\\n\r\nSELECT 1;", "-- ", "delimiter", "\\n\\n"}}) {
    auto d = runner::internal::MatchAtlasDirective(c.text);
    ASSERT_TRUE(d) << c.text;
    EXPECT_EQ(d->prefix + "|" + d->name + "|" + d->arg, c.prefix + "|" + c.name + "|" + c.arg);
  }
  EXPECT_FALSE(runner::internal::MatchAtlasDirective("-- atlas: none"));
  EXPECT_FALSE(runner::internal::MatchAtlasDirective("SELECT 1;\n-- atlas:sum ignore"));
}

}  // namespace
}  // namespace cairn::testing
