// One runner at a time: concurrent `cairn migrate` processes on one target,
// a SIGKILLed lock holder, lock-timeout expiry, and CREATE INDEX CONCURRENTLY
// while another runner waits (PostgreSQL). Every process is the real `cairn`
// binary against a real database.
#include "cairn/runner/lock.h"

#include <gmock/gmock.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

// Five migrations; the first is slow only in the first run recorded in the
// ledger (so a SIGKILLed first run is slow and the next run is fast), and
// slow enough that runners started together overlap.
void WriteMigrations(const TempDir& dir, db::Backend b, const std::string& slow_seconds) {
  std::string slow =
      b == db::Backend::kPostgres
          ? "SELECT pg_sleep(CASE WHEN (SELECT count(*) FROM cairn_ledger WHERE event_type = "
            "'run_started') < 2 THEN " +
                slow_seconds + " ELSE 0 END);\n"
          : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < CASE WHEN "
            "(SELECT count(*) FROM cairn_ledger WHERE event_type = 'run_started') < 2 THEN " +
                slow_seconds + " * 3000000 ELSE 1 END) SELECT count(*) FROM c;\n";
  WriteFile(dir.File("0001_slow.sql"),
            "-- cairn:up\nCREATE TABLE t1 (x INT);\n" + slow + "-- cairn:down\nDROP TABLE t1;\n");
  for (int i = 2; i <= 5; ++i) {
    std::string n = std::to_string(i);
    WriteFile(
        dir.File("000" + n + "_t" + n + ".sql"),
        "-- cairn:up\nCREATE TABLE t" + n + " (x INT);\n-- cairn:down\nDROP TABLE t" + n + ";\n");
  }
}

std::vector<std::string> CairnArgv(const TestDatabase& tdb, const std::string& dir,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CairnBinary(), "--database", tdb.url(), "--dir", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

class RunnerLockTest : public ::testing::TestWithParam<db::Backend> {};

TEST_P(RunnerLockTest, EightRunnersStartedTogetherApplyEachMigrationOnce) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir, gate;
  WriteMigrations(dir, GetParam(), "1");
  // Barrier: each child announces itself, then waits for GO; the test creates
  // GO once all eight are waiting, so they start their runs together.
  const std::string script =
      "touch \"$GATE/ready.$$\"; while [ ! -e \"$GATE/go\" ]; do sleep 0.002; done; "
      "exec \"$@\"";
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < 8; ++i) {
    std::vector<std::string> argv = {"/bin/sh", "-c", script, "sh"};
    for (auto& a : CairnArgv(*tdb, dir.path(), {"-v", "migrate"})) argv.push_back(a);
    children.push_back(
        std::make_unique<Child>(argv, std::map<std::string, std::string>{{"GATE", gate.path()}}));
  }
  ASSERT_TRUE(WaitFor([&] {
    int ready = 0;
    for (auto& c : children) {
      struct stat st {};
      ready += ::stat((gate.path() + "/ready." + std::to_string(c->pid())).c_str(), &st) == 0;
    }
    return ready == 8;
  }));
  WriteFile(gate.File("go"), "");

  int waited = 0;
  std::set<std::string> handover_runs;
  for (auto& c : children) {
    ProcessResult r = c->Wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.out.find("waited for another runner") != std::string::npos) {
      ++waited;
      EXPECT_THAT(r.err, HasSubstr("waiting for runner pid"));
      auto pos = r.out.find("; run ");
      if (pos != std::string::npos) handover_runs.insert(r.out.substr(pos + 6, 36));
    }
  }
  // Runs started together on a migration that takes a second: the seven
  // losers wait, and each reports what the winner applied.
  EXPECT_GE(waited, 1);

  std::vector<json> events = History(*tdb, dir.path());
  auto runs = EventsOf(events, "run_started");
  ASSERT_EQ(runs.size(), 1u) << "exactly one run may have applied anything";
  for (const char* id : {"0001", "0002", "0003", "0004", "0005"})
    EXPECT_EQ(EventsOf(events, "migration_committed", id).size(), 1u) << id;
  EXPECT_TRUE(EventsOf(events, "migration_failed").empty());
  for (const std::string& run : handover_runs) EXPECT_EQ(run, runs[0]["run_id"]);
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"verify"}).exit_code, 0);
}

// True once `pid` has the SQLite runner lock file open (it is waiting on or
// holding the lock).
bool HasLockFileOpen(pid_t pid, const std::string& lock_path) {
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  for (int fd = 0; fd < 64; ++fd) {
    char buf[4096];
    ssize_t n = ::readlink((fd_dir + "/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)) == lock_path) return true;
  }
  return false;
}

// The number of sessions in `tdb` other than `conn`'s whose query matches `like`.
int64_t Sessions(db::Connection& conn, const std::string& like) {
  auto rows = conn.Query(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
      "pg_backend_pid() AND query LIKE $1",
      {like});
  return rows.ok() ? (*rows)[0][0].AsInt() : -1;
}

TEST_P(RunnerLockTest, KilledLockHolderLeavesNoStaleLock) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteMigrations(dir, GetParam(), "3600");
  auto watcher = tdb->Connect();
  Child holder(CairnArgv(*tdb, dir.path(), {"migrate"}));
  // The holder is inside the slow first migration.
  ASSERT_TRUE(WaitFor([&] {
    if (GetParam() == db::Backend::kPostgres) return Sessions(*watcher, "%pg_sleep(CASE%") > 0;
    return TableExists(*watcher, "cairn_ledger") && LedgerRows(*tdb) >= 1;
  }));
  Child next(CairnArgv(*tdb, dir.path(), {"-v", "migrate", "--lock-timeout", "60s"}));
  // The second runner is waiting for the lock.
  ASSERT_TRUE(WaitFor([&] {
    if (GetParam() == db::Backend::kPostgres)
      return Sessions(*watcher, "%pg_try_advisory_lock%") > 0;
    return HasLockFileOpen(next.pid(), tdb->url().substr(7) + "-cairn.lock");
  }));
  holder.Kill(SIGKILL);
  ProcessResult killed = holder.Wait();
  EXPECT_EQ(killed.signal, SIGKILL);

  ProcessResult r = next.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("waiting for runner pid " + std::to_string(holder.pid())));
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_EQ(EventsOf(events, "run_started").size(), 2u);  // the killed run and this one
  for (const char* id : {"0001", "0002", "0003", "0004", "0005"})
    EXPECT_EQ(EventsOf(events, "migration_committed", id).size(), 1u) << id;
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"verify"}).exit_code, 0);
}

TEST_P(RunnerLockTest, LockTimeoutGivesExitCode7AndWritesNothing) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteMigrations(dir, GetParam(), "0");
  auto conn = tdb->Connect();
  auto lock =
      runner::RunnerLock::Acquire(*conn, conn->url().database_name, std::chrono::milliseconds(0));
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();

  const auto t0 = std::chrono::steady_clock::now();
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--lock-timeout", "300ms"});
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_THAT(r.err, HasSubstr("gave up waiting for the runner lock"));
  EXPECT_THAT(r.err, HasSubstr("runner pid " + std::to_string(::getpid())));
  EXPECT_GE(ms, 300);
  // The global option, and 0: one try.
  r = RunCairn(tdb->url(), dir.path(), {"--lock-timeout", "0", "rollback"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--lock-timeout", "soon"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--lock-timeout: invalid duration 'soon'"));
  // Read-only commands take no lock.
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"status"}).exit_code, 0);
  // No ledger yet: verify answers at once that there is nothing to verify (exit 18).
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"verify"}).exit_code, 18);
  EXPECT_EQ(LedgerRows(*tdb), 0);
  EXPECT_FALSE(TableExists(*conn, "t1"));

  ASSERT_TRUE((*lock)->Release().ok());
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--lock-timeout", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(TableExists(*conn, "t5"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerLockTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// A runner that applies CREATE INDEX CONCURRENTLY while a second runner waits
// for the lock: the waiter polls in autocommit and holds no snapshot, so the
// index build does not wait for it; both finish.
TEST(RunnerLockPostgresTest, CreateIndexConcurrentlyWhileAnotherRunnerWaits) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_table.sql"),
            "-- cairn:up\nCREATE TABLE items (x INT);\n"
            "INSERT INTO items SELECT g FROM generate_series(1, 1000) g;\n"
            // Waits for the test's gate (an advisory lock the test holds).
            "SELECT pg_advisory_lock(4242);\nSELECT pg_advisory_unlock(4242);\n"
            "-- cairn:down\nDROP TABLE items;\n");
  WriteFile(dir.File("0002_index.sql"),
            "-- cairn:up\nCREATE INDEX CONCURRENTLY items_x ON items (x);\n"
            "-- cairn:down\nDROP INDEX CONCURRENTLY items_x;\n");
  auto gate = tdb->Connect();
  ASSERT_TRUE(gate->Execute("SELECT pg_advisory_lock(4242)").ok());
  Child first(CairnArgv(*tdb, dir.path(), {"migrate"}));
  ASSERT_TRUE(WaitFor([&] { return Sessions(*gate, "%SELECT pg_advisory_lock(4242)%") > 0; }));
  Child second(CairnArgv(*tdb, dir.path(), {"-v", "migrate", "--lock-timeout", "60s"}));
  ASSERT_TRUE(WaitFor([&] { return Sessions(*gate, "%pg_try_advisory_lock%") > 0; }));
  ASSERT_TRUE(gate->Execute("SELECT pg_advisory_unlock(4242)").ok());

  // Bounded: the index is built and valid within 30 s, or the test fails
  // (and the children are killed).
  ASSERT_TRUE(WaitFor(
      [&] {
        auto rows = gate->Query(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = 'items_x' AND i.indisvalid");
        return rows.ok() && (*rows)[0][0].AsInt() == 1;
      },
      30000));
  ProcessResult a = first.Wait(), b = second.Wait();
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(b.out, HasSubstr("waited for another runner"));
  EXPECT_THAT(b.out, HasSubstr("applied 0001, 0002"));
  std::vector<json> events = History(*tdb, dir.path());
  auto started = EventsOf(events, "migration_started", "0002");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_TRUE(started[0].value("outside_transaction", false));
  EXPECT_EQ(EventsOf(events, "migration_committed", "0002").size(), 1u);

  // And back: DROP INDEX CONCURRENTLY runs outside a transaction too.
  ProcessResult down = RunCairn(tdb->url(), dir.path(), {"rollback"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
}

}  // namespace
}  // namespace cairn::testing
