// Interrupted runs can always be finished (docs/transactions.md,
// "Interrupted runs" and "Progress outside a transaction"), on both
// backends, with the CLI as a separate process: a batched rollback killed
// part way, a --tx none run killed after a committed statement, a failure
// that leaves statements behind, an INVALID index left by a killed
// CREATE INDEX CONCURRENTLY, SIGINT/SIGTERM during an ordinary migration.
// Kill moments are picked by waiting on conditions in the database (a row
// count, a ledger event, the statement running), never by sleeping.
#include <gmock/gmock.h>
#include <signal.h>

#include <random>

#include "cairn/runner/runner.h"
#include "clients/cli/exit_codes.h"
#include "tests/runner/recovery_util.h"

namespace cairn::testing {
namespace {

using recovery::LedgerCount;
using recovery::ReadInt;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kRows = 240;

const char* kCreateItems =
    "-- cairn:up\n"
    "CREATE TABLE items (id INTEGER PRIMARY KEY, counter INTEGER NOT NULL);\n"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240)\n"
    "INSERT INTO items (id, counter) SELECT i, 0 FROM n;\n"
    "-- cairn:down\n"
    "DROP TABLE items;\n";

const char* kBump =
    "-- cairn:up\n-- cairn:batch table=items key=id size=10\n"
    "UPDATE items SET counter = counter + 1 WHERE id > :after AND id <= :upto;\n"
    "-- cairn:down\n-- cairn:batch table=items key=id size=10\n"
    "UPDATE items SET counter = counter - 1 WHERE id > :after AND id <= :upto;\n";

bool AnyContains(const json& list, const std::string& text) {
  for (const json& p : list)
    if (p.is_string() && p.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

class RunnerRecoveryTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  uint64_t Seed(uint64_t base) {
    const uint64_t seed = base + static_cast<uint64_t>(GetParam());
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    return seed;
  }
  // 0001 quick, 0002 with a statement that waits while the target is slow.
  void WriteQuickThenSlow() {
    WriteFile(dir_.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (id INTEGER);\n");
    WriteFile(dir_.File("0002_slow.sql"), "-- cairn:up\nCREATE TABLE b (id INTEGER);\n" +
                                              recovery::SlowStatement(GetParam()) + "\n");
  }
  // A `cairn migrate` that has committed 0001 and waits inside 0002.
  std::unique_ptr<Child> MigrateUntilTheSlowStatement(const TestDatabase& tdb) {
    auto child = std::make_unique<Child>(std::vector<std::string>{
        CairnBinary(), "--database", tdb.url(), "--dir", dir_.path(), "migrate"});
    EXPECT_TRUE(WaitFor(
        [&] { return recovery::InsideSlowStatement(tdb, "migration_committed", 1); }, 60000));
    return child;
  }
  TempDir dir_;
};

TEST_P(RunnerRecoveryTest, BatchedRollbackKilledPartWayIsAProblemUntilRollbackFinishesIt) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  WriteFile(dir_.File("0001_create_items.sql"), kCreateItems);
  WriteFile(dir_.File("0002_bump.sql"), kBump);
  ASSERT_EQ(RunCairn(tdb->url(), dir_.path(), {"migrate", "--progress", "off"}).exit_code, 0);
  ASSERT_EQ(ReadInt(*tdb, "SELECT count(*) FROM items WHERE counter = 1"), kRows);

  std::mt19937_64 rng(Seed(20261206));
  const int64_t kill_after = std::uniform_int_distribution<int64_t>(15, kRows / 2)(rng);
  Child child({CairnBinary(), "--database", tdb->url(), "--dir", dir_.path(), "rollback",
               "--progress", "off", "--batch-size", "10", "--pause-ms", "30"});
  ASSERT_TRUE(WaitFor(
      [&] { return ReadInt(*tdb, "SELECT count(*) FROM items WHERE counter = 0") >= kill_after; },
      60000));
  child.Kill(SIGKILL);
  ProcessResult killed = child.Wait();
  ASSERT_EQ(killed.signal, SIGKILL) << "the rollback finished before the kill\n" << killed.err;
  ASSERT_TRUE(WaitFor([&] { return recovery::SessionsGone(*tdb); }));
  const int64_t reverted = ReadInt(*tdb, "SELECT count(*) FROM items WHERE counter = 0");
  ASSERT_GT(reverted, 0);
  ASSERT_LT(reverted, kRows);
  const int64_t batches = reverted / 10;  // the down's batches have exactly 10 rows

  // status (JSON and text) and history name the half-done rollback.
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(StateOf(st, "0002"), "applied");
  const std::string at_batch = "interrupted at batch " + std::to_string(batches);
  EXPECT_TRUE(AnyContains(st["problems"], "rolling back: migration 0002")) << st.dump(2);
  EXPECT_TRUE(AnyContains(st["problems"], at_batch)) << st.dump(2);
  EXPECT_TRUE(AnyContains(st["problems"], "unfinished run")) << st.dump(2);
  ProcessResult text = RunCairn(tdb->url(), dir_.path(), {"status"});
  EXPECT_THAT(text.out, HasSubstr("warning: rolling back: migration 0002 (bump) is still applied, "
                                  "its rollback " +
                                  at_batch));
  ProcessResult hist = RunCairn(tdb->url(), dir_.path(), {"history"});
  EXPECT_THAT(hist.out, HasSubstr("warning: rolling back: migration 0002"));

  // migrate refuses and says how to finish; it writes nothing.
  const int64_t ledger_before = LedgerRows(*tdb);
  ProcessResult m = RunCairn(tdb->url(), dir_.path(), {"migrate", "--progress", "off"});
  EXPECT_EQ(m.exit_code, cli::kExitInvalidMigrations) << m.out << m.err;
  EXPECT_THAT(m.err, HasSubstr("its rollback was " + at_batch));
  EXPECT_THAT(m.err, HasSubstr("cairn rollback --steps 1"));
  EXPECT_EQ(LedgerRows(*tdb), ledger_before);

  // rollback resumes: every row reverted exactly once, batches 1..n once each.
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"rollback", "--progress", "off"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadInt(*tdb, "SELECT count(*) FROM items WHERE counter = 0"), kRows);
  std::vector<json> down;
  for (const json& e : EventsOf(History(*tdb, dir_.path()), "batch_applied", "0002"))
    if (e.value("direction", "") == "DIRECTION_DOWN") down.push_back(e);
  int64_t rows = 0;
  for (size_t i = 0; i < down.size(); ++i) {
    EXPECT_EQ(down[i].value("batch_number", 0), static_cast<int64_t>(i + 1));
    rows += down[i].value("rows", 0);
  }
  EXPECT_EQ(rows, kRows);
  st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(StateOf(st, "0002"), "rolled_back");
  EXPECT_TRUE(st["problems"].empty()) << st.dump(2);
  EXPECT_EQ(RunCairn(tdb->url(), dir_.path(), {"verify"}).exit_code, 0);
}

// 0001 under --tx none: two statements that must not run twice, the slow
// one, and one more.
std::string NoTxMigration(db::Backend b) {
  return "-- cairn:up\nCREATE TABLE t1 (id INTEGER);\nINSERT INTO t1 (id) VALUES (1);\n" +
         recovery::SlowStatement(b) +
         "\nCREATE TABLE t2 (id INTEGER);\n"
         "-- cairn:down\nDROP TABLE IF EXISTS t2;\nDROP TABLE IF EXISTS t1;\n";
}

TEST_P(RunnerRecoveryTest, TxNoneKilledAfterCommittedStatementsContinuesAfterThem) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  recovery::SetSlow(*tdb, true);
  if (HasFatalFailure()) return;
  WriteFile(dir_.File("0001_t.sql"), NoTxMigration(GetParam()));
  Child child(
      {CairnBinary(), "--database", tdb->url(), "--dir", dir_.path(), "migrate", "--tx", "none"});
  ASSERT_TRUE(WaitFor(
      [&] { return recovery::InsideSlowStatement(*tdb, "statements_committed", 2); }, 60000));
  child.Kill(SIGKILL);
  ASSERT_EQ(child.Wait().signal, SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return recovery::SessionsGone(*tdb); }));

  json st = StatusJson(*tdb, dir_.path());
  EXPECT_TRUE(AnyContains(st["problems"],
                          "applying: migration 0001 (t) is not applied, "
                          "interrupted after statement 2 of its up section"))
      << st.dump(2);
  EXPECT_TRUE(AnyContains(st["problems"], "unfinished run: ")) << st.dump(2);
  EXPECT_TRUE(AnyContains(st["problems"], "killed in migration 0001 (up) after statement 2"))
      << st.dump(2);

  recovery::SetSlow(*tdb, false);
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate", "--tx", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("continuing with statement 3 of its up section"));
  EXPECT_EQ(ReadInt(*tdb, "SELECT count(*) FROM t1"), 1) << "the INSERT ran twice";
  EXPECT_TRUE(TableExists(*tdb, "t2"));
  std::vector<json> started = EventsOf(History(*tdb, dir_.path()), "migration_started", "0001");
  ASSERT_EQ(started.size(), 2u);
  EXPECT_TRUE(started[1].value("resumed", false));
  st = StatusJson(*tdb, dir_.path());
  EXPECT_EQ(StateOf(st, "0001"), "applied");
  EXPECT_TRUE(st["problems"].empty()) << st.dump(2);
  EXPECT_EQ(RunCairn(tdb->url(), dir_.path(), {"verify"}).exit_code, 0);
}

TEST_P(RunnerRecoveryTest, FailureThatLeavesStatementsNeverSaysRolledBackAndMigrateContinues) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  // Runs outside a transaction (the directive); statement 2 needs a table
  // that appears later.
  WriteFile(dir_.File("0001_t.sql"),
            "-- cairn:no-transaction\n-- cairn:up\nCREATE TABLE t1 (id INTEGER);\n"
            "INSERT INTO t1 (id) SELECT id FROM source;\n"
            "-- cairn:down\nDROP TABLE IF EXISTS t1;\n");
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  EXPECT_EQ(r.exit_code, cli::kExitMigrationFailed) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("rolled back")));
  EXPECT_THAT(r.err, HasSubstr("statements 1-1 of migration 0001 committed outside a transaction "
                               "and remain; `cairn migrate` continues with statement 2"));
  json st = StatusJson(*tdb, dir_.path());
  EXPECT_TRUE(AnyContains(st["problems"], "after statement 1 of its up section")) << st.dump(2);

  {
    auto conn = tdb->Connect();
    ASSERT_TRUE(conn->Execute("CREATE TABLE source (id INTEGER)").ok());
    ASSERT_TRUE(conn->Execute("INSERT INTO source (id) VALUES (7)").ok());
  }
  r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // no "t1 already exists"
  EXPECT_EQ(ReadInt(*tdb, "SELECT count(*) FROM t1"), 1);
  EXPECT_TRUE(StatusJson(*tdb, dir_.path())["problems"].empty());
}

TEST_P(RunnerRecoveryTest, SigintAndSigtermRollBackTheMigrationAndExit130And143) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  recovery::SetSlow(*tdb, true);
  if (HasFatalFailure()) return;
  WriteQuickThenSlow();
  struct Case {
    int sig;
    int exit_code;
    const char* name;
  } cases[] = {{SIGINT, cli::kExitSigint, "SIGINT"}, {SIGTERM, cli::kExitSigterm, "SIGTERM"}};
  int64_t interrupted = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto child = MigrateUntilTheSlowStatement(*tdb);
    if (HasFailure()) return;
    child->Kill(c.sig);
    ProcessResult r = child->Wait();
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_THAT(r.err, HasSubstr(std::string("cairn: interrupted by ") + c.name +
                                 ": migration 0002 was running; its transaction rolled back and "
                                 "nothing of it remains"));
    EXPECT_EQ(LinesStartingWith(r.err, "cairn: interrupted").size(), 1u) << r.err;
    EXPECT_FALSE(TableExists(*tdb, "b"));
    EXPECT_TRUE(TableExists(*tdb, "a"));
    std::vector<json> finished = EventsOf(History(*tdb, dir_.path()), "run_finished");
    ASSERT_FALSE(finished.empty());
    EXPECT_EQ(finished.back().value("outcome", ""), "RUN_OUTCOME_INTERRUPTED");
    EXPECT_THAT(finished.back().value("error", ""), HasSubstr(c.name));
    EXPECT_EQ(++interrupted,
              static_cast<int64_t>(EventsOf(History(*tdb, dir_.path()), "run_finished").size()));
    EXPECT_TRUE(StatusJson(*tdb, dir_.path())["problems"].empty());
  }
  recovery::SetSlow(*tdb, false);
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(TableExists(*tdb, "b"));
}

// A run killed with work left: the next run that has work records the dead
// run's end (RunFinished(INTERRUPTED) under its id) in the transaction of
// its own RunStarted, just before it, so no run stays open in the history.
TEST_P(RunnerRecoveryTest, TheNextRunWithWorkRecordsTheEndOfAKilledRun) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  recovery::SetSlow(*tdb, true);
  if (HasFatalFailure()) return;
  WriteQuickThenSlow();
  auto child = MigrateUntilTheSlowStatement(*tdb);
  if (HasFailure()) return;
  child->Kill(SIGKILL);
  child->Wait();
  std::vector<json> events = History(*tdb, dir_.path());
  ASSERT_EQ(EventsOf(events, "run_started").size(), 1u);
  EXPECT_TRUE(EventsOf(events, "run_finished").empty());
  const std::string dead = EventsOf(events, "run_started")[0].value("run_id", "");

  recovery::SetSlow(*tdb, false);
  ProcessResult r = RunCairn(tdb->url(), dir_.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(TableExists(*tdb, "b"));
  events = History(*tdb, dir_.path());
  std::vector<json> started = EventsOf(events, "run_started");
  std::vector<json> finished = EventsOf(events, "run_finished");
  ASSERT_EQ(started.size(), 2u);
  ASSERT_EQ(finished.size(), 2u);
  // The dead run's end comes first, right before the new run starts.
  EXPECT_EQ(finished[0].value("run_id", ""), dead);
  EXPECT_EQ(finished[0].value("outcome", ""), "RUN_OUTCOME_INTERRUPTED");
  EXPECT_THAT(finished[0].value("error", ""), HasSubstr("recorded by the next run"));
  EXPECT_EQ(finished[0].value("position", int64_t{0}) + 1,
            started[1].value("position", int64_t{0}));
  EXPECT_EQ(finished[1].value("run_id", ""), started[1].value("run_id", ""));
  EXPECT_EQ(finished[1].value("outcome", ""), "RUN_OUTCOME_SUCCEEDED");
  EXPECT_TRUE(StatusJson(*tdb, dir_.path())["problems"].empty());
  EXPECT_EQ(RunCairn(tdb->url(), dir_.path(), {"verify"}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerRecoveryTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// A CREATE INDEX CONCURRENTLY killed while it waits leaves an INVALID index;
// the next migrate drops it and builds it again (PostgreSQL only: SQLite has
// no concurrent builds).
TEST(RunnerRecoveryPostgres, KilledConcurrentIndexBuildIsDroppedAndBuiltAgain) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  recovery::SetSlow(*tdb, false);
  if (HasFatalFailure()) return;
  TempDir dir;
  WriteFile(dir.File("0001_t.sql"),
            "-- cairn:up\nCREATE TABLE t (id INTEGER);\nINSERT INTO t (id) VALUES (1), (2);\n");
  WriteFile(dir.File("0002_idx.sql"), "-- cairn:up\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n");
  ASSERT_EQ(RunCairn(tdb->url(), dir.path(), {"migrate", "--to", "0001"}).exit_code, 0);
  // An open writing transaction on t: the concurrent build creates its
  // (invalid) index, then waits for it.
  auto holder = tdb->Connect();
  auto tx = holder->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(holder->Execute("INSERT INTO t (id) VALUES (3)").ok());
  const std::string invalid =
      "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "WHERE c.relname = 't_id' AND NOT i.indisvalid";
  Child child({CairnBinary(), "--database", tdb->url(), "--dir", dir.path(), "migrate"});
  ASSERT_TRUE(WaitFor([&] { return ReadInt(*tdb, invalid) == 1; }, 60000));
  ASSERT_GE(LedgerCount(*tdb, "statements_committed"), 1);  // the intent is recorded
  child.Kill(SIGKILL);
  ASSERT_EQ(child.Wait().signal, SIGKILL);
  // The server notices the dead client while the build waits, and ends it.
  ASSERT_TRUE(WaitFor([&] {
    return ReadInt(*tdb,
                   "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX "
                   "CONCURRENTLY%'") == 0;
  }));
  ASSERT_TRUE((*tx)->Commit().ok());
  holder.reset();
  ASSERT_TRUE(WaitFor([&] { return recovery::SessionsGone(*tdb); }));
  EXPECT_EQ(ReadInt(*tdb, invalid), 1) << "the killed build left no INVALID index";

  json st = StatusJson(*tdb, dir.path());
  EXPECT_TRUE(AnyContains(st["problems"], "may have run in part")) << st.dump(2);
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("left INVALID"));
  EXPECT_EQ(ReadInt(*tdb, invalid), 0);
  EXPECT_EQ(ReadInt(*tdb, "SELECT count(*) FROM pg_indexes WHERE indexname = 't_id'"), 1);
  EXPECT_TRUE(StatusJson(*tdb, dir.path())["problems"].empty());
}

}  // namespace
}  // namespace cairn::testing
