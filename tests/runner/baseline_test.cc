// Adopting and repairing without rewriting: `cairn baseline` and
// `cairn accept-checksum`, end to end on both backends.
#include <gmock/gmock.h>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

const std::vector<std::pair<std::string, std::string>> kFour = {
    {"0001_create_users.sql",
     "-- cairn:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
     "-- cairn:down\nDROP TABLE users;\n"},
    {"0002_create_courses.sql",
     "-- cairn:up\nCREATE TABLE courses (id INTEGER PRIMARY KEY);\n"
     "-- cairn:down\nDROP TABLE courses;\n"},
    {"0004_create_grades.sql",
     "-- cairn:up\nCREATE TABLE grades (user_id INTEGER);\n"
     "-- cairn:down\nDROP TABLE grades;\n"},
    {"0005_create_rooms.sql",
     "-- cairn:up\nCREATE TABLE rooms (id INTEGER);\n"
     "-- cairn:down\nDROP TABLE rooms;\n"},
};

class RunnerBaselineTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void WriteAll() {
    for (const auto& [name, text] : kFour) WriteFile(dir_.File(name), text);
  }
  ProcessResult Cairn(const TestDatabase& tdb, const std::vector<std::string>& args) {
    return RunCairn(tdb.url(), dir_.path(), args);
  }
  // Creates the tables of 0001 and 0002 by hand, as a legacy database would have them.
  void CreateLegacySchema(const TestDatabase& tdb) {
    auto conn = tdb.Connect();
    ASSERT_TRUE(conn->Execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)").ok());
    ASSERT_TRUE(conn->Execute("CREATE TABLE courses (id INTEGER PRIMARY KEY)").ok());
    ASSERT_TRUE(conn->Execute("INSERT INTO users (id, name) VALUES (1, 'ada')").ok());
  }
  TempDir dir_;
};

TEST_P(RunnerBaselineTest, BaselineThenMigrateAppliesOnlyLaterMigrations) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteAll();
  CreateLegacySchema(*tdb);

  ProcessResult r = Cairn(*tdb, {"baseline", "--to", "0002", "--reason", "legacy schema"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("baselined 0001\nbaselined 0002\n"));

  std::vector<json> events = History(*tdb, dir_.path());
  ASSERT_EQ(events.size(), 2u);
  for (const json& e : events) {
    EXPECT_EQ(e["type"], "migration_baselined");
    EXPECT_EQ(e["source"], "cairn baseline");
    EXPECT_EQ(e["reason"], "legacy schema");
  }
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(st["version"], "0002");
  EXPECT_EQ(StateOf(st, "0001"), "applied");
  EXPECT_EQ(StateOf(st, "0002"), "applied");
  EXPECT_EQ(StateOf(st, "0004"), "pending");
  EXPECT_EQ(st["migrations"][0]["baselined"], true);
  ProcessResult text = Cairn(*tdb, {"status"});
  EXPECT_EQ(LinesStartingWith(text.out, "0001     baselined").size(), 1u) << text.out;

  // migrate runs only 0004 and 0005: 0001's CREATE TABLE would fail if it ran.
  r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0004\napplied 0005\nversion 0002 -> 0005"));
  EXPECT_TRUE(TableExists(*tdb, "grades"));
  EXPECT_TRUE(TableExists(*tdb, "rooms"));
  events = History(*tdb, dir_.path());
  EXPECT_EQ(EventsOf(events, "migration_committed").size(), 2u);
  EXPECT_EQ(EventsOf(events, "migration_baselined").size(), 2u);
  ProcessResult v = Cairn(*tdb, {"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.err;

  // A baselined migration's file is held to its checksum like any other.
  WriteFile(dir_.File("0001_create_users.sql"),
            "-- cairn:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, x INT);\n");
  r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("was changed after it was applied"));
}

TEST_P(RunnerBaselineTest, BaselineRefusesUnknownIdNamingNeighboursAndWritesNothing) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteAll();
  ProcessResult r = Cairn(*tdb, {"baseline", "--to", "0003"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--to 0003: no migration file has that id"));
  EXPECT_THAT(r.err,
              HasSubstr("nearest: 0002 (0002_create_courses.sql), 0004 (0004_create_grades.sql)"));
  EXPECT_EQ(LedgerRows(*tdb), 0);
}

TEST_P(RunnerBaselineTest, BaselineRefusesWhenAMigrationIsAlreadyApplied) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteAll();
  ProcessResult r = Cairn(*tdb, {"migrate", "--to", "0001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t rows = LedgerRows(*tdb);
  r = Cairn(*tdb, {"baseline", "--to", "0002"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("already has 1 applied migration(s), the newest 0001"));
  EXPECT_EQ(LedgerRows(*tdb), rows);
}

TEST_P(RunnerBaselineTest, AcceptChecksumMakesAChangedFileAcceptableAndIsRecorded) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteAll();
  ASSERT_EQ(Cairn(*tdb, {"migrate", "--to", "0002"}).exit_code, 0);
  // A comment added to an applied file changes its checksum.
  WriteFile(dir_.File("0001_create_users.sql"),
            "-- The users.\n-- cairn:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
            "-- cairn:down\nDROP TABLE users;\n");
  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 3) << r.out << r.err;
  const int64_t rows = LedgerRows(*tdb);

  // No reason: refused (usage), and an empty one too; nothing written.
  r = Cairn(*tdb, {"accept-checksum", "0001"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--reason"));
  r = Cairn(*tdb, {"accept-checksum", "0001", "--reason", " "});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--reason is required"));
  // A migration that is not applied: refused.
  r = Cairn(*tdb, {"accept-checksum", "0004", "--reason", "x"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("0004 is not applied"));
  EXPECT_EQ(LedgerRows(*tdb), rows);

  r = Cairn(*tdb, {"accept-checksum", "0001", "--reason", "added a header comment"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(LedgerRows(*tdb), rows + 1);
  std::vector<json> events = History(*tdb, dir_.path());
  std::vector<json> accepted = EventsOf(events, "checksum_accepted", "0001");
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(accepted[0]["reason"], "added a header comment");
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(StateOf(st, "0001"), "applied");
  EXPECT_EQ(accepted[0]["new_checksum"], st["migrations"][0]["file_checksum"]);
  EXPECT_NE(accepted[0]["old_checksum"], accepted[0]["new_checksum"]);
  // The original MigrationStarted still carries the old checksum: history is not edited.
  EXPECT_EQ(EventsOf(events, "migration_started", "0001")[0]["checksum"],
            accepted[0]["old_checksum"]);

  r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0004\napplied 0005"));
  EXPECT_EQ(Cairn(*tdb, {"verify"}).exit_code, 0);
}

// Fresh-database detection (StarPunk's sense): the schema a legacy database
// already has is found by applying the migrations to a scratch database, and
// exactly that prefix is stamped.
TEST_P(RunnerBaselineTest, DetectStampsThePrefixTheSchemaAlreadyHas) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteAll();
  CreateLegacySchema(*tdb);
  ProcessResult r = Cairn(*tdb, {"baseline", "--detect"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("baselined 0001\nbaselined 0002\n"));
  std::vector<json> events = History(*tdb, dir_.path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["source"], "cairn baseline --detect");
  r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0004\napplied 0005\n"));
  auto conn = tdb->Connect();
  auto rows = conn->Query("SELECT count(*) FROM users");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0][0].AsInt(), 1);  // the legacy data is untouched
}

TEST_P(RunnerBaselineTest, DetectOnAPartlyMigratedLegacyDatabaseReportsAndWritesNothing) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteAll();
  CreateLegacySchema(*tdb);
  {
    auto conn = tdb->Connect();
    // 0004's table, but with a column the migration never had.
    ASSERT_TRUE(conn->Execute("CREATE TABLE grades (user_id INTEGER, extra TEXT)").ok());
  }
  ProcessResult r = Cairn(*tdb, {"baseline", "--detect"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no prefix of the migrations"));
  EXPECT_THAT(r.err, HasSubstr("closest: the schema after"));
  EXPECT_THAT(r.err, HasSubstr("extra"));
  EXPECT_TRUE(History(*tdb, dir_.path()).empty());
  // An empty database has nothing to detect.
  auto empty = TestDatabase::Create(GetParam());
  ASSERT_TRUE(empty);
  r = RunCairn(empty->url(), dir_.path(), {"baseline", "--detect"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("no tables"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerBaselineTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
