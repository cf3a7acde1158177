// cairn lint with a database (docs/lint.md): the ledger says which
// migrations are pending (their creations exempt later ones), PostgreSQL's
// catalog says which tables are large, and `migrate --lint` refuses a run
// with an error-level finding. Real targets: SQLite files and the
// PostgreSQL server of CAIRN_TEST_PG_URL.
#include <gmock/gmock.h>

#include <map>
#include <set>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::set<std::string> Rules(const ProcessResult& r) {
  std::set<std::string> out;
  const json j = json::parse(r.out);
  for (const json& f : j["findings"])
    out.insert(f["rule"].get<std::string>() + "@" +
               f["file"].get<std::string>().substr(f["file"].get<std::string>().rfind('/') + 1));
  return out;
}

class RunnerLintTargetTest : public ::testing::TestWithParam<db::Backend> {};

// A folder whose 0001 (CREATE TABLE users, with a down) is applied.
void ApplyUsers(const TestDatabase& tdb, const TempDir& dir) {
  WriteFile(dir.File("0001_users.sql"),
            "-- cairn:up\nCREATE TABLE users (id bigint);\n-- cairn:down\nDROP TABLE users;\n");
  ProcessResult r = RunCairn(tdb.url(), dir.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_P(RunnerLintTargetTest, TheLedgerSaysWhichMigrationsArePending) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(ApplyUsers(*tdb, dir));
  ProcessResult r;
  WriteFile(dir.File("0002_orders.sql"), "-- cairn:up\nCREATE TABLE orders (id bigint);\n");
  WriteFile(dir.File("0003_indexes.sql"),
            "-- cairn:up\nSET lock_timeout = '1s';\nCREATE INDEX users_id ON users (id);\n"
            "CREATE INDEX orders_id ON orders (id);\n");
  // users is applied: its index blocks writes. orders is created by the
  // pending 0002: nobody can be blocked.
  r = RunCairn(tdb->url(), dir.path(), {"lint", "--json"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_EQ(Rules(r), (std::set<std::string>{"index-without-concurrently@0003_indexes.sql"}));
  // Only the file asked for is reported; 0002 still counts.
  r = RunCairn(tdb->url(), dir.path(), {"lint", "--json", dir.File("0003_indexes.sql")});
  EXPECT_EQ(Rules(r), (std::set<std::string>{"index-without-concurrently@0003_indexes.sql"}));
  EXPECT_EQ(json::parse(r.out)["files"], 1);
  // Offline, every earlier migration counts as applied.
  r = RunCairn(tdb->url(), dir.path(), {"lint", "--json", "--offline"});
  EXPECT_EQ(Rules(r), (std::set<std::string>{"index-without-concurrently@0003_indexes.sql"}))
      << "orders_id is reported too";
  EXPECT_EQ(json::parse(r.out)["findings"].size(), 2u);
  // Rolled back, 0001 is pending again: users is new as well.
  r = RunCairn(tdb->url(), dir.path(), {"rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunCairn(tdb->url(), dir.path(), {"lint"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_P(RunnerLintTargetTest, RehearseReportsADownThatDoesNotReverseItsUp) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(ApplyUsers(*tdb, dir));
  ProcessResult r;
  // The down drops the index but forgets the table.
  WriteFile(dir.File("0002_tags.sql"),
            "-- cairn:up\nCREATE TABLE tags (id bigint);\nCREATE INDEX tags_id ON tags (id);\n"
            "-- cairn:down\nDROP INDEX tags_id;\n");
  WriteFile(dir.File("0003_notes.sql"),
            "-- cairn:up\nCREATE TABLE notes (id bigint);\n-- cairn:down\nDROP TABLE notes;\n");
  r = RunCairn(tdb->url(), dir.path(), {"lint", "--json", "--rehearse"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u) << r.out;
  const json& f = j["findings"][0];
  EXPECT_EQ(f["rule"], "down-does-not-reverse-up");
  EXPECT_EQ(f["file"], dir.File("0002_tags.sql"));
  EXPECT_EQ(f["line"], 4);  // the -- cairn:down line
  EXPECT_EQ(f["severity"], "error");
  EXPECT_THAT(f["message"].get<std::string>(),
              HasSubstr("the down section does not return the schema to what it was"));
  EXPECT_THAT(f["message"].get<std::string>(), HasSubstr("tags"));
  // The target is untouched: 0002 is still pending and tags does not exist.
  EXPECT_FALSE(TableExists(*tdb, "tags"));
  // Without --rehearse nothing is run; silenced, the finding is counted.
  r = RunCairn(tdb->url(), dir.path(), {"lint"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  WriteFile(dir.File("0002_tags.sql"),
            "-- cairn:lint-ignore-file down-does-not-reverse-up tags is kept on purpose\n"
            "-- cairn:up\nCREATE TABLE tags (id bigint);\nCREATE INDEX tags_id ON tags (id);\n"
            "-- cairn:down\nDROP INDEX tags_id;\n");
  r = RunCairn(tdb->url(), dir.path(), {"lint", "--rehearse"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 finding(s) in 3 file(s), 1 silenced"));
  // It needs a database.
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--rehearse"},
                 {{"DATABASE_URL", ""}});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--rehearse needs a database"));
}

// Every rehearsal problem is a finding (in --json and SARIF too), not only a
// line on stderr: an up section that fails on the copy, at the failing
// statement, and a migration without a down section.
TEST_P(RunnerLintTargetTest, RehearseReportsAFailingUpAndAMissingDownAsFindings) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(ApplyUsers(*tdb, dir));
  WriteFile(dir.File("0002_tags.sql"), "-- cairn:up\nCREATE TABLE tags (id bigint);\n");
  WriteFile(dir.File("0003_users_again.sql"),
            "-- cairn:up\nCREATE TABLE notes (id bigint);\n\nCREATE TABLE users (id bigint);\n"
            "-- cairn:down\nDROP TABLE users;\nDROP TABLE notes;\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"lint", "--json", "--rehearse"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_EQ(r.err.find("--rehearse: migration"), std::string::npos) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 2u) << r.out;
  std::map<std::string, json> by_rule;
  for (const json& f : j["findings"]) by_rule[f["rule"].get<std::string>()] = f;
  ASSERT_TRUE(by_rule.count("no-down-section")) << r.out;
  EXPECT_EQ(by_rule["no-down-section"]["file"], dir.File("0002_tags.sql"));
  EXPECT_EQ(by_rule["no-down-section"]["line"], 1);
  EXPECT_EQ(by_rule["no-down-section"]["severity"], "warning");
  ASSERT_TRUE(by_rule.count("up-fails-on-rehearsal")) << r.out;
  const json& up = by_rule["up-fails-on-rehearsal"];
  EXPECT_EQ(up["file"], dir.File("0003_users_again.sql"));
  EXPECT_EQ(up["line"], 4) << up;  // CREATE TABLE users
  EXPECT_EQ(up["severity"], "error");
  EXPECT_THAT(up["message"].get<std::string>(),
              HasSubstr("the up section fails on a copy of the target"));
  EXPECT_THAT(up["message"].get<std::string>(), HasSubstr("users"));
  EXPECT_FALSE(TableExists(*tdb, "tags"));
  // Silenced like any rule.
  r = RunCairn(tdb->url(), dir.path(),
               {"lint", "--json", "--rehearse", "--disable", "no-down-section", "--disable",
                "up-fails-on-rehearsal"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerLintTargetTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

TEST(RunnerLintTargetPgTest, FindingsOnLargeTablesAreMarked) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  {
    auto conn = tdb->Connect();
    for (const char* sql :
         {"CREATE TABLE big (id bigint, x text)",
          "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 5000) g",
          "CREATE TABLE small (id bigint, x text)", "INSERT INTO small VALUES (1, 'a')",
          "CREATE INDEX big_x ON big (x)", "ANALYZE big", "ANALYZE small"})
      ASSERT_TRUE(conn->Execute(sql).ok()) << sql;
  }
  TempDir dir;
  WriteFile(dir.File("0001_change.sql"),
            "-- cairn:up\nSET lock_timeout = '1s';\n"
            "ALTER TABLE big DROP COLUMN x;\nALTER TABLE small DROP COLUMN x;\n"
            "DROP INDEX big_x;\nALTER TABLE missing DROP COLUMN y;\n");
  ProcessResult r =
      RunCairn(tdb->url(), dir.path(), {"lint", "--json", "--large-table-rows", "1000"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 4u) << r.out;
  const json& big = j["findings"][0]["table"];
  EXPECT_EQ(big["name"], "big");
  EXPECT_EQ(big["rows"], 5000);
  EXPECT_GT(big["bytes"].get<int64_t>(), 5000 * 32);
  EXPECT_EQ(big["large"], true);
  const json& small = j["findings"][1]["table"];
  EXPECT_EQ(small["name"], "small");
  EXPECT_EQ(small["rows"], 1);
  EXPECT_EQ(small["large"], false);
  // DROP INDEX: the index's table.
  EXPECT_EQ(j["findings"][2]["rule"], "require-concurrent-index-deletion");
  EXPECT_EQ(j["findings"][2]["table"]["rows"], 5000);
  EXPECT_EQ(j["findings"][2]["table"]["large"], true);
  // A table the target lacks has no size.
  EXPECT_FALSE(j["findings"][3]["table"].contains("rows"));
  EXPECT_EQ(j["findings"][3]["table"]["large"], false);

  // Text and SARIF say it; the summary counts them.
  r = RunCairn(tdb->url(), dir.path(), {"lint", "--large-table-rows", "1000"});
  EXPECT_THAT(r.out, HasSubstr("0001_change.sql:3:17: drop-column: DROP COLUMN x destroys its "
                               "data in big [large table big: ~5000 rows, "));
  EXPECT_THAT(r.out, HasSubstr("4 finding(s) in 1 file(s), 0 silenced, 2 on large tables"));
  r = RunCairn(tdb->url(), dir.path(), {"lint", "--sarif", "--large-table-rows", "1000"});
  const json s = json::parse(r.out);
  EXPECT_EQ(s["runs"][0]["results"][0]["properties"]["largeTable"], true);
  EXPECT_EQ(s["runs"][0]["results"][0]["properties"]["tableRows"], 5000);
  // The default thresholds (1,000,000 rows, 1 GiB): nothing here is large;
  // a bytes threshold from cairn.toml makes both tables large.
  r = RunCairn(tdb->url(), dir.path(), {"lint"});
  EXPECT_THAT(r.out, Not(HasSubstr("large table")));
  WriteFile(dir.File("cairn.toml"), "[lint]\nlarge_table_bytes = 1\nlarge_table_rows = 0\n");
  r = RunProcess({CairnBinary(), "--config", dir.File("cairn.toml"), "--database", tdb->url(),
                  "--dir", dir.path(), "lint"});
  EXPECT_THAT(r.out, HasSubstr("4 finding(s) in 1 file(s), 0 silenced, 3 on large tables"));
}

TEST(RunnerLintTargetPgTest, MigrateLintRefusesAnErrorLevelFinding) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  TempDir dir;
  WriteFile(dir.File("0001_users.sql"), "-- cairn:up\nCREATE TABLE users (id bigint);\n");
  const std::string index =
      "-- cairn:up\nSET lock_timeout = '1s';\nCREATE INDEX users_id ON users (id);\n";
  WriteFile(dir.File("0002_index.sql"), index);
  // Both pending: users is created by the run itself, nothing can block.
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--lint", "--to", "0001"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--lint", "--dry-run"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  // Now users exists: the index build blocks its writes.
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--lint"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: error: " + dir.File("0002_index.sql") +
                               ":3:1: index-without-concurrently: "));
  EXPECT_THAT(r.err, HasSubstr("--lint: 1 error-level finding(s) in the pending migrations: "
                               "nothing was migrated"));
  auto conn = tdb->Connect();
  auto idx = conn->Query("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_id'");
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ((*idx)[0][0].AsInt(), 0);
  // A warning does not stop the run.
  WriteFile(dir.File("cairn.toml"), "[lint.severity]\nindex-without-concurrently = \"warning\"\n");
  r = RunProcess({CairnBinary(), "--config", dir.File("cairn.toml"), "--database", tdb->url(),
                  "--dir", dir.path(), "migrate", "--lint"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: warning: " + dir.File("0002_index.sql") +
                               ":3:1: index-without-concurrently: "));
  idx = conn->Query("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_id'");
  EXPECT_EQ((*idx)[0][0].AsInt(), 1);
  // Silenced in the file, the finding does not stop it either.
  WriteFile(dir.File("0003_index.sql"),
            "-- cairn:up\nSET lock_timeout = '1s';\n"
            "-- cairn:lint-ignore-next index-without-concurrently users is tiny\n"
            "CREATE INDEX users_id2 ON users (id);\n");
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--lint"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("index-without-concurrently")));
}

}  // namespace
}  // namespace cairn::testing
