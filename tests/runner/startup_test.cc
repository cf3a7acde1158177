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

INSTANTIATE_TEST_SUITE_P(Backends, RunnerStartupTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
