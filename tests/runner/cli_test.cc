// End-to-end tests of the `cairn` CLI on both backends: the real binary as a
// child process, real migration files in a temp dir, a real target database.
// Every outcome is checked in three places: the exit code and output, the
// target's tables, and the ledger (history / status / verify).
#include <gmock/gmock.h>

#include <algorithm>
#include <filesystem>

#include "cairn/v1/snapshot.pb.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Five migrations in SQL that both SQLite and PostgreSQL run.
const std::vector<std::pair<std::string, std::string>> kFive = {
    {"0001_create_users.sql",
     "-- Users of the campus.\n"
     "-- cairn:up\n"
     "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
     "-- cairn:down\n"
     "DROP TABLE users;\n"},
    {"0002_create_courses.sql",
     "-- cairn:up\n"
     "CREATE TABLE courses (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n"
     "-- cairn:down\n"
     "DROP TABLE courses;\n"},
    {"0003_create_enrollments.sql",
     "-- cairn:up\n"
     "CREATE TABLE enrollments (user_id INTEGER NOT NULL, course_id INTEGER NOT NULL);\n"
     "INSERT INTO users (id, name) VALUES (1, 'ada');\n"
     "-- cairn:down\n"
     "DROP TABLE enrollments;\n"
     "DELETE FROM users WHERE id = 1;\n"},
    {"0004_create_grades.sql",
     "-- cairn:up\n"
     "CREATE TABLE grades (user_id INTEGER NOT NULL, grade INTEGER);\n"
     "-- cairn:down\n"
     "DROP TABLE grades;\n"},
    {"0005_create_submissions.sql",
     "-- cairn:up\n"
     "CREATE TABLE submissions (id INTEGER PRIMARY KEY, body TEXT);\n"
     "-- cairn:down\n"
     "DROP TABLE submissions;\n"},
};
const std::vector<std::string> kFiveTables = {"users", "courses", "enrollments", "grades",
                                              "submissions"};

// 0003 with a syntax error in its third statement, which starts on line 10.
// Its first statement creates a table, its second inserts a row.
const char* kBroken0003 =
    "-- 0003: enrollments, with a broken statement\n"    // 1
    "-- cairn:up\n"                                      // 2
    "CREATE TABLE enrollments (\n"                       // 3
    "  user_id INTEGER NOT NULL,\n"                      // 4
    "  course_id INTEGER NOT NULL\n"                     // 5
    ");\n"                                               // 6
    "INSERT INTO users (id, name) VALUES (1, 'ada');\n"  // 7
    "\n"                                                 // 8
    "-- the next statement is broken\n"                  // 9
    "INSERT INTO enrollments (user_id, course_id)\n"     // 10
    "  VALUES (1, 1) oops;\n"                            // 11
    "-- cairn:down\n"                                    // 12
    "DROP TABLE enrollments;\n"                          // 13
    "DELETE FROM users WHERE id = 1;\n";                 // 14
constexpr int kBrokenLine = 10;

class RunnerCliTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void WriteFive() {
    for (const auto& [name, text] : kFive) WriteFile(dir_.File(name), text);
  }
  ProcessResult Cairn(const TestDatabase& tdb, const std::vector<std::string>& args) {
    return RunCairn(tdb.url(), dir_.path(), args);
  }
  std::vector<json> Events(const TestDatabase& tdb) { return History(tdb, dir_.path()); }
  json Status(const TestDatabase& tdb) { return StatusJson(tdb, dir_.path()); }
  int64_t Count(const TestDatabase& tdb, const std::string& sql) {
    auto conn = tdb.Connect();
    auto rows = conn->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0][0].AsInt() : -1;
  }
  void ExpectVerifyOk(const TestDatabase& tdb) {
    ProcessResult v = Cairn(tdb, {"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_THAT(v.out, HasSubstr("ok: stream"));
  }

  TempDir dir_;
};

TEST_P(RunnerCliTest, AppliesAllFiveThenARerunFindsNothingPending) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFive();

  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0001\napplied 0002\napplied 0003\napplied 0004\n"
                               "applied 0005\nversion (none) -> 0005"));
  for (const auto& t : kFiveTables) EXPECT_TRUE(TableExists(*tdb, t)) << t;

  std::vector<json> events = Events(*tdb);
  // run_started, 5 x (migration_started, migration_committed), run_finished.
  ASSERT_EQ(events.size(), 12u);
  EXPECT_EQ(LedgerRows(*tdb), 12);
  EXPECT_EQ(events.front()["type"], "run_started");
  EXPECT_EQ(events.back()["type"], "run_finished");
  EXPECT_EQ(events.back()["outcome"], "RUN_OUTCOME_SUCCEEDED");
  for (const std::string id : {"0001", "0002", "0003", "0004", "0005"})
    EXPECT_EQ(EventsOf(events, "migration_committed", id).size(), 1u) << id;

  r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("nothing to migrate: database is at version 0005"));
  EXPECT_EQ(Events(*tdb).size(), 12u);
  EXPECT_EQ(LedgerRows(*tdb), 12);

  json st = Status(*tdb);
  EXPECT_EQ(st["version"], "0005");
  EXPECT_EQ(st["pending"], 0);
  EXPECT_THAT(st["problems"].get<std::vector<std::string>>(), IsEmpty());
  EXPECT_EQ(st["head"]["position"], 12);
  ASSERT_EQ(st["migrations"].size(), 5u);
  for (const json& m : st["migrations"]) {
    EXPECT_EQ(m["state"], "applied") << m.dump();
    EXPECT_EQ(m["ledger_checksum"], m["file_checksum"]) << m.dump();
  }

  ExpectVerifyOk(*tdb);
  r = Cairn(*tdb, {"verify", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json v = json::parse(r.out);
  EXPECT_EQ(v["ok"], true);
  EXPECT_EQ(v["events_checked"], 12);
  EXPECT_EQ(v["head"]["position"], 12);
  EXPECT_EQ(v["head"]["hash"], st["head"]["hash"]);
}

TEST_P(RunnerCliTest, RollbackStepsAndToThenMigrateToAStop) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFive();
  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  r = Cairn(*tdb, {"rollback", "--steps", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("rolled back 0005\nrolled back 0004\nversion 0005 -> 0003"));
  EXPECT_FALSE(TableExists(*tdb, "grades"));
  EXPECT_FALSE(TableExists(*tdb, "submissions"));
  for (const std::string t : {"users", "courses", "enrollments"}) EXPECT_TRUE(TableExists(*tdb, t));
  json st = Status(*tdb);
  EXPECT_EQ(st["version"], "0003");
  EXPECT_EQ(st["pending"], 2);
  EXPECT_EQ(StateOf(st, "0003"), "applied");
  EXPECT_EQ(StateOf(st, "0004"), "rolled_back");
  EXPECT_EQ(StateOf(st, "0005"), "rolled_back");

  r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0004\napplied 0005\nversion 0003 -> 0005"));
  for (const auto& t : kFiveTables) EXPECT_TRUE(TableExists(*tdb, t)) << t;
  EXPECT_EQ(Status(*tdb)["pending"], 0);

  r = Cairn(*tdb, {"rollback", "--to", "0001"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("rolled back 0005\nrolled back 0004\nrolled back 0003\n"
                               "rolled back 0002\nversion 0005 -> 0001"));
  EXPECT_TRUE(TableExists(*tdb, "users"));
  for (const std::string t : {"courses", "enrollments", "grades", "submissions"})
    EXPECT_FALSE(TableExists(*tdb, t)) << t;
  EXPECT_EQ(Count(*tdb, "SELECT count(*) FROM users"), 0);  // 0003's down removed its row
  st = Status(*tdb);
  EXPECT_EQ(st["version"], "0001");
  EXPECT_EQ(st["pending"], 4);

  r = Cairn(*tdb, {"migrate", "--to", "0003"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0002\napplied 0003\nversion 0001 -> 0003"));
  EXPECT_THAT(r.out, Not(HasSubstr("0004")));
  for (const std::string t : {"users", "courses", "enrollments"}) EXPECT_TRUE(TableExists(*tdb, t));
  EXPECT_FALSE(TableExists(*tdb, "grades"));
  EXPECT_FALSE(TableExists(*tdb, "submissions"));
  st = Status(*tdb);
  EXPECT_EQ(st["version"], "0003");
  EXPECT_EQ(st["pending"], 2);
  EXPECT_EQ(StateOf(st, "0004"), "rolled_back");

  std::vector<json> events = Events(*tdb);
  EXPECT_EQ(EventsOf(events, "migration_rolled_back", "0005").size(), 2u);
  EXPECT_EQ(EventsOf(events, "migration_rolled_back", "0004").size(), 2u);
  EXPECT_EQ(EventsOf(events, "migration_rolled_back", "0003").size(), 1u);
  EXPECT_EQ(EventsOf(events, "migration_rolled_back", "0002").size(), 1u);
  EXPECT_EQ(EventsOf(events, "migration_rolled_back", "0001").size(), 0u);
  EXPECT_EQ(EventsOf(events, "migration_committed", "0003").size(), 2u);
  EXPECT_EQ(EventsOf(events, "run_finished").size(), 5u);
  ExpectVerifyOk(*tdb);
}

TEST_P(RunnerCliTest, RollbackOfAMigrationWithoutDownIsRefusedBeforeAnythingRuns) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFive();
  WriteFile(dir_.File("0004_create_grades.sql"),
            "-- cairn:up\nCREATE TABLE grades (user_id INTEGER NOT NULL, grade INTEGER);\n");
  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const size_t before = Events(*tdb).size();
  ASSERT_EQ(before, 12u);

  // 0005 could be rolled back on its own, but the plan includes 0004.
  r = Cairn(*tdb, {"rollback", "--steps", "2"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("0004_create_grades.sql: migration 0004 has no '-- cairn:down' "
                               "section"));
  EXPECT_THAT(r.err, HasSubstr("nothing was rolled back"));
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_TRUE(TableExists(*tdb, "submissions"));
  EXPECT_TRUE(TableExists(*tdb, "grades"));
  EXPECT_EQ(Events(*tdb).size(), before);
  EXPECT_EQ(LedgerRows(*tdb), static_cast<int64_t>(before));
  EXPECT_EQ(Status(*tdb)["version"], "0005");

  // One step only touches 0005, which has a down section.
  r = Cairn(*tdb, {"rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(TableExists(*tdb, "submissions"));
  EXPECT_EQ(Status(*tdb)["version"], "0004");
  ExpectVerifyOk(*tdb);
}

TEST_P(RunnerCliTest, SyntaxErrorInTheThirdOfFiveStopsThereAndIsRecordedWithItsLine) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFive();
  const std::string file = "0003_create_enrollments.sql";
  WriteFile(dir_.File(file), kBroken0003);

  ProcessResult r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0001\napplied 0002\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("applied 0003")));
  EXPECT_THAT(r.err, HasSubstr("cairn: error: " + dir_.File(file) + ":" +
                               std::to_string(kBrokenLine) + ": migration 0003 failed: "));
  EXPECT_THAT(r.err, HasSubstr("oops"));

  // 0001 and 0002 applied; nothing of 0003 remains; 0004 and 0005 never ran.
  EXPECT_TRUE(TableExists(*tdb, "users"));
  EXPECT_TRUE(TableExists(*tdb, "courses"));
  EXPECT_FALSE(TableExists(*tdb, "enrollments"));
  EXPECT_EQ(Count(*tdb, "SELECT count(*) FROM users"), 0);
  EXPECT_FALSE(TableExists(*tdb, "grades"));
  EXPECT_FALSE(TableExists(*tdb, "submissions"));

  std::vector<json> events = Events(*tdb);
  EXPECT_EQ(EventsOf(events, "migration_committed").size(), 2u);
  EXPECT_EQ(EventsOf(events, "migration_committed", "0003").size(), 0u);
  std::vector<json> failed = EventsOf(events, "migration_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["migration_id"], "0003");
  EXPECT_EQ(failed[0]["file"], file);
  EXPECT_EQ(failed[0]["line"], kBrokenLine);
  EXPECT_THAT(failed[0]["statement"].get<std::string>(), HasSubstr("VALUES (1, 1) oops"));
  EXPECT_THAT(failed[0]["statement"].get<std::string>(),
              ::testing::StartsWith("INSERT INTO enrollments"));
  EXPECT_THAT(failed[0]["error"].get<std::string>(), HasSubstr("oops"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["type"], "run_finished");
  EXPECT_EQ(events.back()["outcome"], "RUN_OUTCOME_FAILED");
  EXPECT_EQ(EventsOf(events, "migration_started", "0004").size(), 0u);

  json st = Status(*tdb);
  EXPECT_EQ(st["version"], "0002");
  EXPECT_EQ(st["pending"], 3);
  EXPECT_EQ(StateOf(st, "0003"), "failed");
  ExpectVerifyOk(*tdb);

  // Fixed, the rest applies.
  std::string fixed = kBroken0003;
  fixed.replace(fixed.find(" oops"), 5, "");
  WriteFile(dir_.File(file), fixed);
  r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0003\napplied 0004\napplied 0005\nversion 0002 -> 0005"));
  for (const auto& t : kFiveTables) EXPECT_TRUE(TableExists(*tdb, t)) << t;
  EXPECT_EQ(Count(*tdb, "SELECT count(*) FROM enrollments"), 1);
  EXPECT_EQ(Count(*tdb, "SELECT count(*) FROM users"), 1);
  st = Status(*tdb);
  EXPECT_EQ(st["version"], "0005");
  EXPECT_EQ(st["pending"], 0);
  EXPECT_EQ(StateOf(st, "0003"), "applied");
  EXPECT_EQ(EventsOf(Events(*tdb), "migration_committed", "0003").size(), 1u);
  ExpectVerifyOk(*tdb);
}

TEST_P(RunnerCliTest, FailureLineIsRightInACrlfFile) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  const std::string file = "0001_create_crlf.sql";
  WriteFile(dir_.File(file),
            "-- a file with Windows line endings\r\n"              // 1
            "-- cairn:up\r\n"                                      // 2
            "CREATE TABLE crlf_t (id INTEGER);\r\n"                // 3
            "\r\n"                                                 // 4
            "/* the next statement; is broken */\r\n"              // 5
            "INSERT INTO crlf_t (id)\r\n  VALUES (1) oops;\r\n");  // 6
  ProcessResult r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(dir_.File(file) + ":6: migration 0001 failed"));
  std::vector<json> failed = EventsOf(Events(*tdb), "migration_failed", "0001");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["line"], 6);
  EXPECT_FALSE(TableExists(*tdb, "crlf_t"));
}

TEST_P(RunnerCliTest, ChangedAppliedFileIsRefusedButLineEndingsAndWhitespaceAreNot) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFive();
  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const size_t events = Events(*tdb).size();

  // CRLF line endings, trailing whitespace and trailing blank lines: the same migration.
  std::string crlf;
  for (char c : kFive[0].second) crlf += c == '\n' ? std::string("  \t\r\n") : std::string(1, c);
  WriteFile(dir_.File(kFive[0].first), crlf + "\r\n\r\n   \r\n");
  r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("nothing to migrate"));
  json st = Status(*tdb);
  EXPECT_EQ(StateOf(st, "0001"), "applied");
  EXPECT_THAT(st["problems"].get<std::vector<std::string>>(), IsEmpty());

  // A real change to 0002, and a new pending 0006: the whole run is refused.
  std::string old_sum;
  for (const json& m : st["migrations"])
    if (m["id"] == "0002") old_sum = m["ledger_checksum"];
  ASSERT_THAT(old_sum, ::testing::StartsWith("sha256:"));
  WriteFile(dir_.File(kFive[1].first),
            "-- cairn:up\n"
            "CREATE TABLE courses (id INTEGER PRIMARY KEY, title TEXT NOT NULL, code TEXT);\n"
            "-- cairn:down\nDROP TABLE courses;\n");
  WriteFile(dir_.File("0006_create_rooms.sql"),
            "-- cairn:up\nCREATE TABLE rooms (id INTEGER);\n-- cairn:down\nDROP TABLE rooms;\n");
  st = Status(*tdb);
  EXPECT_EQ(StateOf(st, "0002"), "changed");
  std::string new_sum;
  for (const json& m : st["migrations"])
    if (m["id"] == "0002") new_sum = m["file_checksum"];
  ASSERT_THAT(new_sum, ::testing::StartsWith("sha256:"));
  ASSERT_NE(new_sum, old_sum);

  r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: error: " + dir_.File(kFive[1].first) +
                               ": migration 0002 was changed after it was applied"));
  EXPECT_THAT(r.err, HasSubstr("applied " + old_sum));
  EXPECT_THAT(r.err, HasSubstr("file now " + new_sum));
  // The way forward is named: restore the file, or accept it after review.
  EXPECT_THAT(r.err, HasSubstr("; restore the file, or record the change with `cairn "
                               "accept-checksum 0002 --reason WHY`"));
  EXPECT_FALSE(TableExists(*tdb, "rooms"));
  EXPECT_EQ(Events(*tdb).size(), events);

  // Rolling back through the changed file is refused too.
  r = Cairn(*tdb, {"rollback", "--to", "0001"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(kFive[1].first));
  EXPECT_THAT(r.err, HasSubstr("its down section may not match what was applied; restore the "
                               "file, or record the change with `cairn accept-checksum 0002"));
  EXPECT_TRUE(TableExists(*tdb, "submissions"));
  EXPECT_EQ(Events(*tdb).size(), events);
  EXPECT_EQ(Status(*tdb)["version"], "0005");
  ExpectVerifyOk(*tdb);
}

TEST_P(RunnerCliTest, OutOfOrderFileIsRefusedUnlessAllowed) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0010_create_alpha.sql"),
            "-- cairn:up\nCREATE TABLE alpha (id INTEGER);\n-- cairn:down\nDROP TABLE alpha;\n");
  WriteFile(dir_.File("0020_create_beta.sql"),
            "-- cairn:up\nCREATE TABLE beta (id INTEGER);\n-- cairn:down\nDROP TABLE beta;\n");
  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const size_t events = Events(*tdb).size();

  const std::string late = "0015_create_gamma.sql";
  WriteFile(dir_.File(late),
            "-- cairn:up\nCREATE TABLE gamma (id INTEGER);\n-- cairn:down\nDROP TABLE gamma;\n");
  json st = Status(*tdb);
  EXPECT_EQ(StateOf(st, "0015"), "pending");
  EXPECT_THAT(st["problems"].dump(), HasSubstr("out of order: " + late));

  r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: error: " + dir_.File(late) +
                               ": migration 0015 is numbered below the current version 0020"));
  EXPECT_THAT(r.err, HasSubstr("--allow-out-of-order"));
  EXPECT_FALSE(TableExists(*tdb, "gamma"));
  EXPECT_EQ(Events(*tdb).size(), events);

  r = Cairn(*tdb, {"migrate", "--allow-out-of-order"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0015\nversion 0020 -> 0020"));
  EXPECT_TRUE(TableExists(*tdb, "gamma"));
  st = Status(*tdb);
  EXPECT_EQ(st["version"], "0020");
  EXPECT_EQ(st["pending"], 0);
  EXPECT_EQ(StateOf(st, "0015"), "applied");
  EXPECT_THAT(st["problems"].get<std::vector<std::string>>(), IsEmpty());

  r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("nothing to migrate"));
  ExpectVerifyOk(*tdb);
}

TEST_P(RunnerCliTest, NewCreatesTheNextNumberedFileTwiceInARow) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  const std::string d = dir_.File("migs");  // does not exist yet

  // `new` needs no database.
  ProcessResult r =
      RunProcess({CairnBinary(), "--dir", d, "new", "create_users"}, {{"DATABASE_URL", ""}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, d + "/0001_create_users.sql\n");
  r = RunProcess({CairnBinary(), "--dir", d, "new", "Create Courses"}, {{"DATABASE_URL", ""}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, d + "/0002_create_courses.sql\n");
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(d))
    files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_THAT(files, ElementsAre("0001_create_users.sql", "0002_create_courses.sql"));

  // Both sections are there, with an empty up section that migrate will not run.
  for (const auto& f : files) {
    std::string text = ReadFileOrDie(d + "/" + f);
    EXPECT_THAT(text, HasSubstr("-- cairn:up\n")) << f;
    EXPECT_THAT(text, HasSubstr("-- cairn:down\n")) << f;
    EXPECT_LT(text.find("-- cairn:up"), text.find("-- cairn:down")) << f;
  }
  r = RunCairn(tdb->url(), d, {"migrate"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(d + "/0001_create_users.sql:"));
  EXPECT_THAT(r.err, HasSubstr("the up section has no SQL"));
  EXPECT_EQ(LedgerRows(*tdb), 0);

  // Filled in after the directive lines, they apply.
  auto fill = [&](const std::string& f, const std::string& up, const std::string& down) {
    std::string text = ReadFileOrDie(d + "/" + f);
    text.insert(text.find("-- cairn:down"), up + "\n");
    text += down + "\n";
    WriteFile(d + "/" + f, text);
  };
  fill(files[0], "CREATE TABLE users (id INTEGER);", "DROP TABLE users;");
  fill(files[1], "CREATE TABLE courses (id INTEGER);", "DROP TABLE courses;");
  r = RunCairn(tdb->url(), d, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(TableExists(*tdb, "users"));
  EXPECT_TRUE(TableExists(*tdb, "courses"));
  r = RunCairn(tdb->url(), d, {"rollback", "--to", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(TableExists(*tdb, "users"));

  // A third file follows the applied ones; a bad name makes none.
  r = RunCairn(tdb->url(), d, {"new", "add_email"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, d + "/0003_add_email.sql\n");
  r = RunCairn(tdb->url(), d, {"new", "bad/name"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: error: migration name 'bad/name'"));
  r = RunCairn(tdb->url(), d, {"new"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(d)) ++n;
  EXPECT_EQ(n, 3u);
}

TEST_P(RunnerCliTest, CommitInsideAMigrationIsRefusedBeforeAnythingRuns) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_users.sql"), kFive[0].second);
  const std::string file = "0002_create_courses.sql";
  WriteFile(dir_.File(file),
            "-- cairn:up\n"
            "CREATE TABLE courses (id INTEGER);\n"
            "COMMIT;\n"
            "CREATE TABLE after_commit (id INTEGER);\n");
  ProcessResult r = Cairn(*tdb, {"migrate"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: error: " + dir_.File(file) +
                               ":3: transaction control statement 'COMMIT'"));
  EXPECT_THAT(AllTables(*tdb), IsEmpty());
}

TEST_P(RunnerCliTest, SavepointsInsideAMigrationWork) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_users.sql"),
            "-- cairn:up\n"
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
            "INSERT INTO users (id, name) VALUES (1, 'kept');\n"
            "SAVEPOINT trial;\n"
            "INSERT INTO users (id, name) VALUES (2, 'undone');\n"
            "ROLLBACK TO SAVEPOINT trial;\n"
            "RELEASE SAVEPOINT trial;\n"
            "-- cairn:down\n"
            "DROP TABLE users;\n");
  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Count(*tdb, "SELECT count(*) FROM users"), 1);
  EXPECT_EQ(Count(*tdb, "SELECT count(*) FROM users WHERE name = 'kept'"), 1);
  EXPECT_EQ(EventsOf(Events(*tdb), "migration_committed", "0001").size(), 1u);
  ExpectVerifyOk(*tdb);
}

// Reads the record at `position`, changes one byte and writes it back with
// the append-only trigger out of the way.
void TamperWithRecord(const TestDatabase& tdb, int64_t position) {
  auto conn = tdb.Connect();
  ASSERT_TRUE(conn);
  if (conn->backend() == db::Backend::kSqlite) {
    ASSERT_TRUE(conn->Execute("DROP TRIGGER cairn_ledger_no_update").ok());
  } else {
    ASSERT_TRUE(conn->Execute("ALTER TABLE cairn_ledger DISABLE TRIGGER USER").ok());
  }
  auto rows = conn->Query("SELECT record FROM cairn_ledger WHERE position = $1", {position});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  std::string record = (*rows)[0][0].AsBytes();
  ASSERT_GT(record.size(), 10u);
  record[record.size() / 2] ^= 0x01;
  auto n = conn->Execute("UPDATE cairn_ledger SET record = $1 WHERE position = $2",
                         {db::Bytes{record}, position});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, 1);
  auto check = conn->Query("SELECT record FROM cairn_ledger WHERE position = $1", {position});
  ASSERT_TRUE(check.ok());
  ASSERT_EQ((*check)[0][0].AsBytes(), record);
}

TEST_P(RunnerCliTest, VerifyDetectsAChangedByteInARecord) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFive();
  ProcessResult r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectVerifyOk(*tdb);

  TamperWithRecord(*tdb, 4);
  if (::testing::Test::HasFatalFailure()) return;

  r = Cairn(*tdb, {"verify"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("cairn: error: ledger verification FAILED for stream"));
  EXPECT_THAT(r.err, HasSubstr("at position 4: hash mismatch"));
  r = Cairn(*tdb, {"verify", "--json"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  json v = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(v.is_discarded()) << r.out;
  EXPECT_EQ(v["ok"], false);
  EXPECT_EQ(v["first_bad_position"], 4);
  EXPECT_EQ(v["events_checked"], 3);
  EXPECT_EQ(v["head"]["position"], 3);
  EXPECT_THAT(v["problem"].get<std::string>(), HasSubstr("hash mismatch"));
}

// The state snapshot a run saves (docs/caches.md) is a shortcut around the
// chain: status reads through it, and verify holds it to a full replay.
TEST_P(RunnerCliTest, VerifyDetectsAStateSnapshotThatDisagreesWithTheLedger) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFive();
  ProcessResult r = Cairn(*tdb, {"migrate", "--to", "0003"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto conn = tdb->Connect();
  auto at_0003 = conn->Query("SELECT state FROM cairn_state_snapshot");
  ASSERT_TRUE(at_0003.ok()) << at_0003.status().ToString();
  ASSERT_EQ(at_0003->size(), 1u);
  r = Cairn(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectVerifyOk(*tdb);
  EXPECT_EQ(Status(*tdb)["version"], "0005");

  // Forge: the state saved at 0003, relabelled with the current head so
  // that it passes the chain check. Status shows it; verify refuses it.
  auto head = conn->Query("SELECT position, head_hash FROM cairn_state_snapshot");
  ASSERT_TRUE(head.ok() && head->size() == 1u);
  v1::StateSnapshot forged;
  ASSERT_TRUE(forged.ParseFromString((*at_0003)[0][0].AsBytes()));
  forged.set_position((*head)[0][0].AsInt());
  forged.set_head_hash((*head)[0][1].AsBytes());
  ASSERT_TRUE(conn->Execute("UPDATE cairn_state_snapshot SET state = $1",
                            {db::Value(db::Bytes{forged.SerializeAsString()})})
                  .ok());
  EXPECT_EQ(Status(*tdb)["version"], "0003");
  r = Cairn(*tdb, {"verify"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("state snapshot at position"));
  EXPECT_THAT(r.err, HasSubstr("does not match the ledger"));
  // Deleting the snapshot is always safe.
  ASSERT_TRUE(conn->Execute("DELETE FROM cairn_state_snapshot").ok());
  ExpectVerifyOk(*tdb);
  EXPECT_EQ(Status(*tdb)["version"], "0005");
}

// SQLite triggers have BEGIN ... END bodies with statements of their own.
TEST(RunnerCliSqliteTest, TriggerWithABeginEndBodyAppliesAndRollsBack) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  ASSERT_TRUE(tdb);
  TempDir dir;
  WriteFile(dir.File("0001_audit_items.sql"),
            "-- cairn:up\n"
            "CREATE TABLE audit (msg TEXT);\n"
            "CREATE TABLE items (id INTEGER);\n"
            "CREATE TRIGGER items_audit AFTER INSERT ON items\n"
            "BEGIN\n"
            "  INSERT INTO audit (msg) VALUES ('inserted');\n"
            "  INSERT INTO audit (msg) VALUES ('twice');\n"
            "END;\n"
            "INSERT INTO items (id) VALUES (1);\n"
            "-- cairn:down\n"
            "DROP TRIGGER items_audit;\n"
            "DROP TABLE items;\n"
            "DROP TABLE audit;\n");
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto conn = tdb->Connect();
  auto rows = conn->Query("SELECT count(*) FROM audit");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0].AsInt(), 2);
  r = RunCairn(tdb->url(), dir.path(), {"rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(TableExists(*conn, "audit"));
  EXPECT_FALSE(TableExists(*conn, "items"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerCliTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// Global options may come before or after the command, like dbmate's and
// Flyway's; an option nobody defines is still a usage error.
TEST(RunnerCliSqliteTest, GlobalOptionsMayFollowTheCommand) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  ASSERT_TRUE(tdb);
  TempDir dir;
  WriteFile(dir.File("0001_items.sql"),
            "-- cairn:up\nCREATE TABLE items (id INTEGER);\n-- cairn:down\nDROP TABLE items;\n");
  ProcessResult r =
      RunProcess({CairnBinary(), "migrate", "--database", tdb->url(), "--dir", dir.path(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "status", "--json", "-d", tdb->url()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out)["version"], "0001");
  r = RunProcess({CairnBinary(), "status", "-d", tdb->url(), "--dir", dir.path(), "--no-such"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;  // usage (README)
  EXPECT_THAT(r.err, HasSubstr("--no-such"));
}

}  // namespace
}  // namespace cairn::testing
