// `cairn report` as a command, on both backends, without a browser: usage
// errors, an unwritable --out, an empty database, several streams.
#include <gmock/gmock.h>

#include <filesystem>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ClientsReportCliTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    std::filesystem::create_directories(dir_.File("m"));
  }
  ProcessResult Cairn(const std::vector<std::string>& args) {
    return RunCairn(tdb_->url(), dir_.File("m"), args);
  }

  std::unique_ptr<TestDatabase> tdb_;
  TempDir dir_;
};

TEST_P(ClientsReportCliTest, WithoutOutIsAUsageError) {
  if (!tdb_) return;
  ProcessResult r = Cairn({"report"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--out"));
}

TEST_P(ClientsReportCliTest, UnwritableOutNamesTheFileAndLeavesNothing) {
  if (!tdb_) return;
  const std::string out = dir_.File("no/such/dir/report.html");
  ProcessResult r = Cairn({"report", "--out", out});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: error: --out " + out + ": cannot create"));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("no")));
}

TEST_P(ClientsReportCliTest, EmptyDatabaseGivesAnEmptyVerifiedReportAndCreatesNoTables) {
  if (!tdb_) return;
  const std::string out = dir_.File("empty.html");
  ProcessResult r = Cairn({"report", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = ReadFileOrDie(out);
  EXPECT_THAT(html, HasSubstr("chain intact"));
  EXPECT_THAT(html, HasSubstr("<dd id=\"period\">no events</dd>"));
  EXPECT_THAT(html, HasSubstr("No migration is recorded."));
  EXPECT_FALSE(TableExists(*tdb_, "cairn_ledger"));  // a report writes nothing to the database
  // No temporary file is left next to the report.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_P(ClientsReportCliTest, ReportsOneStreamOrAll) {
  if (!tdb_) return;
  WriteFile(dir_.File("m/0001_create_a.sql"),
            "-- cairn:up\nCREATE TABLE a (id INTEGER);\n-- cairn:down\nDROP TABLE a;\n");
  ProcessResult r = RunCairn(tdb_->url(), dir_.File("m"), {"--stream", "alpha", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::filesystem::create_directories(dir_.File("m2"));
  WriteFile(dir_.File("m2/0001_create_b.sql"),
            "-- cairn:up\nCREATE TABLE b (id INTEGER);\n-- cairn:down\nDROP TABLE b;\n");
  r = RunCairn(tdb_->url(), dir_.File("m2"), {"--stream", "beta", "--new-stream", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string one = dir_.File("one.html");
  r = Cairn({"report", "--out", one, "--stream", "beta"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = ReadFileOrDie(one);
  EXPECT_THAT(html, HasSubstr("<dd id=\"targets\">beta</dd>"));
  EXPECT_THAT(html, HasSubstr("create b"));
  EXPECT_THAT(html, Not(HasSubstr("create a")));

  const std::string all = dir_.File("all.html");
  r = Cairn({"report", "--out", all, "--all-streams"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 migration(s)"));
  html = ReadFileOrDie(all);
  EXPECT_THAT(html, HasSubstr("<dd id=\"targets\">alpha, beta</dd>"));
  EXPECT_THAT(html, HasSubstr("create a"));
  EXPECT_THAT(html, HasSubstr("create b"));
  EXPECT_THAT(html, HasSubstr("<option value=\"1\">beta</option>"));
  // With several targets the table names each row's target.
  EXPECT_THAT(html, HasSubstr("<th>Target</th><th>ID</th>"));

  r = Cairn({"report", "--out", all, "--all-streams", "--stream", "alpha"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, ClientsReportCliTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
