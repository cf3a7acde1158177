// History belongs to the database, not to its name (docs/ledger-format.md,
// "Stream names" and "Target identity"): a copied SQLite file, a renamed,
// template-copied or dump-restored PostgreSQL database keeps its stream; a
// ledger of several streams, or a --stream it lacks, is refused with the
// list; a database without a ledger says so; and migrate from a folder that
// lacks applied migrations warns (--strict refuses). The real `cairn` binary
// on real SQLite files and a real PostgreSQL server.
#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char* kUp[] = {"CREATE TABLE a (id INTEGER)", "CREATE TABLE b (id INTEGER)",
                     "CREATE TABLE c (id INTEGER)", "CREATE TABLE d (id INTEGER)"};

// Writes migration `n` (1-based) of kUp into `dir`.
void WriteMigration(const std::string& dir, int n) {
  const char name = static_cast<char>('a' + n - 1);
  WriteFile(
      dir + "/000" + std::to_string(n) + "_create_" + name + ".sql",
      std::string("-- cairn:up\n") + kUp[n - 1] + ";\n-- cairn:down\nDROP TABLE " + name + ";\n");
}

// The target id recorded in the ledger ("" when none).
std::string TargetIdOf(const std::string& url) {
  auto parsed = db::ParseDatabaseUrl(url);
  EXPECT_TRUE(parsed.ok());
  auto conn = db::Connection::Open(*parsed);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  if (!conn.ok()) return "";
  auto rows = (*conn)->Query("SELECT value FROM cairn_ledger_meta WHERE key = 'target_id'");
  return rows.ok() && !rows->empty() ? (*rows)[0][0].AsText() : "";
}

// Status, migrate and verify on `url`, a copy (or the renamed original) of a
// database migrated to 0003 as stream `stream`, with 0004 now in `dir`: the
// stream is found in the ledger, 0004 alone is pending and applied, and
// verify checks the whole history.
void ExpectHistoryKept(const std::string& url, const std::string& dir, const std::string& stream,
                       int64_t events_before) {
  ProcessResult r = RunCairn(url, dir, {"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json status = json::parse(r.out);
  EXPECT_EQ(status["stream"], stream);
  EXPECT_EQ(status["head"]["position"], events_before);
  EXPECT_EQ(StateOf(status, "0001"), "applied");
  EXPECT_EQ(StateOf(status, "0003"), "applied");
  EXPECT_EQ(StateOf(status, "0004"), "pending");
  EXPECT_EQ(status["pending"], 1);

  r = RunCairn(url, dir, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("already exists")));
  r = RunCairn(url, dir, {"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  status = json::parse(r.out);
  EXPECT_EQ(StateOf(status, "0004"), "applied");
  EXPECT_EQ(status["pending"], 0);

  r = RunCairn(url, dir, {"verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok: stream " + stream + ", "));
  EXPECT_THAT(r.out, Not(HasSubstr(" 0 event(s)")));
}

// Migrates `tdb` to 0003 (the files in `dir`); returns its ledger's head position.
int64_t MigrateThree(const TestDatabase& tdb, const std::string& dir,
                     const std::vector<std::string>& globals = {}) {
  for (int n = 1; n <= 3; ++n) WriteMigration(dir, n);
  std::vector<std::string> args = globals;
  args.push_back("migrate");
  ProcessResult r = RunCairn(tdb.url(), dir, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return LedgerRows(tdb);
}

TEST(RunnerIdentityTest, CopiedSqliteFileKeepsTheOriginalsStream) {
  auto prod = TestDatabase::Create(db::Backend::kSqlite);
  ASSERT_TRUE(prod);
  TempDir dir, copies;
  const int64_t events = MigrateThree(*prod, dir.path());
  ASSERT_GT(events, 0);
  const std::string original = TargetIdOf(prod->url());
  ASSERT_EQ(original.size(), 36u);

  // cp prod.db staging.db (cairn has exited; its WAL was checkpointed on close).
  const std::string prod_path = prod->url().substr(std::string("sqlite:").size());
  ASSERT_FALSE(std::filesystem::exists(prod_path + "-wal")) << "the WAL was not checkpointed";
  const std::string staging = copies.File("staging.db");
  std::filesystem::copy_file(prod_path, staging);
  const std::string staging_url = "sqlite:" + staging;
  EXPECT_EQ(TargetIdOf(staging_url), original) << "a copy carries the target id";

  WriteMigration(dir.path(), 4);
  ExpectHistoryKept(staging_url, dir.path(), "target", events);
  // The original is untouched: 0004 is still pending there.
  json status = StatusJson(*prod, dir.path());
  EXPECT_EQ(StateOf(status, "0004"), "pending");
  EXPECT_EQ(status["head"]["position"], events);
}

TEST(RunnerIdentityTest, RenamedSqliteFileKeepsItsStream) {
  auto prod = TestDatabase::Create(db::Backend::kSqlite);
  ASSERT_TRUE(prod);
  TempDir dir, moved;
  const int64_t events = MigrateThree(*prod, dir.path());
  const std::string from = prod->url().substr(std::string("sqlite:").size());
  const std::string to = moved.File("renamed.db");
  std::filesystem::rename(from, to);
  WriteMigration(dir.path(), 4);
  ExpectHistoryKept("sqlite:" + to, dir.path(), "target", events);
}

class RunnerIdentityCliTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override { tdb_ = TestDatabase::Create(GetParam()); }
  ProcessResult Cairn(const std::vector<std::string>& args, const std::string& dir = "") {
    return RunCairn(tdb_->url(), dir.empty() ? dir_.path() : dir, args);
  }
  std::string DatabaseName() const { return db::ParseDatabaseUrl(tdb_->url())->database_name; }

  std::unique_ptr<TestDatabase> tdb_;
  TempDir dir_;
};

TEST_P(RunnerIdentityCliTest, SeveralStreamsAreRefusedWithTheirList) {
  if (!tdb_) return;
  TempDir other;
  MigrateThree(*tdb_, dir_.path(), {"--stream", "alpha"});
  WriteMigration(other.path(), 4);
  ProcessResult r = Cairn({"--stream", "beta", "--new-stream", "migrate"}, other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t rows = LedgerRows(*tdb_);

  for (const char* command : {"status", "history", "verify", "migrate"}) {
    r = Cairn({command});
    EXPECT_EQ(r.exit_code, 3) << command << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("several streams in the ledger of")) << command;
    EXPECT_THAT(r.err, HasSubstr(": alpha, beta; choose one with --stream")) << command;
    EXPECT_EQ(LinesStartingWith(r.err, "cairn: error: ").size(), 1u) << r.err;
  }
  EXPECT_EQ(LedgerRows(*tdb_), rows) << "a refused migrate wrote nothing";
  r = Cairn({"--stream", "beta", "status", "--json"}, other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["stream"], "beta");
  // Commands that read every stream, or only the live schema, need none.
  r = Cairn({"export", "--format", "jsonl", "--all-streams"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  WriteFile(other.File("schema.sql"), "CREATE TABLE a (id INTEGER);\n");
  r = Cairn({"diff", "--schema", other.File("schema.sql")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("-- up: live database -> "));
}

TEST_P(RunnerIdentityCliTest, UnknownStreamIsRefusedUnlessNewOnPurpose) {
  if (!tdb_) return;
  MigrateThree(*tdb_, dir_.path());
  const int64_t rows = LedgerRows(*tdb_);
  const std::string own = DatabaseName();

  for (const char* command : {"status", "verify", "history", "migrate"}) {
    ProcessResult r = Cairn({"--stream", "staging", command});
    EXPECT_EQ(r.exit_code, 3) << command << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--stream staging: no such stream in the ledger of"));
    EXPECT_THAT(r.err, HasSubstr("which holds: " + own +
                                 " (to start a new stream on purpose, "
                                 "add --new-stream)"));
  }
  EXPECT_EQ(LedgerRows(*tdb_), rows) << "nothing was written";
  // --new-stream without --stream is a usage error.
  ProcessResult r = Cairn({"--new-stream", "status"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--new-stream needs --stream NAME"));

  // verify never reports success for zero events, even on purpose.
  r = Cairn({"--stream", "staging", "--new-stream", "verify"});
  EXPECT_EQ(r.exit_code, 18) << r.err;
  EXPECT_THAT(r.err, HasSubstr("holds no stream staging yet (it holds: " + own + ")"));
  EXPECT_THAT(r.out, Not(HasSubstr("ok:")));
  // A new stream on purpose: the migrations run again under that stream
  // (tables made idempotent here so that they can).
  TempDir other;
  WriteFile(other.File("0001_t.sql"), "-- cairn:up\nCREATE TABLE IF NOT EXISTS t (id INTEGER);\n");
  r = Cairn({"--stream", "staging", "--new-stream", "migrate"}, other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cairn({"--stream", "staging", "verify"}, other.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok: stream staging, "));
}

TEST_P(RunnerIdentityCliTest, DatabaseWithoutLedgerSaysSoInOneLine) {
  if (!tdb_) return;
  WriteMigration(dir_.path(), 1);
  ProcessResult r = Cairn({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(LinesStartingWith(r.out, "no ledger in "),
              ::testing::ElementsAre(
                  HasSubstr(": it has no cairn_ledger table (nothing was ever migrated here)")));
  EXPECT_THAT(r.out, HasSubstr("1 pending"));
  r = Cairn({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(json::parse(r.out)["no_events"].get<std::string>(), HasSubstr("no ledger in "));

  r = Cairn({"history"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(LinesStartingWith(r.out, "no ledger in ").size(), 1u) << r.out;
  r = Cairn({"history", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["events"], json::array());
  EXPECT_THAT(json::parse(r.out)["no_events"].get<std::string>(), HasSubstr("no ledger in "));
  EXPECT_EQ(LinesStartingWith(r.err, "no ledger in ").size(), 1u) << r.err;

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"verify"}, std::vector<std::string>{"verify", "--json"}}) {
    r = Cairn(args);
    EXPECT_EQ(r.exit_code, 18) << r.err;
    EXPECT_THAT(r.err, HasSubstr("no ledger in "));
    EXPECT_THAT(r.err, HasSubstr(": nothing to verify"));
    if (args.size() == 1) {
      EXPECT_EQ(r.out, "");
    } else {  // the error as a JSON document (docs/json.md)
      json doc = json::parse(r.out);
      EXPECT_EQ(doc["exit_code"], 18);
      EXPECT_EQ(doc["error"]["kind"], "no_ledger");
    }
  }
  EXPECT_FALSE(TableExists(*tdb_, "cairn_ledger")) << "reading never creates the ledger";
}

TEST_P(RunnerIdentityCliTest, MigrateFromAFolderLackingAppliedMigrationsWarnsAndStrictRefuses) {
  if (!tdb_) return;
  MigrateThree(*tdb_, dir_.path());
  // Another checkout: 0001 and a new 0004, but not 0002 and 0003.
  TempDir other;
  WriteMigration(other.path(), 1);
  WriteMigration(other.path(), 4);
  const int64_t rows = LedgerRows(*tdb_);

  ProcessResult r = Cairn({"migrate", "--strict"}, other.path());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  for (const char* id : {"0002", "0003"})
    EXPECT_THAT(r.err,
                HasSubstr("--strict: migration " + std::string(id) + " (" + id + "_create_" +
                          (id[3] == '2' ? "b" : "c") +
                          ".sql) is applied in the ledger but has no file in " + other.path()));
  EXPECT_FALSE(TableExists(*tdb_, "d"));
  EXPECT_EQ(LedgerRows(*tdb_), rows) << "a refused run writes nothing";

  r = Cairn({"migrate"}, other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("migration 0002 (0002_create_b.sql) is applied in the ledger but "
                               "has no file in " +
                               other.path()));
  EXPECT_THAT(r.err, HasSubstr("migration 0003 (0003_create_c.sql) is applied"));
  EXPECT_TRUE(TableExists(*tdb_, "d"));

  // Nothing pending: still said, and still refused with --strict.
  r = Cairn({"migrate"}, other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("migration 0002 (0002_create_b.sql) is applied"));
  r = Cairn({"migrate", "--strict"}, other.path());
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // The full folder has all four: silent.
  WriteMigration(dir_.path(), 4);
  r = Cairn({"migrate", "--strict"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("has no file")));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerIdentityCliTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// PostgreSQL: ALTER DATABASE ... RENAME TO, CREATE DATABASE ... TEMPLATE and
// pg_dump | pg_restore into a database of another name.
class RunnerIdentityPgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(db::Backend::kPostgres);
    if (!tdb_) return;
    auto parsed = db::ParseDatabaseUrl(std::getenv("CAIRN_TEST_PG_URL"));
    ASSERT_TRUE(parsed.ok());
    auto admin = db::Connection::Open(*parsed);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
    name_ = db::ParseDatabaseUrl(tdb_->url())->database_name;
  }
  void TearDown() override {
    for (const std::string& n : made_)
      (void)admin_->Execute("DROP DATABASE IF EXISTS " + db::QuoteIdentifier(n) + " WITH (FORCE)");
  }
  // tdb_'s URL with the database name `name`.
  std::string UrlOf(const std::string& name) const {
    std::string url = tdb_->url();
    url.replace(url.find("/" + name_) + 1, name_.size(), name);
    return url;
  }
  // Runs an admin statement; `name` is dropped after the test.
  void Admin(const std::string& sql, const std::string& name) {
    made_.push_back(name);
    auto r = admin_->Execute(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  }

  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<db::Connection> admin_;
  std::string name_;
  std::vector<std::string> made_;
  TempDir dir_;
};

TEST_F(RunnerIdentityPgTest, RenamedDatabaseKeepsItsStream) {
  if (!tdb_) return;
  const int64_t events = MigrateThree(*tdb_, dir_.path());
  const std::string renamed = name_ + "_old";
  Admin(
      "ALTER DATABASE " + db::QuoteIdentifier(name_) + " RENAME TO " + db::QuoteIdentifier(renamed),
      renamed);
  WriteMigration(dir_.path(), 4);
  ExpectHistoryKept(UrlOf(renamed), dir_.path(), name_, events);
  // Back, so that the test database is dropped as usual.
  Admin(
      "ALTER DATABASE " + db::QuoteIdentifier(renamed) + " RENAME TO " + db::QuoteIdentifier(name_),
      renamed);
}

TEST_F(RunnerIdentityPgTest, TemplateCopyKeepsTheOriginalsStream) {
  if (!tdb_) return;
  const int64_t events = MigrateThree(*tdb_, dir_.path());
  const std::string copy = name_ + "_staging";
  Admin("CREATE DATABASE " + db::QuoteIdentifier(copy) + " TEMPLATE " + db::QuoteIdentifier(name_),
        copy);
  EXPECT_EQ(TargetIdOf(UrlOf(copy)), TargetIdOf(tdb_->url()));
  WriteMigration(dir_.path(), 4);
  ExpectHistoryKept(UrlOf(copy), dir_.path(), name_, events);
  EXPECT_EQ(StateOf(StatusJson(*tdb_, dir_.path()), "0004"), "pending");
}

TEST_F(RunnerIdentityPgTest, DumpRestoredIntoAnotherNameKeepsTheStream) {
  if (!tdb_) return;
  const char* bindir = std::getenv("CAIRN_PG_BINDIR");
  ASSERT_NE(bindir, nullptr) << "CAIRN_PG_BINDIR (exported by scripts/pg-harness.sh) names the "
                                "directory of pg_dump and pg_restore";
  const int64_t events = MigrateThree(*tdb_, dir_.path());
  const std::string dump = dir_.File("prod.dump");
  ProcessResult r = RunProcess({std::string(bindir) + "/pg_dump", "--format=custom", "--file", dump,
                                "--dbname", tdb_->url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string restored = name_ + "_restored";
  Admin("CREATE DATABASE " + db::QuoteIdentifier(restored), restored);
  r = RunProcess(
      {std::string(bindir) + "/pg_restore", "--no-owner", "--dbname", UrlOf(restored), dump});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(TargetIdOf(UrlOf(restored)), TargetIdOf(tdb_->url()));
  WriteMigration(dir_.path(), 4);
  ExpectHistoryKept(UrlOf(restored), dir_.path(), name_, events);
}

}  // namespace
}  // namespace cairn::testing
