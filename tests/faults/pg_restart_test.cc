// The PostgreSQL server goes away in the middle of a run: `cairn migrate` is
// inside a migration's transaction when its dedicated server is stopped
// immediately (as in a crash) and started again. The run must fail cleanly
// (exit code 4, one clear error line naming the migration and the lost
// connection), nothing of the interrupted migration may be recorded, the
// migrations before it stay applied, and the next run completes the work.
#include <gmock/gmock.h>

#include "clients/cli/exit_codes.h"
#include "tests/faults/fault_util.h"
#include "tests/faults/pg_server.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

// A connection to the dedicated server (TestDatabase only knows the shared one).
std::unique_ptr<db::Connection> Open(const std::string& url) {
  auto parsed = db::ParseDatabaseUrl(url);
  if (!parsed.ok()) return nullptr;
  auto conn = db::Connection::Open(*parsed);
  return conn.ok() ? std::move(*conn) : nullptr;
}

bool SlowStatementRunning(const std::string& url) {
  auto conn = Open(url);
  if (!conn) return false;
  auto rows = conn->Query(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep((SELECT%'");
  return rows.ok() && (*rows)[0][0].AsInt() > 0;
}

TEST(FaultPgRestartTest, ServerRestartMidRunFailsCleanlyAndTheNextRunCompletes) {
  const char* require = std::getenv("CAIRN_REQUIRE_PG");
  if (PgServer::FindBinDir().empty() && (require == nullptr || std::string(require) != "1")) {
    GTEST_SKIP() << "no PostgreSQL server binaries (CAIRN_REQUIRE_PG=1 makes this a failure)";
  }
  PgServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_TRUE(server.Start()) << server.error();
  {
    auto admin = Open(server.Url("postgres"));
    ASSERT_TRUE(admin);
    ASSERT_TRUE(admin->Execute("CREATE DATABASE restart_target").ok());
  }
  const std::string url = server.Url("restart_target");
  {
    auto conn = Open(url);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("CREATE TABLE ctl (n BIGINT)").ok());
    ASSERT_TRUE(conn->Execute("INSERT INTO ctl (n) VALUES (3600)").ok());
  }
  // 0003 sleeps for as long as ctl says: an hour now, nothing after the restart.
  SchemaScenario scenario(db::Backend::kPostgres, 4, /*slow_every=*/3,
                          "SELECT pg_sleep((SELECT n FROM ctl));");
  TempDir dir;
  scenario.WriteMigrations(dir.path());

  Child child({CairnBinary(), "--database", url, "--dir", dir.path(), "migrate"});
  ASSERT_TRUE(WaitFor([&] { return SlowStatementRunning(url); }, 60000))
      << "cairn never reached the slow statement of 0003";
  ASSERT_TRUE(server.StopImmediately());
  ProcessResult r = child.Wait();
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, cli::kExitDatabase) << r.out << r.err;
  std::printf("cairn migrate during the restart: exit %d: %s", r.exit_code, r.err.c_str());
  std::vector<std::string> errors = LinesStartingWith(r.err, "cairn: error: ");
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_THAT(errors[0], HasSubstr("0003"));

  ASSERT_TRUE(server.Start()) << server.error();
  {
    auto conn = Open(url);
    ASSERT_TRUE(conn);
    auto store = ledger::LedgerStore::For(*conn);
    auto report = store->Verify("restart_target");
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok) << report->problem;
    auto state = ledger::ReplayStream(*store, "restart_target");
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    std::set<std::string> applied(state->applied_order.begin(), state->applied_order.end());
    EXPECT_EQ(applied, (std::set<std::string>{"0001", "0002"}));
    for (const std::string& d : scenario.Disagreements(*conn, applied))
      ADD_FAILURE() << "database and ledger disagree: " << d;
    // Nothing of 0003 was recorded: no start, no outcome, and the run stays open.
    int started_0003 = 0, failed = 0, finished = 0;
    ASSERT_TRUE(store
                    ->Read("restart_target", 1, 0,
                           [&](const v1::Event& e) {
                             if (e.has_migration_started() &&
                                 e.migration_started().migration_id() == "0003")
                               ++started_0003;
                             failed += e.has_migration_failed();
                             finished += e.has_run_finished();
                             return true;
                           })
                    .ok());
    EXPECT_EQ(started_0003, 0);
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(finished, 0);
    ASSERT_TRUE(conn->Execute("UPDATE ctl SET n = 0").ok());
  }

  r = RunProcess({CairnBinary(), "--database", url, "--dir", dir.path(), "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0003\napplied 0004\n"));
  r = RunProcess({CairnBinary(), "--database", url, "--dir", dir.path(), "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto conn = Open(url);
  ASSERT_TRUE(conn);
  EXPECT_TRUE(scenario.Disagreements(*conn, {"0001", "0002", "0003", "0004"}).empty());
}

}  // namespace
}  // namespace cairn::testing
