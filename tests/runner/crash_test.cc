// Crash safety: `cairn migrate` is killed with SIGKILL while a migration's
// transaction is open. Afterwards the database and the ledger must agree that
// the migration never happened, the chain must verify, and a re-run must
// apply everything exactly once.
//
// The migration under test creates a table in its first statement and then
// runs a slow statement whose duration comes from a control table, ctl(n), so
// the test makes it slow for the killed run and fast for the re-run. The test
// waits for proof that the child is inside the migration's transaction
// (PostgreSQL: pg_stat_activity shows the pg_sleep; SQLite: the run_started
// event is committed and another connection cannot take the write lock)
// before it kills; there are no fixed sleeps.
#include <gmock/gmock.h>
#include <signal.h>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

class RunnerCrashTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  // The slow statement for the backend; its running time grows with ctl.n.
  static std::string SlowStatement(db::Backend b) {
    if (b == db::Backend::kSqlite) {
      return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
             "WHERE x < (SELECT n FROM ctl)) SELECT count(*) FROM c;";
    }
    return "SELECT pg_sleep((SELECT n FROM ctl));";
  }
  // ctl.n that makes the slow statement run far longer than any test (it is
  // killed long before), and one that makes it instant.
  static int64_t SlowN(db::Backend b) {
    return b == db::Backend::kSqlite ? int64_t{1'000'000'000'000} : 3600;
  }

  static void SetControl(const TestDatabase& tdb, int64_t n) {
    auto conn = tdb.Connect();
    ASSERT_TRUE(conn);
    if (!TableExists(*conn, "ctl")) {
      ASSERT_TRUE(conn->Execute("CREATE TABLE ctl (n BIGINT)").ok());
    }
    ASSERT_TRUE(conn->Execute("DELETE FROM ctl").ok());
    auto r = conn->Execute("INSERT INTO ctl (n) VALUES ($1)", {n});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (conn->backend() == db::Backend::kPostgres) {
      // A killed client's session would otherwise keep sleeping (and keep its
      // transaction and stream lock) until pg_sleep returns: PostgreSQL only
      // notices a vanished client when it next talks to it. With this setting
      // the server checks the socket while the query runs, as a production
      // server with a dead client eventually would, and rolls back.
      auto a = conn->Execute("ALTER DATABASE " + conn->url().database_name +
                             " SET client_connection_check_interval = '100ms'");
      ASSERT_TRUE(a.ok()) << a.status().ToString();
    }
  }

  // True once the child is inside the transaction of the migration that runs
  // the slow statement, which `committed_before` migrations of the same run
  // precede.
  static bool InsideSlowMigration(const TestDatabase& tdb, int committed_before) {
    auto parsed = db::ParseDatabaseUrl(tdb.url());
    if (!parsed.ok()) return false;
    auto conn = db::Connection::Open(*parsed, db::OpenOptions{std::chrono::milliseconds(50)});
    if (!conn.ok()) return false;
    db::Connection& c = **conn;
    if (c.backend() == db::Backend::kPostgres) {
      auto rows = c.Query(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep((SELECT%'");
      return rows.ok() && (*rows)[0][0].AsInt() > 0;
    }
    if (!TableExists(c, "cairn_ledger")) return false;
    // The run has started and every migration before the slow one committed...
    auto rows = c.Query(
        "SELECT (SELECT count(*) FROM cairn_ledger WHERE event_type = 'run_started'), "
        "(SELECT count(*) FROM cairn_ledger WHERE event_type = 'migration_committed')");
    if (!rows.ok() || (*rows)[0][0].AsInt() < 1 || (*rows)[0][1].AsInt() < committed_before)
      return false;
    // ...and the child holds the write lock: it is in the slow migration's transaction.
    auto tx = c.Begin();
    if (tx.ok()) return false;  // nobody holds the write lock (tx rolls back here)
    return tx.status().code() == StatusCode::kAborted;  // busy: the child holds it
  }

  // Once the killed child's session is gone on the server (PostgreSQL).
  static bool ServerSessionGone(const TestDatabase& tdb) {
    if (tdb.backend() != db::Backend::kPostgres) return true;
    auto conn = tdb.Connect();
    auto rows = conn->Query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
    return rows.ok() && (*rows)[0][0].AsInt() == 0;
  }

  void StartAndKill(const TestDatabase& tdb, int committed_before) {
    Child child({CairnBinary(), "--database", tdb.url(), "--dir", dir_.path(), "migrate"});
    bool inside = WaitFor([&] { return InsideSlowMigration(tdb, committed_before); }, 60000);
    if (!inside) {
      child.Kill(SIGKILL);
      ProcessResult r = child.Wait();
      FAIL() << "cairn never reached the slow statement; exit " << r.exit_code << "\n"
             << r.out << r.err;
    }
    child.Kill(SIGKILL);
    ProcessResult r = child.Wait();
    ASSERT_EQ(r.signal, SIGKILL) << "cairn exited " << r.exit_code << " before the kill\n"
                                 << r.out << r.err;
    ASSERT_TRUE(WaitFor([&] { return ServerSessionGone(tdb); }))
        << "the killed client's server session is still there";
  }

  void ExpectVerifyOk(const TestDatabase& tdb) {
    ProcessResult v = RunCairn(tdb.url(), dir_.path(), {"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_THAT(v.out, HasSubstr("ok: stream"));
  }

  std::string SlowMigration(db::Backend b, const std::string& table) {
    return "-- cairn:up\nCREATE TABLE " + table + " (id INTEGER);\n" + SlowStatement(b) +
           "\n-- cairn:down\nDROP TABLE " + table + ";\n";
  }
  static std::string Plain(const std::string& table) {
    return "-- cairn:up\nCREATE TABLE " + table + " (id INTEGER);\n-- cairn:down\nDROP TABLE " +
           table + ";\n";
  }

  TempDir dir_;
};

TEST_P(RunnerCrashTest, KillInsideAMigrationLeavesNoTraceAndARerunAppliesItOnce) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  SetControl(*tdb, SlowN(GetParam()));
  if (HasFatalFailure()) return;
  WriteFile(dir_.File("0001_create_crash.sql"), SlowMigration(GetParam(), "crash_a"));

  StartAndKill(*tdb, 0);
  if (HasFatalFailure()) return;

  EXPECT_FALSE(TableExists(*tdb, "crash_a"));
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(st["version"], "");
  EXPECT_EQ(st["pending"], 1);
  EXPECT_EQ(StateOf(st, "0001"), "pending");
  std::vector<json> events = History(*tdb, dir_.path());
  ASSERT_EQ(events.size(), 1u);  // the run started; nothing of the migration committed
  EXPECT_EQ(events[0]["type"], "run_started");
  EXPECT_TRUE(EventsOf(events, "migration_committed").empty());
  EXPECT_TRUE(EventsOf(events, "migration_started").empty());
  ExpectVerifyOk(*tdb);

  SetControl(*tdb, 1);
  if (HasFatalFailure()) return;
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0001\n"));
  EXPECT_TRUE(TableExists(*tdb, "crash_a"));
  st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(st["version"], "0001");
  EXPECT_EQ(st["pending"], 0);
  events = History(*tdb, dir_.path());
  EXPECT_EQ(EventsOf(events, "migration_committed", "0001").size(), 1u);
  EXPECT_EQ(EventsOf(events, "migration_started", "0001").size(), 1u);
  EXPECT_EQ(EventsOf(events, "run_started").size(), 2u);
  // The killed run's end, recorded by the rerun, and the rerun's own.
  ASSERT_EQ(EventsOf(events, "run_finished").size(), 2u);
  EXPECT_EQ(EventsOf(events, "run_finished")[0]["run_id"], events[0]["run_id"]);
  EXPECT_EQ(EventsOf(events, "run_finished")[0]["outcome"], "RUN_OUTCOME_INTERRUPTED");
  ExpectVerifyOk(*tdb);

  r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("nothing to migrate"));
}

TEST_P(RunnerCrashTest, KillInTheThirdOfFourKeepsTheFirstTwoApplied) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  SetControl(*tdb, SlowN(GetParam()));
  if (HasFatalFailure()) return;
  WriteFile(dir_.File("0001_create_a.sql"), Plain("crash_a"));
  WriteFile(dir_.File("0002_create_b.sql"), Plain("crash_b"));
  WriteFile(dir_.File("0003_create_c.sql"), SlowMigration(GetParam(), "crash_c"));
  WriteFile(dir_.File("0004_create_d.sql"), Plain("crash_d"));

  StartAndKill(*tdb, 2);
  if (HasFatalFailure()) return;

  EXPECT_TRUE(TableExists(*tdb, "crash_a"));
  EXPECT_TRUE(TableExists(*tdb, "crash_b"));
  EXPECT_FALSE(TableExists(*tdb, "crash_c"));
  EXPECT_FALSE(TableExists(*tdb, "crash_d"));
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(st["version"], "0002");
  EXPECT_EQ(st["pending"], 2);
  EXPECT_EQ(StateOf(st, "0001"), "applied");
  EXPECT_EQ(StateOf(st, "0002"), "applied");
  EXPECT_EQ(StateOf(st, "0003"), "pending");
  EXPECT_EQ(StateOf(st, "0004"), "pending");
  std::vector<json> events = History(*tdb, dir_.path());
  EXPECT_EQ(events.size(), 5u);  // run_started, 2 x (started, committed)
  EXPECT_EQ(EventsOf(events, "migration_committed").size(), 2u);
  EXPECT_TRUE(EventsOf(events, "migration_started", "0003").empty());
  EXPECT_TRUE(EventsOf(events, "run_finished").empty());
  ExpectVerifyOk(*tdb);

  SetControl(*tdb, 1);
  if (HasFatalFailure()) return;
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0003\napplied 0004\nversion 0002 -> 0004"));
  for (const std::string t : {"crash_a", "crash_b", "crash_c", "crash_d"})
    EXPECT_TRUE(TableExists(*tdb, t)) << t;
  events = History(*tdb, dir_.path());
  for (const std::string id : {"0001", "0002", "0003", "0004"})
    EXPECT_EQ(EventsOf(events, "migration_committed", id).size(), 1u) << id;
  st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(st["version"], "0004");
  EXPECT_EQ(st["pending"], 0);
  ExpectVerifyOk(*tdb);
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerCrashTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
