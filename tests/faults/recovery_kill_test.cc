// Acceptance for interrupted runs (issue 17, part 2): a seeded SIGKILL loop
// on both backends and in every mode (per-migration, all, none, batched up,
// batched down). In each trial cairn is started, killed at a moment picked
// by waiting for a seeded random ledger position or row count plus a seeded
// random delay of a few milliseconds, and then the same command is run
// again, uninterrupted: it must finish the work, leave no problem in
// `status`, agree with the database object by object and row by row, and
// every batch and every statement must have applied exactly once.
//
// The trial count is small here; $CAIRN_RECOVERY_KILLS raises it
// (bench/recovery_kills.sh runs >= 100 per case). $CAIRN_FAULT_SEED replays.
#include <gmock/gmock.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "tests/faults/fault_util.h"
#include "tests/runner/recovery_util.h"

namespace cairn::testing {
namespace {

using recovery::LedgerCount;
using recovery::ReadInt;

constexpr int kMigrations = 5;
constexpr int kRows = 200;

enum class Mode { kPerMigration, kAll, kNone, kBatchedUp, kBatchedDown };

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kPerMigration:
      return "PerMigration";
    case Mode::kAll:
      return "All";
    case Mode::kNone:
      return "None";
    case Mode::kBatchedUp:
      return "BatchedUp";
    case Mode::kBatchedDown:
      return "BatchedDown";
  }
  return "";
}

const char* TxFlag(Mode m) {
  return m == Mode::kAll ? "all" : m == Mode::kNone ? "none" : "per-migration";
}

int Trials() {
  const char* env = std::getenv("CAIRN_RECOVERY_KILLS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 10;
}

using Param = std::tuple<db::Backend, Mode>;

class FaultRecoveryKillTest : public ::testing::TestWithParam<Param> {
 protected:
  db::Backend backend() const { return std::get<0>(GetParam()); }
  Mode mode() const { return std::get<1>(GetParam()); }
  bool batched() const { return mode() == Mode::kBatchedUp || mode() == Mode::kBatchedDown; }

  // Schema modes: migration i creates f_i and logs itself in applied_log
  // (a second run of its statements would log twice); its down undoes both.
  void WriteSchemaMigrations() {
    WriteFile(dir_.File("0000_log.sql"),
              "-- cairn:up\nCREATE TABLE applied_log (mig INTEGER NOT NULL);\n"
              "-- cairn:down\nDROP TABLE applied_log;\n");
    for (int i = 1; i <= kMigrations; ++i) {
      const std::string n = std::to_string(i);
      char name[64];
      std::snprintf(name, sizeof name, "%04d_f%d.sql", i, i);
      // b_i is ballast: 30,000 rows make each migration last some
      // milliseconds, so that a kill placed after RunStarted (polled every
      // 10 ms) lands inside a --tx all run on any machine.
      WriteFile(dir_.File(name),
                "-- cairn:up\nCREATE TABLE f_" + n +
                    " (id INTEGER);\nINSERT INTO applied_log (mig) VALUES (" + n +
                    ");\nINSERT INTO f_" + n + " (id) VALUES (1), (2), (3);\nCREATE TABLE b_" + n +
                    " (id INTEGER);\nWITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM "
                    "r WHERE i < 30000)\nINSERT INTO b_" +
                    n + " (id) SELECT i FROM r;\n" +
                    "-- cairn:down\nDELETE FROM applied_log WHERE mig = " + n +
                    ";\nDROP TABLE IF EXISTS f_" + n + ";\nDROP TABLE IF EXISTS b_" + n + ";\n");
    }
  }
  // Batched modes: items(id, counter) and a +1/-1 batched migration.
  void WriteBatchedMigrations() {
    WriteFile(
        dir_.File("0001_items.sql"),
        "-- cairn:up\nCREATE TABLE items (id INTEGER PRIMARY KEY, counter INTEGER NOT NULL);\n"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
            std::to_string(kRows) +
            ")\nINSERT INTO items (id, counter) SELECT i, 0 FROM n;\n"
            "-- cairn:down\nDROP TABLE items;\n");
    WriteFile(dir_.File("0002_bump.sql"),
              "-- cairn:up\n-- cairn:batch table=items key=id size=8\n"
              "UPDATE items SET counter = counter + 1 WHERE id > :after AND id <= :upto;\n"
              "-- cairn:down\n-- cairn:batch table=items key=id size=8\n"
              "UPDATE items SET counter = counter - 1 WHERE id > :after AND id <= :upto;\n");
  }

  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {CairnBinary(), "--database", tdb_->url(), "--dir",
                                     dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // The command of this trial: what is left to do in this mode.
  std::vector<std::string> NextCommand() {
    if (batched()) {
      std::vector<std::string> flags = {"--progress", "off",        "--batch-size",
                                        "8",          "--pause-ms", "1"};
      // rollback --to 0001: run again after a finished rollback, it has nothing to do.
      std::vector<std::string> cmd = {mode() == Mode::kBatchedUp ? "migrate" : "rollback"};
      if (mode() == Mode::kBatchedDown) cmd.insert(cmd.end(), {"--to", "0001"});
      cmd.insert(cmd.end(), flags.begin(), flags.end());
      return cmd;
    }
    json st = StatusJson(*tdb_, dir_.path());
    if (st.value("pending", 0) == 0) return {"rollback", "--to", "0", "--tx", TxFlag(mode())};
    return {"migrate", "--tx", TxFlag(mode())};
  }

  // Batched: puts 0002 in the state the trial starts from (applied for a
  // down, not applied for an up), uninterrupted.
  void PrepareBatchedTrial() {
    json st = StatusJson(*tdb_, dir_.path());
    const bool applied = StateOf(st, "0002") == "applied";
    if (mode() == Mode::kBatchedUp && applied)
      ASSERT_EQ(RunCairn(tdb_->url(), dir_.path(), {"rollback", "--progress", "off"}).exit_code, 0);
    if (mode() == Mode::kBatchedDown && !applied)
      ASSERT_EQ(RunCairn(tdb_->url(), dir_.path(), {"migrate", "--progress", "off"}).exit_code, 0);
  }

  // After the finishing command: ledger and database agree.
  void ExpectAgreement() {
    ProcessResult v = RunCairn(tdb_->url(), dir_.path(), {"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    json st = StatusJson(*tdb_, dir_.path());
    EXPECT_TRUE(st["problems"].empty()) << st.dump(2);
    if (batched()) {
      const bool applied = StateOf(st, "0002") == "applied";
      EXPECT_EQ(applied, mode() == Mode::kBatchedUp);
      EXPECT_EQ(ReadInt(*tdb_, "SELECT count(*) FROM items WHERE counter = " +
                                   std::string(applied ? "1" : "0")),
                kRows)
          << "a batch applied twice or never";
      ExpectBatchesOnce(applied ? "DIRECTION_UP" : "DIRECTION_DOWN");
      return;
    }
    const bool log = StateOf(st, "0000") == "applied";
    EXPECT_EQ(log, TableExists(*tdb_, "applied_log"));
    for (int i = 1; i <= kMigrations; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "%04d", i);
      const bool applied = StateOf(st, id) == "applied";
      const std::string table = "f_" + std::to_string(i);
      EXPECT_EQ(applied, TableExists(*tdb_, table)) << id;
      if (log)
        EXPECT_EQ(
            ReadInt(*tdb_, "SELECT count(*) FROM applied_log WHERE mig = " + std::to_string(i)),
            applied ? 1 : 0)
            << id << ": its statements ran more or less than once";
      if (applied) EXPECT_EQ(ReadInt(*tdb_, "SELECT count(*) FROM " + table), 3) << id;
    }
  }

  // The batches of 0002's latest attempt in `direction`: numbered 1..n,
  // each once, rows adding up to every row.
  void ExpectBatchesOnce(const std::string& direction) {
    std::vector<json> batches;
    for (const json& e : History(*tdb_, dir_.path())) {
      if (e.value("type", "") == "migration_started" && e.value("migration_id", "") == "0002" &&
          !e.value("resumed", false))
        batches.clear();
      if (e.value("type", "") == "batch_applied" && e.value("direction", "") == direction)
        batches.push_back(e);
    }
    int64_t rows = 0;
    for (size_t i = 0; i < batches.size(); ++i) {
      EXPECT_EQ(batches[i].value("batch_number", 0), static_cast<int64_t>(i + 1));
      rows += batches[i].value("rows", 0);
    }
    EXPECT_EQ(rows, kRows);
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> tdb_;
};

TEST_P(FaultRecoveryKillTest, NextOrdinaryCommandFinishesEveryKilledRun) {
  tdb_ = TestDatabase::Create(backend());
  if (!tdb_) return;
  CheckDeadClientsQuickly(*tdb_);
  if (batched()) {
    WriteBatchedMigrations();
    ASSERT_EQ(RunCairn(tdb_->url(), dir_.path(), {"migrate", "--to", "0001"}).exit_code, 0);
  } else {
    WriteSchemaMigrations();
  }
  std::mt19937_64 rng(
      FaultSeed(20261206 + 10 * static_cast<uint64_t>(backend()) + static_cast<uint64_t>(mode())));
  const int trials = Trials();
  int landed = 0;
  for (int k = 0; k < trials; ++k) {
    if (batched()) PrepareBatchedTrial();
    if (HasFatalFailure()) return;
    const std::vector<std::string> cmd = NextCommand();
    // The kill moment: a seeded ledger position (schema modes) or count of
    // transformed rows (batched), then a seeded delay of up to 3 ms.
    const int64_t events = ReadInt(*tdb_, "SELECT count(*) FROM cairn_ledger");
    // --tx all writes the ledger only at RunStarted and at the end: its
    // moment is RunStarted plus a delay within the run's one transaction.
    const int64_t target = batched() ? std::uniform_int_distribution<int64_t>(0, kRows - 1)(rng)
                           : mode() == Mode::kAll ? events + 1
                                                  : events + std::uniform_int_distribution<int64_t>(
                                                                 0, 3 * kMigrations)(rng);
    const int extra_us =
        std::uniform_int_distribution<int>(0, mode() == Mode::kAll ? 1500 : 3000)(rng);
    const std::string done_sql =
        mode() == Mode::kBatchedUp     ? "SELECT count(*) FROM items WHERE counter = 1"
        : mode() == Mode::kBatchedDown ? "SELECT count(*) FROM items WHERE counter = 0"
                                       : "SELECT count(*) FROM cairn_ledger";
    SCOPED_TRACE("trial " + std::to_string(k) + ": cairn " + cmd[0] + " killed at " +
                 std::to_string(target) + " + " + std::to_string(extra_us) + " us");
    const int64_t finished_before = LedgerCount(*tdb_, "run_finished");
    Child child(Argv(cmd));
    ASSERT_TRUE(WaitFor(
        [&] {
          return ReadInt(*tdb_, done_sql) >= target ||
                 LedgerCount(*tdb_, "run_finished") > finished_before;
        },
        60000));
    usleep(static_cast<useconds_t>(extra_us));
    child.Kill(SIGKILL);
    ProcessResult killed = child.Wait();
    if (killed.signal == SIGKILL) {
      ++landed;
    } else {
      ASSERT_EQ(killed.exit_code, 0) << "an uninterrupted run failed\n" << killed.err;
    }
    ASSERT_TRUE(WaitFor([&] { return recovery::SessionsGone(*tdb_); }));

    // The next ordinary command finishes the work.
    ProcessResult again = RunProcess(Argv(cmd));
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    ExpectAgreement();
    if (HasFailure()) return;
  }
  std::printf("%d of %d kills hit a running cairn\n", landed, trials);
  EXPECT_GE(landed, trials / 4) << "most runs finished before the kill: the test exercised little";
}

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  return std::string(db::BackendName(std::get<0>(info.param))) + "_" +
         ModeName(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    Modes, FaultRecoveryKillTest,
    ::testing::Combine(::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                       ::testing::Values(Mode::kPerMigration, Mode::kAll, Mode::kNone,
                                         Mode::kBatchedUp, Mode::kBatchedDown)),
    ParamName);

}  // namespace
}  // namespace cairn::testing
