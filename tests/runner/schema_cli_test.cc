// `cairn generate`, `diff`, `drift`, `rehearse` and `migrate --strict` as a
// separate process on both backends, with real files and databases.
#include <gmock/gmock.h>

#include <filesystem>

#include "cairn/schema/model.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char* kUsers =
    "-- cairn:up\n"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "INSERT INTO users (id, name) VALUES (1, 'ada');\n"
    "-- cairn:down\n"
    "DROP TABLE users;\n";

class RunnerSchemaCliTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    if (!tdb_) return;
    dir_ = std::make_unique<TempDir>();
    mig_ = dir_->File("migrations");
    std::filesystem::create_directory(mig_);
  }
  ProcessResult Cairn(const std::vector<std::string>& args) {
    return RunCairn(tdb_->url(), mig_, args);
  }
  std::vector<std::string> Files() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(mig_))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string CanonicalLive() {
    auto conn = tdb_->Connect();
    auto m = schema::Introspect(*conn);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? schema::Canonical(*m) : "";
  }
  void Sql(const std::string& sql) {
    auto conn = tdb_->Connect();
    CAIRN_ASSERT_OK(conn->ExecuteScript(sql, nullptr, nullptr));
  }
  std::string Schema(const std::string& text) {
    std::string path = dir_->File("schema.sql");
    WriteFile(path, text);
    return path;
  }

  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<TempDir> dir_;
  std::string mig_;
};

TEST_P(RunnerSchemaCliTest, GenerateWithNoDifferenceWritesNothing) {
  if (!tdb_) return;
  WriteFile(mig_ + "/0001_users.sql", kUsers);
  ASSERT_EQ(Cairn({"migrate"}).exit_code, 0);
  std::string schema = Schema("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n");
  ProcessResult r = Cairn({"generate", "noop", "--schema", schema});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no difference"));
  EXPECT_EQ(Files(), std::vector<std::string>{"0001_users.sql"});
  ProcessResult d = Cairn({"diff", "--schema", schema});
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_THAT(d.out, HasSubstr("no difference"));
}

TEST_P(RunnerSchemaCliTest, GenerateRefusesWhileMigrationsArePending) {
  if (!tdb_) return;
  WriteFile(mig_ + "/0001_users.sql", kUsers);
  std::string schema = Schema("CREATE TABLE other (id INTEGER);\n");
  ProcessResult r = Cairn({"generate", "other", "--schema", schema});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("pending"));
  EXPECT_THAT(r.err, HasSubstr("0001_users.sql"));
  EXPECT_EQ(Files(), std::vector<std::string>{"0001_users.sql"});
  EXPECT_EQ(LedgerRows(*tdb_), 0);
}

TEST_P(RunnerSchemaCliTest, GeneratedUpThenDownRestoresTheSchemaAndNeverOverwrites) {
  if (!tdb_) return;
  WriteFile(mig_ + "/0001_users.sql", kUsers);
  ASSERT_EQ(Cairn({"migrate"}).exit_code, 0);
  const std::string original = CanonicalLive();
  std::string schema = Schema(
      "-- cairn:rename-column users name full_name\n"
      "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT);\n"
      "CREATE INDEX users_email ON users (email);\n"
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users "
      "(id));\n");
  ProcessResult diff = Cairn({"diff", "--schema", schema});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("RENAME COLUMN"));
  EXPECT_EQ(Files().size(), 1u);  // diff writes nothing

  ProcessResult g = Cairn({"generate", "evolve", "--schema", schema});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  ASSERT_EQ(Files(), (std::vector<std::string>{"0001_users.sql", "0002_evolve.sql"}));
  const std::string generated = ReadFileOrDie(mig_ + "/0002_evolve.sql");
  EXPECT_THAT(generated, HasSubstr("-- cairn:up"));
  EXPECT_THAT(generated, HasSubstr("-- cairn:down"));

  ProcessResult m = Cairn({"migrate"});
  ASSERT_EQ(m.exit_code, 0) << m.err << "\n" << generated;
  auto conn = tdb_->Connect();
  auto rows = conn->Query("SELECT full_name FROM users");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][0].AsText(), "ada");  // the rename kept the data
  conn.reset();
  ProcessResult again = Cairn({"generate", "again", "--schema", schema});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("no difference"));

  ProcessResult rb = Cairn({"rollback"});
  ASSERT_EQ(rb.exit_code, 0) << rb.err << "\n" << generated;
  EXPECT_EQ(CanonicalLive(), original) << generated;

  // A second generate after re-applying takes the next number; 0002 is untouched.
  ASSERT_EQ(Cairn({"migrate"}).exit_code, 0);
  std::string schema2 = Schema(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT);\n"
      "CREATE INDEX users_email ON users (email);\n"
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users "
      "(id));\n"
      "CREATE TABLE tags (name TEXT PRIMARY KEY);\n");
  ProcessResult g3 = Cairn({"generate", "tags", "--schema", schema2});
  ASSERT_EQ(g3.exit_code, 0) << g3.err;
  EXPECT_EQ(Files().size(), 3u);
  EXPECT_EQ(ReadFileOrDie(mig_ + "/0002_evolve.sql"), generated);
}

TEST_P(RunnerSchemaCliTest, DriftAfterManualAlterIsListedAndStrictMigrateRefuses) {
  if (!tdb_) return;
  WriteFile(mig_ + "/0001_users.sql", kUsers);
  ASSERT_EQ(Cairn({"migrate"}).exit_code, 0);
  ProcessResult clean = Cairn({"drift"});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_THAT(clean.out, HasSubstr("no drift"));

  Sql("ALTER TABLE users ADD COLUMN nickname TEXT");
  ProcessResult d = Cairn({"drift"});
  EXPECT_EQ(d.exit_code, 13) << d.out << d.err;
  EXPECT_THAT(d.out, HasSubstr("+ column"));
  EXPECT_THAT(d.out, HasSubstr("nickname"));

  WriteFile(mig_ + "/0002_posts.sql",
            "-- cairn:up\nCREATE TABLE posts (id INTEGER);\n-- cairn:down\nDROP TABLE posts;\n");
  ProcessResult strict = Cairn({"migrate", "--strict"});
  EXPECT_EQ(strict.exit_code, 13) << strict.err;
  EXPECT_THAT(strict.err, HasSubstr("nickname"));
  EXPECT_FALSE(TableExists(*tdb_, "posts"));
  EXPECT_EQ(StateOf(StatusJson(*tdb_, mig_), "0002"), "pending");

  ProcessResult warn = Cairn({"migrate"});
  EXPECT_EQ(warn.exit_code, 0) << warn.err;
  EXPECT_THAT(warn.err, HasSubstr("warning: schema drift"));
  EXPECT_TRUE(TableExists(*tdb_, "posts"));
  // The run recorded the new schema (with the manual column): no drift now.
  EXPECT_EQ(Cairn({"drift"}).exit_code, 0);
}

TEST_P(RunnerSchemaCliTest, DriftAfterAnInterruptedRunIsUnknownNotReported) {
  if (!tdb_) return;
  WriteFile(mig_ + "/0001_users.sql", kUsers);
  ASSERT_EQ(Cairn({"migrate"}).exit_code, 0);
  // A run killed after committing a migration that is not its last: the
  // ledger shows a commit without a fingerprint after the last one.
  Sql("ALTER TABLE users ADD COLUMN nickname TEXT");
  {
    auto conn = tdb_->Connect();
    auto store = ledger::LedgerStore::For(*conn);
    auto tx = conn->Begin();
    ASSERT_TRUE(tx.ok());
    v1::Event e;
    e.set_stream(conn->url().database_name);
    e.mutable_migration_committed()->set_migration_id("0002");
    CAIRN_ASSERT_OK(store->Append(**tx, e));
    CAIRN_ASSERT_OK((*tx)->Commit());
  }
  ProcessResult d = Cairn({"drift"});
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_THAT(d.out, HasSubstr("did not finish"));
}

TEST_P(RunnerSchemaCliTest, RehearsalCatchesADownThatLeavesAColumnBehind) {
  if (!tdb_) return;
  WriteFile(mig_ + "/0001_users.sql", kUsers);
  ASSERT_EQ(Cairn({"migrate"}).exit_code, 0);
  WriteFile(mig_ + "/0002_posts.sql",
            "-- cairn:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY);\n"
            "-- cairn:down\nDROP TABLE posts;\n");
  WriteFile(mig_ + "/0003_email.sql",
            "-- cairn:up\nALTER TABLE users ADD COLUMN email TEXT;\n"
            "CREATE INDEX users_email ON users (email);\n"
            "-- cairn:down\nDROP INDEX users_email;\n");
  const int64_t ledger_before = LedgerRows(*tdb_);
  const std::string schema_before = CanonicalLive();
  ProcessResult r = Cairn({"rehearse"});
  EXPECT_EQ(r.exit_code, 14) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok      0002"));
  EXPECT_THAT(r.err, HasSubstr("migration 0003: down leaves schema changed"));
  EXPECT_THAT(r.err, HasSubstr("email"));
  EXPECT_THAT(r.err, Not(HasSubstr("migration 0002")));
  // The target was not touched.
  EXPECT_EQ(LedgerRows(*tdb_), ledger_before);
  EXPECT_EQ(CanonicalLive(), schema_before);
  EXPECT_EQ(StateOf(StatusJson(*tdb_, mig_), "0003"), "pending");

  // Fixed, it rehearses clean.
  WriteFile(mig_ + "/0003_email.sql",
            "-- cairn:up\nALTER TABLE users ADD COLUMN email TEXT;\n"
            "-- cairn:down\nALTER TABLE users DROP COLUMN email;\n");
  ProcessResult ok = Cairn({"rehearse"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerSchemaCliTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
