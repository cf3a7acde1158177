// SIGKILL at random moments: `cairn migrate` and `cairn rollback` are killed
// many times, at seeded random delays, while they apply or revert small schema
// migrations (some with slow statements) on both backends. After every kill
// the ledger must verify, hold no half-recorded step, and agree with the
// database object by object; at the end a plain re-run must finish the work.
//
// The delay of each kill is drawn uniformly from [0, one uninterrupted run],
// measured first on a scratch database, so kills land everywhere: while
// connecting, while creating the ledger tables, inside a migration's
// transaction, between transactions, while recording the end of the run.
#include <gmock/gmock.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/faults/fault_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kMigrations = 12;
constexpr int kKills = 30;

class FaultKillTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  // Runs one uninterrupted `migrate` of the scenario on a scratch database
  // and returns how long it took.
  std::chrono::microseconds MeasureFullRun(const FaultScenario& scenario) {
    auto scratch = TestDatabase::Create(GetParam());
    if (!scratch) return std::chrono::microseconds(0);
    CheckDeadClientsQuickly(*scratch);
    auto t0 = std::chrono::steady_clock::now();
    ProcessResult r = RunCairn(scratch->url(), dir_.path(), {"migrate"});
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return took;
  }

  TempDir dir_;
};

TEST_P(FaultKillTest, RandomKillsDuringSchemaMigrationsLeaveLedgerAndDatabaseInAgreement) {
  SchemaScenario scenario(GetParam(), kMigrations, /*slow_every=*/4);
  scenario.WriteMigrations(dir_.path());
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  CheckDeadClientsQuickly(*tdb);
  if (HasFatalFailure()) return;

  const auto full_run = MeasureFullRun(scenario);
  ASSERT_GT(full_run.count(), 0);
  std::mt19937_64 rng(FaultSeed(20261121 + static_cast<uint64_t>(GetParam())));
  std::uniform_int_distribution<int64_t> delay_us(0, full_run.count());

  int landed = 0;  // kills that hit a running process
  std::set<std::string> applied;
  for (int k = 0; k < kKills; ++k) {
    // Mostly forward; backwards (rollback) when something is applied.
    std::vector<std::string> args = {"migrate"};
    size_t work = kMigrations - applied.size();  // migrations this run will touch
    if (!applied.empty() &&
        (applied.size() == static_cast<size_t>(kMigrations) || rng() % 3 == 0)) {
      work = 1 + rng() % applied.size();
      args = {"rollback", "--steps", std::to_string(work)};
    }
    // A moment within this run: scaled to its share of the full run's work
    // (at least a quarter, which covers start-up).
    const double share = std::max(0.25, static_cast<double>(work) / kMigrations);
    const int64_t delay = static_cast<int64_t>(static_cast<double>(delay_us(rng)) * share);
    SCOPED_TRACE("kill " + std::to_string(k) + ": cairn " + args[0] + " killed after " +
                 std::to_string(delay) + " us");

    std::vector<std::string> argv = {CairnBinary(), "--database", tdb->url(), "--dir", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    Child child(argv);
    std::this_thread::sleep_for(std::chrono::microseconds(delay));  // the random moment
    child.Kill(SIGKILL);
    ProcessResult r = child.Wait();
    if (r.signal == SIGKILL) {
      ++landed;
    } else {
      ASSERT_EQ(r.exit_code, 0) << "an uninterrupted run failed\n" << r.out << r.err;
    }
    ASSERT_TRUE(WaitFor([&] { return ClientSessionsGone(*tdb); }))
        << "the killed client's server session is still there";

    LedgerView view = ExpectLedgerAgreesWithDatabase(*tdb, scenario);
    if (HasFailure()) return;
    applied = view.applied;
    ProcessResult v = RunCairn(tdb->url(), dir_.path(), {"verify"});
    ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  }
  std::printf("%d of %d kills hit a running cairn\n", landed, kKills);
  EXPECT_GE(landed, kKills / 4) << "most runs finished before the kill: the test exercised little";

  // Re-running finishes the work, exactly once per migration.
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  LedgerView view = ExpectLedgerAgreesWithDatabase(*tdb, scenario);
  EXPECT_EQ(view.applied.size(), static_cast<size_t>(kMigrations));
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(st["version"], SchemaScenario::Id(kMigrations));
  EXPECT_EQ(st["pending"], 0);
  r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("nothing to migrate"));
  ProcessResult v = RunCairn(tdb->url(), dir_.path(), {"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultKillTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
