// `migrate --backup DIR` and `cairn restore`, end to end on both backends:
// the data after a restore equals the data before the run, and the ledger
// records the backup (path, SHA-256) and the restore.
#include <gmock/gmock.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "cairn/base/hash.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

class RunnerBackupTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("0001_create_items.sql"),
              "-- cairn:up\nCREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
              "INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');\n"
              "-- cairn:down\nDROP TABLE items;\n");
    WriteFile(dir_.File("0002_prune_items.sql"),
              "-- cairn:up\nDELETE FROM items WHERE id = 2;\n"
              "UPDATE items SET name = 'changed' WHERE id = 1;\n"
              "CREATE TABLE extra (id INTEGER);\n");
  }
  ProcessResult Cairn(const TestDatabase& tdb, const std::vector<std::string>& args) {
    return RunCairn(tdb.url(), dir_.path(), args);
  }
  std::vector<std::string> Items(const TestDatabase& tdb) {
    auto conn = tdb.Connect();
    auto rows = conn->Query("SELECT id, name FROM items ORDER BY id");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (rows.ok())
      for (const auto& r : *rows) out.push_back(r[0].AsText() + "=" + r[1].AsText());
    return out;
  }
  // Migrates to 0001, adds a row by hand, then migrates with --backup.
  // Returns the backup's path from the run's RunStarted.
  std::string MigrateWithBackup(const TestDatabase& tdb, std::vector<std::string>* before) {
    EXPECT_EQ(Cairn(tdb, {"migrate", "--to", "0001"}).exit_code, 0);
    auto conn = tdb.Connect();
    EXPECT_TRUE(conn->Execute("INSERT INTO items (id, name) VALUES (10, 'by hand')").ok());
    *before = Items(tdb);
    ProcessResult r = Cairn(tdb, {"migrate", "--backup", backups_.path()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::vector<json> started = EventsOf(History(tdb, dir_.path()), "run_started");
    EXPECT_EQ(started.size(), 2u);
    return started.empty() ? "" : started.back().value("backup_path", "");
  }
  TempDir dir_, backups_;
};

TEST_P(RunnerBackupTest, BackupThenRestoreRoundTripsTheDataAndRecordsBoth) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  std::vector<std::string> before;
  const std::string backup = MigrateWithBackup(*tdb, &before);
  ASSERT_THAT(before, ::testing::ElementsAre("1=one", "2=two", "3=three", "10=by hand"));
  ASSERT_FALSE(backup.empty());
  EXPECT_EQ(std::filesystem::path(backup).parent_path(),
            std::filesystem::path(backups_.path()).lexically_normal());
  std::vector<json> events = History(*tdb, dir_.path());
  const json run = EventsOf(events, "run_started").back();
  const std::string sha = ledger::ToHex(ledger::Sha256(ReadFileOrDie(backup)));
  EXPECT_EQ(run["backup_sha256"], sha);
  EXPECT_NE(Items(*tdb), before);
  EXPECT_TRUE(TableExists(*tdb, "extra"));
  const int64_t head_before = static_cast<int64_t>(events.size());
  const std::string head_hash = events.back()["hash"];

  ProcessResult r = Cairn(*tdb, {"restore", backup});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Items(*tdb), before);
  EXPECT_FALSE(TableExists(*tdb, "extra"));

  events = History(*tdb, dir_.path());
  std::vector<json> restored = EventsOf(events, "backup_restored");
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(events.back()["type"], "backup_restored");
  EXPECT_EQ(restored[0]["backup_path"], backup);
  EXPECT_EQ(restored[0]["backup_sha256"], sha);
  EXPECT_EQ(restored[0]["previous_head_position"], head_before);
  EXPECT_EQ(restored[0]["previous_head_hash"], head_hash);
  EXPECT_EQ(restored[0]["backup_run_id"], run["run_id"]);
  EXPECT_EQ(restored[0]["forced"], false);
  // The restored ledger is the one the backup held, plus the restore.
  EXPECT_EQ(EventsOf(events, "migration_committed").size(), 1u);
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(st["version"], "0001");
  EXPECT_EQ(StateOf(st, "0002"), "pending");
  EXPECT_EQ(Cairn(*tdb, {"verify"}).exit_code, 0);

  // And the run can be repeated.
  r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(Items(*tdb), ::testing::ElementsAre("1=changed", "3=three", "10=by hand"));
}

TEST_P(RunnerBackupTest, RestoreRefusesNewerHistoryAndAChangedFile) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  std::vector<std::string> before;
  const std::string backup = MigrateWithBackup(*tdb, &before);
  ASSERT_FALSE(backup.empty());
  // A later run makes the ledger newer than the backup's run.
  WriteFile(dir_.File("0003_more.sql"), "-- cairn:up\nCREATE TABLE more (id INTEGER);\n");
  ASSERT_EQ(Cairn(*tdb, {"migrate"}).exit_code, 0);
  const int64_t rows = LedgerRows(*tdb);

  ProcessResult r = Cairn(*tdb, {"restore", backup});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("has events after the run that took this backup"));
  EXPECT_EQ(LedgerRows(*tdb), rows);
  EXPECT_TRUE(TableExists(*tdb, "more"));

  // A copy whose bytes changed, under the recorded path: refused even with --force.
  const std::string original = ReadFileOrDie(backup);
  WriteFile(backup, original + "x");
  r = Cairn(*tdb, {"restore", "--force", backup});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("the file changed"));
  EXPECT_EQ(LedgerRows(*tdb), rows);
  WriteFile(backup, original);

  r = Cairn(*tdb, {"restore", "--force", backup});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Items(*tdb), before);
  EXPECT_FALSE(TableExists(*tdb, "more"));
  std::vector<json> restored = EventsOf(History(*tdb, dir_.path()), "backup_restored");
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0]["forced"], true);
  EXPECT_EQ(restored[0]["previous_head_position"], rows);
}

// pg_dump gets the URL without its password, and the password only in
// PGPASSWORD: a pg_dump on PATH that records its arguments and environment
// before running the real one shows what cairn passed.
TEST(RunnerBackupPostgresTest, PasswordReachesPgDumpOnlyThroughTheEnvironment) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  std::string real;
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string d; std::getline(path, d, ':');)
    if (real.empty() && access((d + "/pg_dump").c_str(), X_OK) == 0) real = d + "/pg_dump";
  ASSERT_FALSE(real.empty()) << "pg_dump not on PATH";
  TempDir bin, dir, backups;
  const std::string log = bin.File("pg_dump.log");
  WriteFile(bin.File("pg_dump"), "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + log +
                                     "\necho \"PGPASSWORD=$PGPASSWORD\" >> " + log + "\nexec " +
                                     real + " \"$@\"\n");
  chmod(bin.File("pg_dump").c_str(), 0755);
  WriteFile(dir.File("0001_t.sql"), "-- cairn:up\nCREATE TABLE t (id INTEGER);\n");
  // The test server trusts every connection, so any password is accepted.
  std::string url = tdb->url();
  const std::string user = "://postgres@";
  ASSERT_NE(url.find(user), std::string::npos) << url;
  url.replace(url.find(user), user.size(), "://postgres:s3cr%40t@");
  ProcessResult r = RunProcess({CairnBinary(), "--database", url, "--dir", dir.path(), "migrate",
                                "--backup", backups.path()},
                               {{"PATH", bin.path() + ":" + std::getenv("PATH")}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string seen = ReadFileOrDie(log);
  EXPECT_THAT(seen, HasSubstr("--format=custom\n"));
  EXPECT_THAT(seen, HasSubstr("--dbname=postgresql://postgres@127.0.0.1:"));
  EXPECT_THAT(seen, HasSubstr("PGPASSWORD=s3cr@t\n"));
  EXPECT_EQ(seen.find("s3cr"), seen.find("PGPASSWORD=s3cr") + 11) << seen;
  // Nor does the ledger hold it.
  ProcessResult h = RunProcess({CairnBinary(), "--database", url, "--dir", dir.path(), "history"});
  EXPECT_EQ(h.out.find("s3cr"), std::string::npos) << h.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerBackupTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
