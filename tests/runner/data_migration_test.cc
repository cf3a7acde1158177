// Batched data migrations end to end (docs/data-migrations.md), on both
// backends, with the CLI as a separate process: SIGKILL at seeded random
// moments and resume with a non-idempotent transform, SIGINT and resume,
// throttle flags, the typo check, C++ steps (document transforms and their
// downs, a move between two databases with kills, irreversible refusal).
#include <gmock/gmock.h>
#include <signal.h>
#include <unistd.h>

#include <random>

#include "cairn/runner/batch_options.h"
#include "cairn/runner/documents.h"
#include "cairn/runner/runner.h"
#include "clients/cli/exit_codes.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kRows = 240;

// 0001: items(id, counter, label) with kRows rows.
const char* kCreateItems =
    "-- cairn:up\n"
    "CREATE TABLE items (id INTEGER PRIMARY KEY, counter INTEGER NOT NULL, label TEXT NOT NULL);\n"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240)\n"
    "INSERT INTO items (id, counter, label) SELECT i, 0, 'item ' || i FROM n;\n"
    "-- cairn:down\n"
    "DROP TABLE items;\n";

std::string BumpMigration(int size) {
  return "-- cairn:up\n-- cairn:batch table=items key=id size=" + std::to_string(size) +
         "\nUPDATE items SET counter = counter + 1 WHERE id > :after AND id <= :upto;\n"
         "-- cairn:down\n-- cairn:batch table=items key=id\n"
         "UPDATE items SET counter = counter - 1 WHERE id > :after AND id <= :upto;\n";
}

int64_t QueryInt(const TestDatabase& tdb, const std::string& sql) {
  auto conn = tdb.Connect();
  if (!conn) return -1;
  auto rows = conn->Query(sql);
  EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
  return rows.ok() && !rows->empty() ? (*rows)[0][0].AsInt() : -1;
}

// Checks the BatchApplied events of `id` since its last fresh start: batch
// numbers 1..n without gaps, cursors increasing, the last cursor the table's
// largest key, and the rows adding up to `rows`.
void ExpectBatchesMatch(const std::vector<json>& events, const std::string& id, int64_t rows,
                        int64_t last_key) {
  std::vector<json> batches;
  for (const json& e : events) {
    if (e.value("type", "") == "migration_started" && e.value("migration_id", "") == id &&
        !e.value("resumed", false))
      batches.clear();
    if (e.value("type", "") == "batch_applied" && e.value("migration_id", "") == id)
      batches.push_back(e);
  }
  ASSERT_FALSE(batches.empty()) << "no batches for " << id;
  int64_t sum = 0, prev_cursor = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(batches[i].value("batch_number", 0), static_cast<int64_t>(i + 1)) << id;
    int64_t cursor = std::stoll(batches[i].value("cursor", "0"));
    EXPECT_GT(cursor, prev_cursor) << id << " batch " << i + 1;
    prev_cursor = cursor;
    sum += batches[i].value("rows", 0);
  }
  EXPECT_EQ(sum, rows) << id;
  EXPECT_EQ(prev_cursor, last_key) << id;
}

class RunnerDataMigrationTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  TempDir dir_;
};

TEST_P(RunnerDataMigrationTest, SigkillAtRandomMomentsThenResumeTransformsEveryRowOnce) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  ASSERT_EQ(RunCairn(tdb->url(), dir_.path(), {"migrate"}).exit_code, 0);

  std::mt19937 rng(GetParam() == db::Backend::kSqlite ? 20261121 : 11212026);
  int killed_mid_run = 0;
  constexpr int kRounds = 20;
  for (int round = 1; round <= kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int size = std::uniform_int_distribution<int>(4, 12)(rng);
    char name[64];
    std::snprintf(name, sizeof name, "%04d_bump_%d.sql", round + 1, round);
    WriteFile(dir_.File(name), BumpMigration(size));
    // Kill once at least `after_rows` rows carry this round's +1, plus up to
    // 3 ms, so the kill lands before, inside or after a batch transaction.
    const int after_rows = std::uniform_int_distribution<int>(0, kRows * 2 / 3)(rng);
    const int extra_us = std::uniform_int_distribution<int>(0, 3000)(rng);
    const std::string done_sql =
        "SELECT count(*) FROM items WHERE counter >= " + std::to_string(round);
    const int64_t runs_before =
        QueryInt(*tdb, "SELECT count(*) FROM cairn_ledger WHERE event_type = 'run_finished'");
    // A fixed small size (no adaptation) keeps the run long enough to be hit.
    Child child({CairnBinary(), "--database", tdb->url(), "--dir", dir_.path(), "migrate",
                 "--progress", "off", "--pause-ms", "2", "--batch-size", std::to_string(size)});
    ASSERT_TRUE(WaitFor(
        [&] {
          return QueryInt(*tdb, done_sql) >= after_rows ||
                 QueryInt(*tdb,
                          "SELECT count(*) FROM cairn_ledger WHERE event_type = "
                          "'run_finished'") > runs_before;
        },
        60000));
    usleep(static_cast<useconds_t>(extra_us));
    child.Kill(SIGKILL);
    ProcessResult killed = child.Wait();
    if (killed.signal == SIGKILL) ++killed_mid_run;

    ProcessResult resumed = RunCairn(tdb->url(), dir_.path(), {"migrate", "--progress", "off"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    // Every row got exactly one +1 per round: a batch applied twice (or
    // skipped) would show here.
    EXPECT_EQ(QueryInt(*tdb, "SELECT count(*) FROM items WHERE counter = " + std::to_string(round)),
              kRows);
    ExpectBatchesMatch(History(*tdb, dir_.path()), std::string(name).substr(0, 4), kRows, kRows);
  }
  // The kills race the run; most land inside it, and at least a quarter must.
  EXPECT_GE(killed_mid_run, kRounds / 4) << "too few kills landed while the run was going";
  EXPECT_EQ(RunCairn(tdb->url(), dir_.path(), {"verify"}).exit_code, 0);
}

TEST_P(RunnerDataMigrationTest, SigintStopsAfterTheCurrentBatchAndMigrateResumes) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  WriteFile(dir_.File("0002_bump.sql"), BumpMigration(10));
  Child child({CairnBinary(), "--database", tdb->url(), "--dir", dir_.path(), "migrate",
               "--progress", "log", "--pause-ms", "100"});
  ASSERT_TRUE(WaitFor([&] {
    return TableExists(*tdb, "items") &&
           QueryInt(*tdb, "SELECT count(*) FROM items WHERE counter = 1") >= 20;
  }));
  child.Kill(SIGINT);
  ProcessResult r = child.Wait();
  EXPECT_EQ(r.exit_code, cli::kExitInterrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("interrupted"));

  std::vector<json> events = History(*tdb, dir_.path());
  std::vector<json> finished = EventsOf(events, "run_finished");
  ASSERT_FALSE(finished.empty());
  EXPECT_EQ(finished.back().value("outcome", ""), "RUN_OUTCOME_INTERRUPTED");
  EXPECT_TRUE(EventsOf(events, "migration_committed", "0002").empty());
  int64_t rows = 0;
  for (const json& b : EventsOf(events, "batch_applied", "0002")) rows += b.value("rows", 0);
  EXPECT_EQ(QueryInt(*tdb, "SELECT count(*) FROM items WHERE counter = 1"), rows);
  EXPECT_LT(rows, kRows);
  EXPECT_EQ(StateOf(StatusJson(*tdb, dir_.path()), "0002"), "rolled_back");

  ProcessResult again = RunCairn(tdb->url(), dir_.path(), {"migrate", "--progress", "off"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(QueryInt(*tdb, "SELECT count(*) FROM items WHERE counter = 1"), kRows);
  events = History(*tdb, dir_.path());
  ExpectBatchesMatch(events, "0002", kRows, kRows);
  std::vector<json> started = EventsOf(events, "migration_started", "0002");
  ASSERT_EQ(started.size(), 2u);
  EXPECT_TRUE(started[1].value("resumed", false));

  // The down runs in batches too, and restores the data.
  ProcessResult down = RunCairn(tdb->url(), dir_.path(), {"rollback", "--progress", "off"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(QueryInt(*tdb, "SELECT count(*) FROM items WHERE counter = 0"), kRows);
}

TEST_P(RunnerDataMigrationTest, ThrottleFlagsSetAndAdaptTheBatchSize) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  WriteFile(dir_.File("0002_bump.sql"), BumpMigration(100));
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate", "--batch-size", "25"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> batches = EventsOf(History(*tdb, dir_.path()), "batch_applied", "0002");
  ASSERT_EQ(batches.size(), static_cast<size_t>(kRows / 25 + 1));  // 9 full, one of 15
  for (const json& b : batches) EXPECT_EQ(b.value("batch_size", 0), 25);
  EXPECT_EQ(batches[0].value("rows", 0), 25);

  // A target far above what a batch takes: the documented rule doubles the
  // size after every batch (2, 4, 8, ...).
  ASSERT_EQ(RunCairn(tdb->url(), dir_.path(), {"rollback"}).exit_code, 0);
  r = RunCairn(tdb->url(), dir_.path(),
               {"migrate", "--batch-size", "2", "--target-batch-ms", "100000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> events = History(*tdb, dir_.path());
  batches.clear();
  for (const json& e : events) {
    if (e.value("type", "") == "migration_started" && e.value("migration_id", "") == "0002")
      batches.clear();
    if (e.value("type", "") == "batch_applied" && e.value("migration_id", "") == "0002" &&
        e.value("direction", "") == "DIRECTION_UP")
      batches.push_back(e);
  }
  ASSERT_GE(batches.size(), 4u);
  for (size_t i = 0; i < batches.size(); ++i)
    EXPECT_EQ(batches[i].value("batch_size", 0), int64_t{2} << i) << "batch " << i + 1;
  EXPECT_EQ(QueryInt(*tdb, "SELECT count(*) FROM items WHERE counter = 1"), kRows);
}

TEST(RunnerBatchSizeRule, AdaptsTowardsTheTargetByAtMostTwofold) {
  EXPECT_EQ(runner::AdaptBatchSize(1000, 50, 0), 1000);          // off
  EXPECT_EQ(runner::AdaptBatchSize(1000, 50, 100), 2000);        // twice as fast as wanted
  EXPECT_EQ(runner::AdaptBatchSize(1000, 10, 100), 2000);        // capped at x2
  EXPECT_EQ(runner::AdaptBatchSize(1000, 125, 100), 800);        // proportional
  EXPECT_EQ(runner::AdaptBatchSize(1000, 5000, 100), 500);       // capped at /2
  EXPECT_EQ(runner::AdaptBatchSize(1, 5000, 100), 1);            // never below 1
  EXPECT_EQ(runner::AdaptBatchSize(900000, 0.1, 100), 1000000);  // never above 1,000,000
}

TEST_P(RunnerDataMigrationTest, MistypedTableIsRefusedNamingTheNearestNameAndNothingIsWritten) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  ASSERT_EQ(RunCairn(tdb->url(), dir_.path(), {"migrate"}).exit_code, 0);
  const int64_t ledger_before = LedgerRows(*tdb);
  WriteFile(dir_.File("0002_create_submissions.sql"),
            "-- cairn:up\nCREATE TABLE submissions (id INTEGER PRIMARY KEY, n INTEGER);\n");
  WriteFile(dir_.File("0003_backfill.sql"),
            "-- cairn:up\n-- cairn:batch table=submisions key=id\n"
            "UPDATE submisions SET n = 1 WHERE id > :after AND id <= :upto;\n");
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, cli::kExitInvalidMigrations);
  EXPECT_THAT(r.err, HasSubstr("0003_backfill.sql: submisions: no such table; did you mean "
                               "submissions?"));
  EXPECT_EQ(LedgerRows(*tdb), ledger_before);
  EXPECT_FALSE(TableExists(*tdb, "submissions"));  // 0002 did not run either
}

TEST(RunnerBatchDirective, BadDirectivesAreRefusedWithFileAndLine) {
  TempDir dir;
  struct Case {
    std::string body, message;
  } cases[] = {
      {"-- cairn:up\n-- cairn:batch key=id\nUPDATE t SET a = 1 WHERE id > :after AND id <= "
       ":upto;\n",
       ":2: cairn:batch needs table=NAME"},
      {"-- cairn:up\n-- cairn:batch table=t key=id size=0\nUPDATE t SET a = 1;\n",
       ":2: cairn:batch size='0' must be 1 to 1000000"},
      {"-- cairn:up\n-- cairn:batch table=t key=id\nUPDATE t SET a = 1 WHERE id > :after;\n",
       ":2: the batched statement must use :upto"},
      {"-- cairn:up\n-- cairn:batch table=t key=id\nUPDATE t SET a = 1 WHERE id > :after AND id "
       "<= :upto;\nDELETE FROM t;\n",
       ":4: a batched section holds exactly one statement"},
      {"-- cairn:up\nUPDATE t SET a = 1;\n-- cairn:batch table=t key=id\n",
       ":3: '-- cairn:batch' must be the first line of its section"},
      {"-- cairn:up\n-- cairn:batch table=t key=id colour=red\nUPDATE t SET a = 1;\n",
       ":2: unknown cairn:batch option 'colour'"},
  };
  for (const Case& c : cases) {
    WriteFile(dir.File("0001_x.sql"), c.body);
    ProcessResult r = RunProcess({CairnBinary(), "--database", "sqlite:" + dir.File("db.sqlite"),
                                  "--dir", dir.path(), "migrate"});
    EXPECT_EQ(r.exit_code, cli::kExitInvalidMigrations) << c.body;
    EXPECT_THAT(r.err, HasSubstr("0001_x.sql" + c.message)) << c.body;
  }
}

// ---- C++ steps: the cairn_test_steps binary (tests/runner/data_steps.cc).

class RunnerDataStepsTest : public RunnerDataMigrationTest {
 protected:
  ProcessResult Steps(const TestDatabase& tdb, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {CAIRN_TEST_STEPS_BIN, "--database", tdb.url(), "--dir",
                                     dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, env_);
  }
  std::map<std::string, std::string> env_;
};

TEST_P(RunnerDataStepsTest, DocumentTransformsAndTheirDowns) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  ProcessResult r = Steps(*tdb, {"migrate", "--to", "0004", "--batch-size", "7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto conn = tdb->Connect();
  auto notes = runner::docs::ReadAfter(*conn, "notes", "", 1000);
  ASSERT_TRUE(notes.ok()) << notes.status().ToString();
  ASSERT_EQ(notes->size(), 40u);
  for (const auto& d : *notes) {
    EXPECT_TRUE(d.body.contains("headline")) << d.body.dump();
    EXPECT_FALSE(d.body.contains("title")) << d.body.dump();
    EXPECT_EQ(d.body.value("archived", true), false) << d.body.dump();
  }
  auto found = runner::docs::Find(*conn, "notes", "headline", db::Value("note 7"));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, "n1007");
  auto by_number = runner::docs::Find(*conn, "notes", "n", db::Value(int64_t{12}));
  ASSERT_TRUE(by_number.ok()) << by_number.status().ToString();
  ASSERT_EQ(by_number->size(), 1u);
  EXPECT_EQ((*by_number)[0].id, "n1012");

  std::vector<json> events = History(*tdb, dir_.path());
  for (const std::string id : {"0003", "0004"}) {
    auto started = EventsOf(events, "migration_started", id);
    ASSERT_EQ(started.size(), 1u);
    EXPECT_EQ(started[0].value("storage_type", ""), "STORAGE_TYPE_DOCUMENT");
    int64_t rows = 0;
    for (const json& b : EventsOf(events, "batch_applied", id)) rows += b.value("rows", 0);
    EXPECT_EQ(rows, 40) << id;
    EXPECT_EQ(EventsOf(events, "batch_applied", id).size(), 6u) << id;  // ceil(40 / 7)
  }

  r = Steps(*tdb, {"rollback", "--steps", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  notes = runner::docs::ReadAfter(*conn, "notes", "", 1000);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 40u);
  for (const auto& d : *notes) {
    EXPECT_TRUE(d.body.contains("title")) << d.body.dump();
    EXPECT_FALSE(d.body.contains("headline")) << d.body.dump();
    EXPECT_FALSE(d.body.contains("archived")) << d.body.dump();
  }
  r = Steps(*tdb, {"rollback", "--to", "0001"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(TableExists(*tdb, "cairn_doc_notes"));
}

TEST_P(RunnerDataStepsTest, TableToCollectionInAnotherDatabaseAndBackSurvivesKills) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  // The other side: SQLite for a PostgreSQL target; PostgreSQL (when there)
  // for a SQLite target.
  auto archive = TestDatabase::Create(GetParam() == db::Backend::kPostgres || !PostgresAvailable()
                                          ? db::Backend::kSqlite
                                          : db::Backend::kPostgres);
  ASSERT_TRUE(archive);
  env_["CAIRN_TEST_ARCHIVE_URL"] = archive->url();
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  ASSERT_EQ(Steps(*tdb, {"migrate", "--to", "0004"}).exit_code, 0);
  auto archive_count = [&] {
    auto conn = archive->Connect();
    auto exists = runner::docs::CollectionExists(*conn, "items");
    if (!exists.ok() || !*exists) return int64_t{0};
    auto n = runner::docs::Count(*conn, "items");
    return n.ok() ? *n : int64_t{-1};
  };
  auto killed_run = [&](const std::vector<std::string>& args, const std::function<bool()>& at) {
    std::vector<std::string> argv = {CAIRN_TEST_STEPS_BIN, "--database", tdb->url(), "--dir",
                                     dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    Child child(argv, env_);
    EXPECT_TRUE(WaitFor(at, 60000));
    child.Kill(SIGKILL);
    return child.Wait();
  };

  // Up: kill once a third of the rows are in the archive, then resume.
  ProcessResult k = killed_run(
      {"migrate", "--to", "0005", "--batch-size", "9", "--pause-ms", "5", "--progress", "off"},
      [&] { return archive_count() >= kRows / 3; });
  EXPECT_EQ(k.signal, SIGKILL) << k.err;
  ProcessResult r = Steps(*tdb, {"migrate", "--to", "0005", "--progress", "off"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(TableExists(*tdb, "items"));
  {
    auto conn = archive->Connect();
    auto docs = runner::docs::ReadAfter(*conn, "items", "", 10000);
    ASSERT_TRUE(docs.ok()) << docs.status().ToString();
    ASSERT_EQ(docs->size(), static_cast<size_t>(kRows));  // none lost, none twice
    for (const auto& d : *docs) EXPECT_EQ(d.body.value("label", ""), "item " + d.id);
    auto progress = conn->Query(
        "SELECT last_key FROM cairn_copy_progress WHERE migration_id = '0005' AND direction = 1");
    ASSERT_TRUE(progress.ok()) << progress.status().ToString();
    ASSERT_EQ(progress->size(), 1u);
    EXPECT_EQ((*progress)[0][0].AsText(), std::to_string(kRows));
  }
  std::vector<json> events = History(*tdb, dir_.path());
  ExpectBatchesMatch(events, "0005", kRows, kRows);

  // Down: back into a table on the target, killed half-way, resumed.
  auto target_rows = [&] {
    auto conn = tdb->Connect();
    if (!TableExists(*conn, "items")) return int64_t{0};
    auto rows = conn->Query("SELECT count(*) FROM items");
    return rows.ok() ? (*rows)[0][0].AsInt() : int64_t{-1};
  };
  k = killed_run(
      {"rollback", "--to", "0004", "--batch-size", "9", "--pause-ms", "5", "--progress", "off"},
      [&] { return target_rows() >= kRows / 2; });
  EXPECT_EQ(k.signal, SIGKILL) << k.err;
  r = Steps(*tdb, {"rollback", "--to", "0004", "--progress", "off"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(target_rows(), kRows);
  EXPECT_EQ(QueryInt(*tdb, "SELECT count(*) FROM items WHERE label = 'item ' || id"), kRows);
  EXPECT_EQ(archive_count(), 0);
  EXPECT_EQ(Steps(*tdb, {"verify"}).exit_code, 0);
}

TEST_P(RunnerDataStepsTest, RollbackThroughAnIrreversibleStepIsRefusedBeforeAnythingRuns) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  auto archive = TestDatabase::Create(db::Backend::kSqlite);
  env_["CAIRN_TEST_ARCHIVE_URL"] = archive->url();
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  ProcessResult r = Steps(*tdb, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t ledger_before = LedgerRows(*tdb);
  r = Steps(*tdb, {"rollback", "--to", "0003"});
  EXPECT_EQ(r.exit_code, cli::kExitInvalidMigrations);
  EXPECT_THAT(r.err, HasSubstr("migration 0006 is irreversible"));
  EXPECT_THAT(r.err, HasSubstr("nothing was rolled back"));
  EXPECT_EQ(LedgerRows(*tdb), ledger_before);
  EXPECT_EQ(Steps(*tdb, {"status"}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerDataMigrationTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);
INSTANTIATE_TEST_SUITE_P(Backends, RunnerDataStepsTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing
