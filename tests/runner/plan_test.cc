// Reviewed plans: the canonical serialization of docs/plans.md, `cairn plan`
// and `migrate --dry-run` output, `migrate --plan-hash`, and the production
// pre-flight, end to end on both backends.
#include "cairn/runner/plan.h"

#include <gmock/gmock.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cairn/base/hash.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RunnerPlanFormatTest, WorkedExampleFromDocsSerializesAsSpecified) {
  runner::ReviewedPlan plan;
  plan.stream = "campus";
  plan.direction = v1::DIRECTION_UP;
  runner::PlannedMigration m;
  m.id = "0001";
  m.checksum = "sha256:" + std::string(64, '0');
  m.statements.push_back({3, "CREATE TABLE t (id INT)"});
  plan.migrations.push_back(m);
  std::string expected("cairn-plan-v2\0", 14);
  expected += std::string("\0\0\0\x06", 4) + "campus";
  expected += std::string("\0\0\0\x02", 4) + "up";
  expected += std::string("\0\0\0\x01", 4);
  expected += std::string("\0\0\0\x04", 4) + "0001";
  expected += std::string("\0\0\0\x47", 4) + m.checksum;
  expected += std::string("\0\0\0\x01", 4);
  // SHA-256 of str("CREATE TABLE t (id INT)"), as docs/plans.md shows it.
  expected += ledger::Sha256(std::string("\0\0\0\x17", 4) + "CREATE TABLE t (id INT)");
  EXPECT_EQ(ledger::ToHex(expected.substr(expected.size() - 32)),
            "ce97cca10be87d488977dc7b586cf6138df050148b01517e153689094b04189f");
  EXPECT_EQ(runner::CanonicalPlanBytes(plan), expected);
}

TEST(RunnerPlanFormatTest, StatementsAreSplitAndTrailingSpaceIgnored) {
  auto a = runner::ParseMigration("a", "0001_a.sql",
                                  "-- cairn:up\nCREATE TABLE t (x TEXT DEFAULT ';');  \n"
                                  "INSERT INTO t VALUES ('a;b');\n");
  auto b = runner::ParseMigration("a", "0001_a.sql",
                                  "-- cairn:up\nCREATE TABLE t (x TEXT DEFAULT ';');\n"
                                  "INSERT INTO t VALUES ('a;b');\n");
  ASSERT_TRUE(a.ok() && b.ok());
  auto pa = runner::MakeReviewedPlan("s", v1::DIRECTION_UP, {*a});
  auto pb = runner::MakeReviewedPlan("s", v1::DIRECTION_UP, {*b});
  ASSERT_EQ(pa.migrations[0].statements.size(), 2u);
  EXPECT_EQ(pa.migrations[0].statements[0].text, "CREATE TABLE t (x TEXT DEFAULT ';')");
  EXPECT_EQ(pa.migrations[0].statements[1].line, 3);
  EXPECT_EQ(pa.hash, pb.hash);  // same checksum (trailing space ignored), same statements
  EXPECT_NE(pa.hash, runner::MakeReviewedPlan("other", v1::DIRECTION_UP, {*a}).hash);
  EXPECT_EQ(pa.hash.size(), 64u);
}

class RunnerPlanTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("0001_create_users.sql"),
              "-- cairn:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
              "INSERT INTO users (id, name) VALUES (1, 'a;b');\n"
              "-- cairn:down\nDROP TABLE users;\n");
    WriteFile(dir_.File("0002_create_courses.sql"),
              "-- cairn:up\nCREATE TABLE courses (id INTEGER PRIMARY KEY);\n");
  }
  ProcessResult Cairn(const TestDatabase& tdb, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {CairnBinary(), "--database", tdb.url(), "--dir", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, env);
  }
  std::string PlanHash(const TestDatabase& tdb) {
    ProcessResult r = Cairn(tdb, {"plan", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.is_discarded() ? "" : j.value("plan_hash", "");
  }
  TempDir dir_;
};

TEST_P(RunnerPlanTest, PlanIsStableChangesWithTheFileAndWritesNothing) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  ProcessResult a = Cairn(*tdb, {"plan"});
  ProcessResult b = Cairn(*tdb, {"migrate", "--dry-run"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_THAT(a.out, HasSubstr("plan for stream "));
  EXPECT_THAT(a.out, HasSubstr("-- statement 2, line 3\nINSERT INTO users (id, name) VALUES (1, "
                               "'a;b');\n"));
  EXPECT_THAT(a.err, HasSubstr("0002 (0002_create_courses.sql) has no '-- cairn:down' section"));
  const std::string hash = PlanHash(*tdb);
  ASSERT_EQ(hash.size(), 64u);
  EXPECT_THAT(a.out, HasSubstr("plan hash: " + hash + "\n"));
  EXPECT_EQ(PlanHash(*tdb), hash);

  ProcessResult j = Cairn(*tdb, {"plan", "--json"});
  json plan = json::parse(j.out);
  ASSERT_EQ(plan["migrations"].size(), 2u);
  EXPECT_EQ(plan["migrations"][0]["statements"].size(), 2u);
  EXPECT_EQ(plan["migrations"][0]["statements"][0]["line"], 2);
  EXPECT_EQ(plan["migrations"][1]["has_down"], false);
  EXPECT_EQ(LedgerRows(*tdb), 0);
  EXPECT_FALSE(TableExists(*tdb, "users"));

  WriteFile(dir_.File("0002_create_courses.sql"),
            "-- cairn:up\nCREATE TABLE courses (id INTEGER PRIMARY KEY, title TEXT);\n");
  EXPECT_NE(PlanHash(*tdb), hash);
}

TEST_P(RunnerPlanTest, StalePlanHashIsRefusedAndTheRightOneRuns) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  const std::string reviewed = PlanHash(*tdb);
  ASSERT_EQ(reviewed.size(), 64u);
  WriteFile(dir_.File("0003_create_rooms.sql"), "-- cairn:up\nCREATE TABLE rooms (id INTEGER);\n");

  ProcessResult r = Cairn(*tdb, {"migrate", "--plan-hash", reviewed});
  EXPECT_EQ(r.exit_code, 10) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("plan changed since review: reviewed plan " + reviewed));
  EXPECT_THAT(r.err, HasSubstr("[0001,0002,0003]"));
  EXPECT_EQ(LedgerRows(*tdb), 0);
  EXPECT_FALSE(TableExists(*tdb, "users"));
  // --dry-run checks the hash the same way.
  EXPECT_EQ(Cairn(*tdb, {"migrate", "--dry-run", "--plan-hash", reviewed}).exit_code, 10);

  r = Cairn(*tdb, {"migrate", "--plan-hash", "nonsense"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("expected the 64 hex digits"));

  const std::string current = PlanHash(*tdb);
  r = Cairn(*tdb, {"migrate", "--plan-hash", "sha256:" + current});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(TableExists(*tdb, "rooms"));
  std::vector<json> events = History(*tdb, dir_.path());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["type"], "run_started");
  EXPECT_EQ(events[0]["plan_hash"], current);
}

TEST_P(RunnerPlanTest, ProductionWithoutYesAndWithoutTerminalRefuses) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  ProcessResult r = Cairn(*tdb, {"migrate", "--env", "production"});
  EXPECT_EQ(r.exit_code, 11) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("pre-flight: 2 pending migration(s)"));
  EXPECT_THAT(r.out, HasSubstr("  0002 create courses  [no down section]"));
  EXPECT_THAT(r.err, HasSubstr("standard input is not a terminal; pass --yes"));
  EXPECT_EQ(LedgerRows(*tdb), 0);
  EXPECT_FALSE(TableExists(*tdb, "users"));

  r = Cairn(*tdb, {"migrate"}, {{"CAIRN_ENV", "production"}});
  EXPECT_EQ(r.exit_code, 11) << r.out << r.err;
  EXPECT_EQ(LedgerRows(*tdb), 0);

  r = Cairn(*tdb, {"migrate", "--env", "production", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(TableExists(*tdb, "courses"));
  std::vector<json> events = History(*tdb, dir_.path());
  EXPECT_EQ(events[0]["environment"], "production");
}

// Runs argv with a terminal as stdin, stdout and stderr, typing `input`.
ProcessResult RunOnTerminal(const std::vector<std::string>& argv, const std::string& input) {
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  ProcessResult r;
  if (pid < 0) return r;
  EXPECT_EQ(write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  char buf[4096];
  ssize_t n;
  while ((n = read(master, buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

TEST_P(RunnerPlanTest, ProductionOnATerminalAppliesOnlyAfterTheTargetNameIsTyped) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  json plan = json::parse(Cairn(*tdb, {"plan", "--json"}).out);
  const std::string stream = plan["stream"];
  const std::vector<std::string> argv = {CairnBinary(), "--database", tdb->url(), "--dir",
                                         dir_.path(),   "migrate",    "--env",    "production"};
  ProcessResult r = RunOnTerminal(argv, "not-" + stream + "\n");
  EXPECT_EQ(r.exit_code, 11) << r.out;
  EXPECT_THAT(r.out, HasSubstr("type the target's name (" + stream + ")"));
  EXPECT_THAT(r.out, HasSubstr("confirmation did not match"));
  EXPECT_EQ(LedgerRows(*tdb), 0);

  r = RunOnTerminal(argv, stream + "\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(TableExists(*tdb, "courses"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerPlanTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
