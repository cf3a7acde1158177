// Adopting other tools' folders and history (docs/formats.md), end to end
// through the cairn binary on both backends: a folder applied half way by the
// other tool (the real dbmate; faithful tracking tables for golang-migrate,
// Flyway and diesel), then `cairn adopt`, then `cairn migrate` finishing it.
#include <gmock/gmock.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "cairn/runner/formats.h"
#include "cairn/store/state.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Each migration logs itself in adopt_log; the first one creates it.
std::string LogSql(const std::string& step) {
  return "INSERT INTO adopt_log (step) VALUES ('" + step + "');\n";
}
const char kCreateLog[] = "CREATE TABLE adopt_log (step VARCHAR(40));\n";

// Flyway's checksum, computed here with zlib: CRC32 over each line's bytes
// without its line break, as a signed 32-bit number.
int32_t ZlibFlywayChecksum(const std::string& text) {
  // Lines end at "\n", "\r\n" or a lone "\r", as Java's readLine has it.
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const bool end = i == text.size();
    if (!end && text[i] != '\n' && text[i] != '\r') continue;
    if (end && start == i) break;  // no empty line after a final line break
    crc = crc32(crc, reinterpret_cast<const Bytef*>(text.data() + start),
                static_cast<uInt>(i - start));
    if (!end && text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  return static_cast<int32_t>(static_cast<uint32_t>(crc));
}

class RunnerAdoptTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    pg_ = GetParam() == db::Backend::kPostgres;
  }
  std::string Dir() const { return dir_.path() + "/m"; }
  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(Dir() + "/" + rel).parent_path());
    WriteFile(Dir() + "/" + rel, text);
  }
  ProcessResult Cairn(const std::vector<std::string>& args) {
    return RunCairn(tdb_->url(), Dir(), args);
  }
  void Exec(const std::string& sql) { ExecScript(*tdb_, sql); }
  int64_t Count(const std::string& sql) {
    auto conn = tdb_->Connect();
    auto rows = conn->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0][0].AsInt() : -1;
  }
  // adopt_log's steps, each with how often it was logged.
  std::map<std::string, int64_t> Log() {
    auto conn = tdb_->Connect();
    auto rows = conn->Query("SELECT step, count(*) FROM adopt_log GROUP BY step");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::map<std::string, int64_t> out;
    if (rows.ok())
      for (const db::Row& r : *rows) out[r[0].AsText()] = r[1].AsInt();
    return out;
  }

  // Adopts (expecting `adopted` ids), checks the ledger's baselined events,
  // adopts again (nothing new), migrates, checks verify and that each
  // migration ran once, and the old table is untouched.
  void AdoptAndFinish(const std::string& format, const std::vector<std::string>& adopted,
                      const std::vector<std::string>& applied, const std::string& old_table) {
    const int64_t old_rows = Count("SELECT count(*) FROM " + old_table);
    ProcessResult r = Cairn({"--format", format, "adopt", "--reason", "switch to cairn"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const std::string& id : adopted) EXPECT_THAT(r.out, HasSubstr("adopted " + id + "\n"));
    std::vector<json> events = History(*tdb_, Dir());
    ASSERT_EQ(events.size(), adopted.size());
    for (size_t i = 0; i < adopted.size(); ++i) {
      EXPECT_EQ(events[i]["type"], "migration_baselined");
      EXPECT_EQ(events[i]["migration_id"], adopted[i]);
      EXPECT_EQ(events[i]["source"], format);
      EXPECT_EQ(events[i]["reason"], "switch to cairn");
    }
    const int64_t rows_after_adopt = LedgerRows(*tdb_);

    // Idempotent: nothing new the second time.
    r = Cairn({"--format", format, "adopt"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("nothing to adopt from " + format));
    EXPECT_EQ(LedgerRows(*tdb_), rows_after_adopt);

    r = Cairn({"migrate", "--format", format});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const std::string& id : applied) EXPECT_THAT(r.out, HasSubstr("applied " + id + "\n"));
    events = History(*tdb_, Dir());
    ASSERT_GT(events.size(), adopted.size());
    EXPECT_EQ(events[adopted.size()]["type"], "run_started");  // cairn's own after the import
    std::vector<std::string> committed;
    for (const json& e : EventsOf(events, "migration_committed"))
      committed.push_back(e["migration_id"]);
    EXPECT_EQ(committed, applied);

    // Nothing pending now; verify passes; the old table is as it was.
    r = Cairn({"--format", format, "migrate"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, Not(HasSubstr("applied ")));
    r = Cairn({"--format", format, "verify"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(Count("SELECT count(*) FROM " + old_table), old_rows);
  }

  std::unique_ptr<TestDatabase> tdb_;
  bool pg_ = false;
  TempDir dir_;
};

TEST_P(RunnerAdoptTest, DbmateFolderHalfAppliedByDbmateIsFinishedByCairn) {
  if (!tdb_) return;
  const std::string dbmate = DbmateBinary();
  if (dbmate.empty()) {
    // scripts/test.sh installs it (scripts/install-deps.sh); never pass silently there.
    const char* req = std::getenv("CAIRN_REQUIRE_PG");
    if (req && std::string(req) == "1") FAIL() << "dbmate is not installed (npm install dbmate)";
    GTEST_SKIP() << "dbmate not installed; run scripts/install-deps.sh";
  }
  Write("20240101000001_create_log.sql", std::string("-- migrate:up\n") + kCreateLog + LogSql("1") +
                                             "-- migrate:down\nDROP TABLE adopt_log;\n");
  Write("20240101000002_second.sql",
        "-- migrate:up\n" + LogSql("2") + "-- migrate:down\nDELETE FROM adopt_log;\n");
  std::string url = tdb_->url();
  if (pg_) url += url.find('?') == std::string::npos ? "?sslmode=disable" : "&sslmode=disable";
  ProcessResult d =
      RunProcess({dbmate, "--url", url, "--migrations-dir", Dir(), "--no-dump-schema", "migrate"});
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  ASSERT_EQ(Count("SELECT count(*) FROM schema_migrations"), 2);
  // The team writes two more, one outside a transaction, and switches to cairn.
  Write("20240101000003_third.sql",
        "-- migrate:up\n" + LogSql("3") + "-- migrate:down\nDELETE FROM adopt_log;\n");
  Write("20240101000004_index.sql",
        std::string("-- migrate:up transaction:false\n") +
            (pg_ ? "CREATE INDEX CONCURRENTLY adopt_log_step ON adopt_log (step);\n"
                 : "CREATE INDEX adopt_log_step ON adopt_log (step);\n") +
            LogSql("4") + "-- migrate:down\nDROP INDEX adopt_log_step;\n");

  AdoptAndFinish("dbmate", {"20240101000001", "20240101000002"},
                 {"20240101000003", "20240101000004"}, "schema_migrations");
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"3", 1}, {"4", 1}}));
  // transaction:false is cairn's no-transaction mode.
  std::vector<json> events = History(*tdb_, Dir());
  auto started = EventsOf(events, "migration_started", "20240101000004");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["outside_transaction"], true);
  EXPECT_EQ(EventsOf(events, "migration_started", "20240101000003")[0]["outside_transaction"],
            false);
}

TEST_P(RunnerAdoptTest, GolangMigrateFolderIsAdoptedAndFinished) {
  if (!tdb_) return;
  Write("1_create_log.up.sql", std::string(kCreateLog) + LogSql("1"));
  Write("1_create_log.down.sql", "DROP TABLE adopt_log;\n");
  Write("2_second.up.sql", LogSql("2"));
  Write("2_second.down.sql", "DELETE FROM adopt_log;\n");
  Write("3_third.up.sql", LogSql("3"));
  Write("10_tenth.up.sql", LogSql("10"));
  Write("10_tenth.down.sql", "DELETE FROM adopt_log;\n");
  // What golang-migrate leaves after `migrate up 2`: the SQL ran, one row.
  Exec(std::string(kCreateLog) + LogSql("1") + LogSql("2"));
  Exec(
      "CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not "
      "null);\nINSERT INTO schema_migrations (version, dirty) VALUES (2, false);\n");
  AdoptAndFinish("golang-migrate", {"1", "2"}, {"3", "10"}, "schema_migrations");
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"3", 1}, {"10", 1}}));
  // Rollback uses the .down.sql file.
  ProcessResult r = Cairn({"--format", "golang-migrate", "rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Count("SELECT count(*) FROM adopt_log"), 0);
}

TEST_P(RunnerAdoptTest, DirtyGolangMigrateTableIsRefused) {
  if (!tdb_) return;
  Write("1_create_log.up.sql", std::string(kCreateLog) + LogSql("1"));
  Write("2_second.up.sql", LogSql("2"));
  Exec(std::string(kCreateLog) + LogSql("1"));
  Exec(
      "CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not "
      "null);\nINSERT INTO schema_migrations (version, dirty) VALUES (2, true);\n");
  ProcessResult r = Cairn({"--format", "golang-migrate", "adopt"});
  EXPECT_EQ(r.exit_code, 20) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("version 2 dirty"));
  EXPECT_EQ(LinesStartingWith(r.err, "cairn: error:").size(), 1u) << r.err;
  EXPECT_EQ(LedgerRows(*tdb_), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM schema_migrations WHERE version = 2"), 1);
}

TEST_P(RunnerAdoptTest, VersionWithoutAFileIsRefused) {
  if (!tdb_) return;
  Write("20240101000001_create_log.sql",
        std::string("-- migrate:up\n") + kCreateLog + "-- migrate:down\nDROP TABLE adopt_log;\n");
  Exec(std::string(kCreateLog) +
       "CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY);\n"
       "INSERT INTO schema_migrations (version) VALUES ('20240101000001');\n"
       "INSERT INTO schema_migrations (version) VALUES ('20240101000009');\n");
  ProcessResult r = Cairn({"adopt"});  // the layout is detected
  EXPECT_EQ(r.exit_code, 20) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("records version 20240101000009 but no migration file"));
  EXPECT_EQ(LinesStartingWith(r.err, "cairn: error:").size(), 1u) << r.err;
  EXPECT_EQ(LedgerRows(*tdb_), 0);
}

// Flyway's table as Flyway creates it on each backend.
std::string FlywayTable(bool pg) {
  return std::string(
             "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, "
             "version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, "
             "script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, ") +
         (pg ? "installed_on TIMESTAMP NOT NULL DEFAULT now(), "
             : "installed_on TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), ") +
         "execution_time INT NOT NULL, success BOOLEAN NOT NULL);\n";
}
std::string FlywayRow(int rank, const std::string& version, const std::string& desc,
                      const std::string& script, int32_t checksum, bool success) {
  return "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
         "checksum, installed_by, installed_on, execution_time, success) VALUES (" +
         std::to_string(rank) + ", " + (version.empty() ? "NULL" : "'" + version + "'") + ", '" +
         desc + "', 'SQL', '" + script + "', " + std::to_string(checksum) +
         ", 'flyway', '2024-03-0" + std::to_string(rank) + " 10:00:00', 12, " +
         (success ? "TRUE" : "FALSE") + ");\n";
}

TEST_P(RunnerAdoptTest, FlywayFolderIsAdoptedAndRepeatableRunsAgainOnlyWhenChanged) {
  if (!tdb_) return;
  const std::string v1 = std::string(kCreateLog) + LogSql("1");
  const std::string v1_1 = LogSql("1.1");
  const std::string view =
      "DROP VIEW IF EXISTS log_view;\nCREATE VIEW log_view AS SELECT step FROM "
      "adopt_log;\n" +
      LogSql("R");
  Write("V1__create_log.sql", v1);
  Write("V1_1__second.sql", v1_1);
  Write("V2__third.sql", LogSql("2"));
  Write("U2__third.sql", "DELETE FROM adopt_log WHERE step = '2';\n");
  Write("V10__tenth.sql", LogSql("10"));
  Write("U10__tenth.sql", "DELETE FROM adopt_log WHERE step = '10';\n");
  Write("R__log_view.sql", view);
  // Flyway ran V1, V1.1 and the repeatable.
  Exec(v1 + v1_1 + view);
  Exec(FlywayTable(pg_) +
       FlywayRow(1, "1", "create log", "V1__create_log.sql", ZlibFlywayChecksum(v1), true) +
       FlywayRow(2, "1.1", "second", "V1_1__second.sql", ZlibFlywayChecksum(v1_1), true) +
       FlywayRow(3, "", "log view", "R__log_view.sql", ZlibFlywayChecksum(view), true));

  AdoptAndFinish("flyway", {"1", "1.1", "R__log_view"}, {"2", "10"}, "flyway_schema_history");
  EXPECT_EQ(Log(),
            (std::map<std::string, int64_t>{{"1", 1}, {"1.1", 1}, {"2", 1}, {"10", 1}, {"R", 1}}));
  std::vector<json> events = History(*tdb_, Dir());
  auto baselined = EventsOf(events, "migration_baselined", "1.1");
  ASSERT_EQ(baselined.size(), 1u);
  EXPECT_EQ(baselined[0]["original_checksum"], "crc32:" + std::to_string(ZlibFlywayChecksum(v1_1)));
  EXPECT_EQ(baselined[0]["original_applied_at"].get<std::string>().substr(0, 19),
            "2024-03-02T10:00:00");
  json st = StatusJson(*tdb_, Dir());
  EXPECT_EQ(st["version"], "10");

  // The repeatable changes: the next migrate runs it again, and only once.
  Write("R__log_view.sql", view + "-- now with a comment\n");
  ProcessResult r = Cairn({"--format", "flyway", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied R__log_view\n"));
  r = Cairn({"--format", "flyway", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("applied")));
  EXPECT_EQ(Log()["R"], 2);
  events = History(*tdb_, Dir());
  auto started = EventsOf(events, "migration_started", "R__log_view");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0]["repeatable"], true);
  EXPECT_EQ(EventsOf(events, "migration_started", "10")[0]["repeatable"], false);
  st = StatusJson(*tdb_, Dir());
  EXPECT_EQ(st["version"], "10");
  EXPECT_EQ(StateOf(st, "R__log_view"), "applied");
  // Rollback skips the repeatable and uses the U script.
  r = Cairn({"--format", "flyway", "rollback", "--steps", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("rolled back 10"));
  EXPECT_THAT(r.out, HasSubstr("rolled back 2"));
  EXPECT_EQ(Log().count("2"), 0u);
  EXPECT_EQ(Log().count("10"), 0u);
  EXPECT_EQ(Log()["R"], 2);
  r = Cairn({"--format", "flyway", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_P(RunnerAdoptTest, FlywayChangedRepeatableIsLeftForMigrateAndFailedRowIsRefused) {
  if (!tdb_) return;
  const std::string v1 = std::string(kCreateLog) + LogSql("1");
  const std::string view = LogSql("R");
  Write("V1__create_log.sql", v1);
  Write("R__log.sql", view + "-- edited after Flyway ran it\n");
  Exec(v1 + view);
  Exec(FlywayTable(pg_) +
       FlywayRow(1, "1", "create log", "V1__create_log.sql", ZlibFlywayChecksum(v1), true) +
       FlywayRow(2, "", "log", "R__log.sql", ZlibFlywayChecksum(view), true));
  ProcessResult r = Cairn({"--format", "flyway", "adopt"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("migrate will run it again: R__log"));
  r = Cairn({"--format", "flyway", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"R", 2}}));

  // A failed row: refused, naming the version, nothing written.
  auto fresh = TestDatabase::Create(GetParam());
  ASSERT_TRUE(fresh);
  auto conn = fresh->Connect();
  int64_t n = 0;
  db::ScriptFailure f;
  ASSERT_TRUE(conn->ExecuteScript(FlywayTable(pg_) + FlywayRow(1, "1", "create log",
                                                               "V1__create_log.sql", 5, false),
                                  &n, &f)
                  .ok());
  r = RunCairn(fresh->url(), Dir(), {"--format", "flyway", "adopt"});
  EXPECT_EQ(r.exit_code, 20) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("version 1) has success = false"));
  EXPECT_EQ(LedgerRows(*fresh), 0);
}

TEST_P(RunnerAdoptTest, DieselFolderIsAdoptedWithItsTimestamps) {
  if (!tdb_) return;
  Write("2024-01-01-000001_create_log/up.sql", std::string(kCreateLog) + LogSql("1"));
  Write("2024-01-01-000001_create_log/down.sql", "DROP TABLE adopt_log;\n");
  Write("2024-01-01-000002_second/up.sql", LogSql("2"));
  Write("2024-01-01-000002_second/down.sql", "DELETE FROM adopt_log;\n");
  Write("2024-01-02-000003_third/up.sql", LogSql("3"));
  Write("2024-01-02-000003_third/down.sql", "DELETE FROM adopt_log;\n");
  Write("2024-01-02-000003_third/metadata.toml", "run_in_transaction = false\n");
  Write(".keep", "");
  Exec(std::string(kCreateLog) + LogSql("1") + LogSql("2"));
  Exec(std::string("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT "
                   "NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);\n") +
       "INSERT INTO __diesel_schema_migrations (version, run_on) VALUES ('20240101000001', "
       "'2024-02-01 09:30:00.250');\n"
       "INSERT INTO __diesel_schema_migrations (version, run_on) VALUES ('20240101000002', "
       "'2024-02-02 09:30:00');\n");
  AdoptAndFinish("diesel", {"20240101000001", "20240101000002"}, {"20240102000003"},
                 "__diesel_schema_migrations");
  EXPECT_EQ(Log(), (std::map<std::string, int64_t>{{"1", 1}, {"2", 1}, {"3", 1}}));
  std::vector<json> events = History(*tdb_, Dir());
  auto b = EventsOf(events, "migration_baselined", "20240101000001");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["original_applied_at"].get<std::string>().substr(0, 23),
            "2024-02-01T09:30:00.250");
  EXPECT_EQ(EventsOf(events, "migration_started", "20240102000003")[0]["outside_transaction"],
            true);
}

TEST(RunnerFormatsTest, FlywayChecksumMatchesZlibCrc32OverLines) {
  for (const std::string text : {"", "SELECT 1;\n", "a\r\nb\rc\n\n", "x\ny"})
    EXPECT_EQ(runner::FlywayChecksum(text), ZlibFlywayChecksum(text)) << text;
  // A leading byte order mark is not part of the checksum.
  EXPECT_EQ(runner::FlywayChecksum("\xEF\xBB\xBFSELECT 1;\n"), ZlibFlywayChecksum("SELECT 1;\n"));
}

TEST(RunnerFormatsTest, DottedVersionsCompareAsNumbers) {
  using ledger::CompareMigrationIds;
  EXPECT_LT(CompareMigrationIds("1", "1.1"), 0);
  EXPECT_LT(CompareMigrationIds("1.9", "1.10"), 0);
  EXPECT_LT(CompareMigrationIds("2.1", "10"), 0);
  EXPECT_EQ(CompareMigrationIds("1", "1.0"), 0);
  EXPECT_EQ(CompareMigrationIds("0010", "10"), 0);
  EXPECT_LT(CompareMigrationIds("10", "R__view"), 0);  // repeatables after versions
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerAdoptTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// Bad folders: one clear error line naming the file, nothing written.
class RunnerAdoptBadInputTest : public ::testing::Test {
 protected:
  ProcessResult Status(const std::vector<std::string>& args) {
    std::vector<std::string> all = args;
    all.push_back("status");
    // status never creates a database; an empty file is an empty SQLite one.
    if (!std::filesystem::exists(dir_.File("t.db"))) WriteFile(dir_.File("t.db"), "");
    return RunCairn("sqlite:" + dir_.File("t.db"), dir_.File("m"), all);
  }
  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir_.File("m/" + rel)).parent_path());
    WriteFile(dir_.File("m/" + rel), text);
  }
  void ExpectOneError(const ProcessResult& r, int code, const std::string& needle) {
    EXPECT_EQ(r.exit_code, code) << r.out << r.err;
    auto lines = LinesStartingWith(r.err, "cairn: error:");
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_THAT(lines[0], HasSubstr(needle));
  }
  TempDir dir_;
};

TEST_F(RunnerAdoptBadInputTest, UnknownFormatIsAUsageError) {
  Write("V1__a.sql", "SELECT 1;\n");
  ProcessResult r = Status({"--format", "sqitch"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("sqitch"));
}

TEST_F(RunnerAdoptBadInputTest, FileMatchingNoRuleIsNamed) {
  Write("V1__a.sql", "SELECT 1;\n");
  Write("notes.sql", "SELECT 2;\n");
  ExpectOneError(Status({"--format", "flyway"}), 3, "m/notes.sql: not a flyway migration file");
}

TEST_F(RunnerAdoptBadInputTest, TwoFilesWithOneVersionAreNamed) {
  Write("V1__a.sql", "SELECT 1;\n");
  Write("V1_0__b.sql", "SELECT 2;\n");
  ExpectOneError(Status({}), 3, "duplicate migration version 1");
  Write("V1_0__b.sql", "SELECT 2;\n");
  std::filesystem::remove_all(dir_.File("m"));
  Write("1_a.up.sql", "SELECT 1;\n");
  Write("01_b.up.sql", "SELECT 1;\n");
  ExpectOneError(Status({"--format", "golang-migrate"}), 3, "01_b.up.sql");
}

TEST_F(RunnerAdoptBadInputTest, DownWithoutUpAndMixedLayoutsAreNamed) {
  Write("1_a.up.sql", "SELECT 1;\n");
  Write("2_b.down.sql", "SELECT 1;\n");
  ExpectOneError(Status({}), 3, "m/2_b.down.sql: down file without its up file");
  Write("V3__c.sql", "SELECT 1;\n");
  ExpectOneError(Status({}), 3, "looks like a");
}

TEST_F(RunnerAdoptBadInputTest, DbmateMarkerErrorsNameTheLine) {
  Write("001_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:maybe\nSELECT 2;\n");
  ExpectOneError(Status({}), 3, "m/001_a.sql:3: unsupported dbmate option");
}

TEST_F(RunnerAdoptBadInputTest, AdoptingACairnFolderIsRefused) {
  Write("0001_a.sql", "-- cairn:up\nSELECT 1;\n");
  ProcessResult r = RunCairn("sqlite:" + dir_.File("t.db"), dir_.File("m"), {"adopt"});
  ExpectOneError(r, 3, "cairn's own layout");
}

}  // namespace
}  // namespace cairn::testing
