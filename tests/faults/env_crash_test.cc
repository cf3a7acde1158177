// The process stopped at any file operation, through the Env seam
// (FaultEnv::StopAtOperation, tests/faults/fault_env.h): the run's file
// operations, cairn's own and SQLite's (through the VFS shim), succeed up to
// operation N and fail from there on, as if the process had died just
// before it; the target is then reopened as a restarted process would, with
// the operating system's Env. And one operation failing once, the rest
// succeeding. kill_test.cc does the same with real SIGKILLs
// at random moments; this walks the operations one by one, which a timer
// cannot. Also: the runner lock's timeout runs on the Env's clock.
#include <gmock/gmock.h>

#include <chrono>
#include <random>
#include <set>

#include "cairn/runner/lock.h"
#include "tests/faults/fault_env.h"
#include "tests/faults/fault_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kMigrations = 4;

std::set<std::string> AllIds(const SchemaScenario& scenario) {
  std::vector<std::string> ids = scenario.Ids();
  return {ids.begin(), ids.end()};
}

// The fault at one file operation, for each of a seeded sample of the run's
// operations: `stop` stops the process there (every later operation fails
// too); otherwise only that one operation fails and the run goes on. Either
// way the ledger agrees with the data after a restart, a run that reports
// success committed everything, and the next run completes.
void SweepFileOperations(bool stop) {
  SchemaScenario scenario(db::Backend::kSqlite, kMigrations, 0);
  TempDir dir;
  scenario.WriteMigrations(dir.path());
  const uint64_t seed = FaultSeed(1818);

  // How many mutating file operations a whole run makes.
  uint64_t total = 0;
  {
    auto tdb = TestDatabase::Create(db::Backend::kSqlite);
    ASSERT_TRUE(tdb);
    FaultEnv env(seed);
    EnvRun run = MigrateWithEnv(tdb->url(), dir.path(), env);
    ASSERT_EQ(run.error(), "");
    total = env.operations();
  }
  std::printf("a whole run makes %llu file operations\n", static_cast<unsigned long long>(total));
  ASSERT_GT(total, 3u * kMigrations) << "SQLite's writes should pass the Env";

  // Stop points: the first operations one by one (the lock file, the ledger's
  // tables, the run's first event), the last one, and a seeded sample between.
  std::set<uint64_t> points;
  for (uint64_t n = 1; n <= std::min<uint64_t>(total, 25); ++n) points.insert(n);
  points.insert(total);
  std::mt19937_64 rng(seed);
  while (points.size() < std::min<uint64_t>(total, 70)) points.insert(1 + rng() % total);

  int stopped_runs = 0;
  for (uint64_t n : points) {
    bool reported_success = false;
    SCOPED_TRACE(std::string(stop ? "stopped" : "failed once") + " at file operation " +
                 std::to_string(n) + " of " + std::to_string(total));
    auto tdb = TestDatabase::Create(db::Backend::kSqlite);
    ASSERT_TRUE(tdb);
    {
      FaultEnv env(seed);
      if (stop) {
        env.StopAtOperation(n);
      } else {
        env.FailOperation(n);
      }
      EnvRun run = MigrateWithEnv(tdb->url(), dir.path(), env);
      EXPECT_GT(env.faults(), 0u);
      EXPECT_EQ(env.stopped(), stop);
      // The runner, its connection and its lock are gone here, as with the process.
      reported_success = run.error().empty();
      if (!reported_success) ++stopped_runs;
      std::printf("%s at %llu: %s\n", stop ? "stopped" : "failed once",
                  static_cast<unsigned long long>(n),
                  reported_success ? "the run reported success" : run.error().c_str());
    }
    // Restarted: the ledger verifies and agrees with the data, the file is whole.
    LedgerView view = ExpectLedgerAgreesWithDatabase(*tdb, scenario);
    EXPECT_LE(view.open_runs, 1);
    if (reported_success) {
      // The fault missed everything the run needed (after its last commit:
      // the snapshot cache, the checkpoint at close; or, failing once, a
      // best-effort write): what it reported is what the ledger holds.
      EXPECT_EQ(view.applied, AllIds(scenario)) << "a run reported success it did not commit";
      EXPECT_EQ(view.open_runs, 0) << "a run reported success without its RunFinished";
    }
    auto conn = tdb->Connect();
    ASSERT_TRUE(conn);
    auto check = conn->Query("PRAGMA integrity_check");
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    EXPECT_EQ((*check)[0][0].AsText(), "ok");
    conn.reset();
    // The next run applies the rest.
    ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    view = ExpectLedgerAgreesWithDatabase(*tdb, scenario);
    EXPECT_EQ(view.applied, AllIds(scenario));
    EXPECT_LE(view.open_runs, 1) << "only the faulted run may lack its RunFinished";
    if (::testing::Test::HasFailure()) return;
  }
  // Most faults land before the run's last commit (the rest is the state
  // snapshot, a cache, and the checkpoint at close).
  if (stop) {
    EXPECT_GE(stopped_runs, static_cast<int>(points.size()) / 2);
  }
  EXPECT_GT(stopped_runs, 0);
}

TEST(FaultEnvCrashTest, StoppedAtAnyFileOperationTheLedgerAgreesAndTheNextRunCompletes) {
  SweepFileOperations(/*stop=*/true);
}

// One failed write, sync or open anywhere: a run never reports what it did
// not commit (a failed commit taken for a success would show here: the
// operations after it succeed).
TEST(FaultEnvCrashTest, OneFailedFileOperationAnywhereNeverReportsWhatDidNotCommit) {
  SweepFileOperations(/*stop=*/false);
}

// A runner waiting for the lock waits on the Env's clock: with a manual
// clock, a 60-second --lock-timeout passes at once, and the error says 60 s
// were waited. (With the wall clock this test would take a minute.)
TEST(FaultEnvCrashTest, LockTimeoutRunsOnTheEnvClock) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  ASSERT_TRUE(tdb);
  auto conn = tdb->Connect();
  ASSERT_TRUE(conn);
  // Another runner holds the lock (the same flock, through the real Env).
  auto held = Env::Default()->TryLockFile(conn->url().sqlite_path + "-cairn.lock");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_NE(*held, nullptr);
  ASSERT_TRUE((*held)->SetContents("runner pid 1 on host elsewhere\n").ok());

  FaultEnv env(FaultSeed(18));
  env.UseManualClock(std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 57)));
  const auto start = std::chrono::steady_clock::now();
  auto lock = runner::RunnerLock::Acquire(*conn, "s", std::chrono::seconds(60), env);
  const auto real = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(lock.status().message(), HasSubstr("after 60000 ms"));
  EXPECT_THAT(lock.status().message(), HasSubstr("held by runner pid 1 on host elsewhere"));
  EXPECT_LT(real, std::chrono::seconds(10)) << "the wall clock was used";

  // Released: the same Env takes it at once.
  held->reset();
  lock = runner::RunnerLock::Acquire(*conn, "s", std::chrono::seconds(60), env);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ((*lock)->waited(), std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace cairn::testing
