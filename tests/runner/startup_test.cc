// MigrateOnStartup from several threads of one process and from several
// processes (the example program) at once: all succeed, one run applies.
#include "cairn/runner/startup.h"

#include <gmock/gmock.h>

#include <thread>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

void WriteThree(const TempDir& dir) {
  for (int i = 1; i <= 3; ++i) {
    std::string n = std::to_string(i);
    WriteFile(
        dir.File("000" + n + "_t" + n + ".sql"),
        "-- cairn:up\nCREATE TABLE t" + n + " (x INT);\n-- cairn:down\nDROP TABLE t" + n + ";\n");
  }
}

class RunnerStartupTest : public ::testing::TestWithParam<db::Backend> {};

TEST_P(RunnerStartupTest, ThreadsCallingAtOnceAllSucceedAndOneRunApplies) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteThree(dir);
  constexpr int kThreads = 4;
  std::vector<Status> results(kThreads);
  std::vector<runner::RunReport> reports(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      runner::StartupOptions o;
      o.dir = dir.path();
      o.report = &reports[i];
      results[i] = runner::MigrateOnStartup(tdb->url(), o);
    });
  }
  for (auto& t : threads) t.join();
  int applied_by = 0;
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i].ToString();
    EXPECT_EQ(reports[i].version_after, "0003");
    if (!reports[i].applied.empty()) ++applied_by;
  }
  EXPECT_EQ(applied_by, 1);
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_EQ(EventsOf(events, "run_started").size(), 1u);
  EXPECT_EQ(EventsOf(events, "migration_committed").size(), 3u);
}

TEST_P(RunnerStartupTest, ProcessesStartingTogetherAllServe) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteThree(dir);
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < 4; ++i)
    children.push_back(std::make_unique<Child>(
        std::vector<std::string>{STARTUP_EXAMPLE_BIN, tdb->url(), dir.path(), "30s"}));
  for (auto& c : children) {
    ProcessResult r = c->Wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("schema at version 0003"));
    EXPECT_THAT(r.out, HasSubstr("serving"));
  }
  std::vector<json> events = History(*tdb, dir.path());
  EXPECT_EQ(EventsOf(events, "run_started").size(), 1u);
  EXPECT_EQ(EventsOf(events, "migration_committed").size(), 3u);
}

TEST_P(RunnerStartupTest, FailsFastWithTheMigrationsError) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_bad.sql"), "-- cairn:up\nCREATE TABLE a (x INT);\nSELEC 1;\n");
  runner::StartupOptions o;
  o.dir = dir.path();
  Status s = runner::MigrateOnStartup(tdb->url(), o);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("0001_bad.sql:3: migration 0001 failed"));
  ProcessResult r = RunProcess({STARTUP_EXAMPLE_BIN, tdb->url(), dir.path()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not starting"));
}

// The checks of `cairn migrate` apply at start-up too (cairn/runner/checks.h):
// a schema changed by hand refuses the start (DriftPolicy::kRefuse, the
// default for an unattended start), as `cairn migrate --strict` refuses it,
// and nothing is written; kWarn migrates, as `cairn migrate` does.
TEST_P(RunnerStartupTest, RefusesADriftedSchemaAsMigrateStrictDoes) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_t1.sql"),
            "-- cairn:up\nCREATE TABLE t1 (x INT);\n-- cairn:down\nDROP TABLE t1;\n");
  runner::StartupOptions o;
  o.dir = dir.path();
  ASSERT_TRUE(runner::MigrateOnStartup(tdb->url(), o).ok());
  {
    auto conn = tdb->Connect();
    ASSERT_TRUE(conn->Execute("CREATE TABLE made_by_hand (y INT)").ok());
  }
  WriteFile(dir.File("0002_t2.sql"),
            "-- cairn:up\nCREATE TABLE t2 (x INT);\n-- cairn:down\nDROP TABLE t2;\n");
  const int64_t rows = LedgerRows(*tdb);

  Status s = runner::MigrateOnStartup(tdb->url(), o);
  EXPECT_EQ(s.kind(), runner::kDriftRefused) << s.ToString();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("schema drift: the live schema"));
  EXPECT_THAT(s.message(), HasSubstr("made_by_hand"));
  EXPECT_EQ(LedgerRows(*tdb), rows);
  EXPECT_FALSE(TableExists(*tdb, "t2"));

  ProcessResult cli = RunCairn(tdb->url(), dir.path(), {"migrate", "--strict"});
  EXPECT_EQ(cli.exit_code, 13) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr("schema drift"));
  EXPECT_EQ(LedgerRows(*tdb), rows);

  runner::RunReport report;
  o.drift = runner::DriftPolicy::kWarn;
  o.report = &report;
  s = runner::MigrateOnStartup(tdb->url(), o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.applied, std::vector<std::string>{"0002"});
}

// The production pre-flight at start-up: no one can be asked, so the run is
// refused (kNotConfirmed, nothing written) unless it was confirmed in
// advance, as `cairn migrate --env production` refuses without a terminal
// unless --yes is given.
TEST_P(RunnerStartupTest, ProductionStartMigratesOnlyWhenConfirmedInAdvance) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  WriteThree(dir);
  runner::StartupOptions o;
  o.dir = dir.path();
  o.environment = "production";
  Status s = runner::MigrateOnStartup(tdb->url(), o);
  EXPECT_EQ(s.kind(), runner::kNotConfirmed) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("production: refusing to migrate without confirmation"));
  EXPECT_EQ(LedgerRows(*tdb), 0);
  EXPECT_FALSE(TableExists(*tdb, "t1"));

  ProcessResult cli = RunCairn(tdb->url(), dir.path(), {"migrate", "--env", "production"});
  EXPECT_EQ(cli.exit_code, 11) << cli.err;
  EXPECT_THAT(cli.err, HasSubstr("production: refusing to migrate without confirmation"));
  EXPECT_EQ(LedgerRows(*tdb), 0);

  runner::RunReport report;
  o.confirmed = true;
  o.report = &report;
  s = runner::MigrateOnStartup(tdb->url(), o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.version_after, "0003");
  std::vector<json> started = EventsOf(History(*tdb, dir.path()), "run_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["environment"], "production") << started[0].dump();
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerStartupTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
