// Transaction modes (docs/transactions.md): five migrations, the third fails
// after its first statement; what remains applied and what the ledger says,
// per mode. Also --prepare with commit and abort (PostgreSQL), statements
// that cannot run in a transaction, and the per-migration timeout directives.
#include <gmock/gmock.h>

#include <set>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

void WriteFive(const TempDir& dir, const std::string& third_down = "DROP TABLE t3;") {
  for (int i = 1; i <= 5; ++i) {
    std::string n = std::to_string(i);
    std::string up = "CREATE TABLE t" + n + " (x INT);\n";
    if (i == 3) up += "INSERT INTO no_such_table VALUES (1);\n";
    WriteFile(dir.File("000" + n + "_t" + n + ".sql"),
              "-- cairn:up\n" + up + "-- cairn:down\n" +
                  (i == 3 ? third_down : "DROP TABLE t" + n + ";") + "\n");
  }
}

std::vector<std::string> Tables(const TestDatabase& tdb) {
  std::vector<std::string> out;
  for (const std::string& t : AllTables(tdb))
    if (t.rfind("cairn_", 0) != 0) out.push_back(t);
  return out;
}

std::vector<std::string> Types(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const json& e : events) {
    std::string t = e.value("type", "");
    if (e.contains("migration_id")) t += " " + e.value("migration_id", "");
    if (t.rfind("migration_", 0) == 0 && e.value("direction", "") == "DIRECTION_DOWN") t += " down";
    out.push_back(t);
  }
  return out;
}

class RunnerTxModeTest : public ::testing::TestWithParam<db::Backend> {};

TEST_P(RunnerTxModeTest, PerMigrationKeepsWhatCommittedBeforeTheFailure) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFive(dir);
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "per-migration"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(Tables(*tdb), ElementsAre("t1", "t2"));
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_THAT(Types(events),
              ElementsAre("run_started", "migration_started 0001", "migration_committed 0001",
                          "migration_started 0002", "migration_committed 0002",
                          "migration_started 0003", "migration_failed 0003", "run_finished"));
  EXPECT_EQ(events[0]["mode"], "TRANSACTION_MODE_PER_MIGRATION");
  EXPECT_EQ(events.back()["outcome"], "RUN_OUTCOME_FAILED");
  EXPECT_EQ(events.back()["migrations_applied"], 2);
  json status = StatusJson(*tdb, dir.path());
  EXPECT_EQ(StateOf(status, "0002"), "applied");
  EXPECT_EQ(StateOf(status, "0003"), "failed");
  EXPECT_EQ(StateOf(status, "0004"), "pending");
}

TEST_P(RunnerTxModeTest, AllKeepsNothingAndStillRecordsTheFailure) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFive(dir);
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "all"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(Tables(*tdb), ElementsAre());
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_THAT(Types(events), ElementsAre("run_started", "migration_started 0003",
                                         "migration_failed 0003", "run_finished"));
  EXPECT_EQ(events[0]["mode"], "TRANSACTION_MODE_ALL");
  EXPECT_EQ(events.back()["outcome"], "RUN_OUTCOME_FAILED");
  EXPECT_EQ(events.back()["migrations_applied"], 0);
  EXPECT_THAT(events.back().value("error", ""), HasSubstr("0001, 0002 were not kept"));
  json status = StatusJson(*tdb, dir.path());
  EXPECT_EQ(StateOf(status, "0001"), "pending");
  EXPECT_EQ(StateOf(status, "0003"), "failed");
  EXPECT_EQ(status["version"], "");

  // Fixed, the same mode applies all five in one go.
  WriteFive(dir);
  WriteFile(dir.File("0003_t3.sql"),
            "-- cairn:up\nCREATE TABLE t3 (x INT);\n"
            "-- cairn:down\nDROP TABLE t3;\n");
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Tables(*tdb), ElementsAre("t1", "t2", "t3", "t4", "t5"));
  r = RunCairn(tdb->url(), dir.path(), {"rollback", "--to", "0", "--tx", "all"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Tables(*tdb), ElementsAre());
}

TEST_P(RunnerTxModeTest, NoneCompensatesWithDownSectionsNewestFirst) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFive(dir);
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "none"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(Tables(*tdb), ElementsAre());  // t3's CREATE ran and was undone too
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_THAT(
      Types(events),
      ElementsAre("run_started", "migration_started 0001", "statements_committed 0001",
                  "migration_committed 0001", "migration_started 0002", "statements_committed 0002",
                  "migration_committed 0002", "migration_started 0003", "statements_committed 0003",
                  "migration_failed 0003", "migration_started 0003 down",
                  "migration_rolled_back 0003", "migration_started 0002 down",
                  "migration_rolled_back 0002", "migration_started 0001 down",
                  "migration_rolled_back 0001", "run_finished"));
  EXPECT_EQ(events[0]["mode"], "TRANSACTION_MODE_NONE");
  EXPECT_TRUE(events[1].value("outside_transaction", false));
  EXPECT_EQ(events[8]["statements_done"], 1);  // t3's CREATE committed with this event
  EXPECT_EQ(events[9]["statements_executed"], 1);
  EXPECT_EQ(events.back()["outcome"], "RUN_OUTCOME_FAILED");
  EXPECT_EQ(events.back()["compensated"], json::array({"0003", "0002", "0001"}));
  json status = StatusJson(*tdb, dir.path());
  EXPECT_EQ(status["version"], "");
  EXPECT_EQ(status["pending"], 5);
}

TEST_P(RunnerTxModeTest, NoneWhoseCompensationFailsExitsWith8AndSaysWhatRemains) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFive(dir, "DROP TABLE no_such_table_either;");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "none"});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_THAT(r.err, HasSubstr("compensation failed"));
  EXPECT_THAT(Tables(*tdb), ElementsAre("t1", "t2", "t3"));
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_THAT(
      Types(events),
      ElementsAre("run_started", "migration_started 0001", "statements_committed 0001",
                  "migration_committed 0001", "migration_started 0002", "statements_committed 0002",
                  "migration_committed 0002", "migration_started 0003", "statements_committed 0003",
                  "migration_failed 0003", "migration_started 0003 down",
                  "migration_failed 0003 down", "run_finished"));
  EXPECT_THAT(r.err, Not(HasSubstr("rolled back")));  // t3 stays: never say otherwise
  EXPECT_THAT(events.back().value("error", ""), HasSubstr("still applied: 0001, 0002"));
  json status = StatusJson(*tdb, dir.path());
  EXPECT_EQ(StateOf(status, "0002"), "applied");
  EXPECT_EQ(StateOf(status, "0003"), "failed");
}

TEST_P(RunnerTxModeTest, NoneRefusesAMigrationWithoutDownBeforeWriting) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "none"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("0001_a.sql: migration 0001 has no '-- cairn:down' section"));
  EXPECT_EQ(LedgerRows(*tdb), 0);
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "sometimes"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST_P(RunnerTxModeTest, VacuumRunsOutsideATransactionAndAllRefusesIt) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\n");
  WriteFile(dir.File("0002_vacuum.sql"), "-- cairn:up\nVACUUM;\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "all"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("0002_vacuum.sql: migration 0002 cannot run inside a transaction "
                               "(VACUUM at line 2)"));
  EXPECT_EQ(LedgerRows(*tdb), 0);
  r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> events = History(*tdb, dir.path());
  auto started = EventsOf(events, "migration_started", "0002");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_TRUE(started[0].value("outside_transaction", false));
  EXPECT_FALSE(EventsOf(events, "migration_started", "0001")[0].value("outside_transaction", true));
}

TEST_P(RunnerTxModeTest, StatementTimeoutStopsASlowMigration) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  std::string slow = GetParam() == db::Backend::kPostgres
                         ? "SELECT pg_sleep(60);"
                         : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                           "SELECT count(*) FROM c;";
  WriteFile(
      dir.File("0001_slow.sql"),
      "-- cairn:statement-timeout 300ms\n-- cairn:up\nCREATE TABLE a (x INT);\n" + slow + "\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("0001_slow.sql:4: migration 0001 failed"));
  EXPECT_THAT(r.err, HasSubstr("(statement timeout 300 ms)"));
  EXPECT_THAT(Tables(*tdb), ElementsAre());
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerTxModeTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// The run id printed by `migrate --prepare`.
std::string PreparedRunId(const std::string& out) {
  auto lines = LinesStartingWith(out, "run ");
  return lines.empty() ? "" : lines[0].substr(4, 36);
}

TEST(RunnerPrepareTest, PrepareThenCommit) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\n");
  WriteFile(dir.File("0002_b.sql"), "-- cairn:up\nCREATE TABLE b (x INT);\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--prepare"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run = PreparedRunId(r.out);
  ASSERT_EQ(run.size(), 36u) << r.out;
  EXPECT_THAT(Tables(*tdb), ElementsAre());  // nothing visible yet

  json status = StatusJson(*tdb, dir.path());
  EXPECT_EQ(status.value("prepared_run", ""), run);
  EXPECT_EQ(StateOf(status, "0001"), "pending");
  EXPECT_EQ(status["pending"], 2);
  ProcessResult text = RunCairn(tdb->url(), dir.path(), {"status"});
  EXPECT_THAT(text.out, HasSubstr("prepared: run " + run));
  // Another run is refused while this one is pending, without waiting on it.
  ProcessResult again = RunCairn(tdb->url(), dir.path(), {"migrate"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_THAT(again.err, HasSubstr("cairn commit " + run));

  ProcessResult c = RunCairn(tdb->url(), dir.path(), {"commit", run});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_THAT(c.out, HasSubstr("committed 0002"));
  EXPECT_THAT(Tables(*tdb), ElementsAre("a", "b"));
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_THAT(Types(events),
              ElementsAre("run_started", "migration_started 0001", "migration_committed 0001",
                          "migration_started 0002", "migration_committed 0002", "run_finished"));
  EXPECT_TRUE(events[0].value("prepare", false));
  EXPECT_EQ(events.back()["outcome"], "RUN_OUTCOME_SUCCEEDED");
  EXPECT_EQ(StateOf(StatusJson(*tdb, dir.path()), "0002"), "applied");
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"commit", run}).exit_code, 3);
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"verify"}).exit_code, 0);
}

TEST(RunnerPrepareTest, PrepareThenAbort) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--prepare"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run = PreparedRunId(r.out);
  ProcessResult a = RunCairn(tdb->url(), dir.path(), {"abort", run});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(Tables(*tdb), ElementsAre());
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_THAT(Types(events), ElementsAre("run_started", "run_finished"));
  EXPECT_EQ(events.back()["outcome"], "RUN_OUTCOME_FAILED");
  EXPECT_THAT(events.back().value("error", ""), HasSubstr("aborted"));
  json status = StatusJson(*tdb, dir.path());
  EXPECT_FALSE(status.contains("prepared_run"));
  EXPECT_EQ(StateOf(status, "0001"), "pending");
  // The target is free again.
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"migrate"}).exit_code, 0);
  EXPECT_THAT(Tables(*tdb), ElementsAre("a"));
}

TEST(RunnerPrepareTest, PrepareNeedsPostgres) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--prepare"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--prepare needs PostgreSQL"));
  EXPECT_EQ(LedgerRows(*tdb), 0);
}

// A migration whose lock timeout fires is retried a bounded number of times
// with backoff, each retry logged, then fails cleanly.
TEST(RunnerLockTimeoutDirectiveTest, RetriesThenFails) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\n");
  ASSERT_EQ(RunCairn(tdb->url(), dir.path(), {"migrate"}).exit_code, 0);
  WriteFile(dir.File("0002_col.sql"),
            "-- cairn:lock-timeout 100ms\n-- cairn:lock-retries 2\n-- cairn:up\n"
            "ALTER TABLE a ADD COLUMN y INT;\n");
  auto blocker = tdb->Connect();
  auto tx = blocker->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(blocker->Execute("LOCK TABLE a IN ACCESS EXCLUSIVE MODE").ok());
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lock timeout (100 ms) fired"));
  EXPECT_THAT(r.err, HasSubstr("retry 1 of 2"));
  EXPECT_THAT(r.err, HasSubstr("retry 2 of 2"));
  EXPECT_THAT(r.err, HasSubstr("0002_col.sql:4: migration 0002 failed"));
  ASSERT_TRUE((*tx)->Rollback().ok());
  r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// The lock is released between two attempts: a retry succeeds, and the
// migration commits once.
TEST(RunnerLockTimeoutDirectiveTest, RetrySucceedsOnceTheLockIsFree) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\n");
  ASSERT_EQ(RunCairn(tdb->url(), dir.path(), {"migrate"}).exit_code, 0);
  WriteFile(dir.File("0002_col.sql"),
            "-- cairn:lock-timeout 100ms\n-- cairn:lock-retries 50\n-- cairn:up\n"
            "ALTER TABLE a ADD COLUMN y INT;\n");
  auto blocker = tdb->Connect();
  auto tx = blocker->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(blocker->Execute("LOCK TABLE a IN ACCESS EXCLUSIVE MODE").ok());
  Child child({CairnBinary(), "--database", tdb->url(), "--dir", dir.path(), "migrate"});
  // Start times of the ALTER attempts seen waiting for the lock.
  auto watcher = tdb->Connect();
  std::set<std::string> attempts;
  ASSERT_TRUE(WaitFor([&] {
    auto rows = watcher->Query(
        "SELECT query_start::text FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE a ADD COLUMN y%'");
    if (rows.ok())
      for (const auto& r : *rows) attempts.insert(r[0].AsText());
    return attempts.size() >= 2;  // the first attempt timed out and was retried
  }));
  ASSERT_TRUE((*tx)->Rollback().ok());
  ProcessResult r = child.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("retry 1 of 50"));
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_EQ(EventsOf(events, "migration_committed", "0002").size(), 1u);
  EXPECT_TRUE(EventsOf(events, "migration_failed").empty());
}

}  // namespace
}  // namespace cairn::testing
