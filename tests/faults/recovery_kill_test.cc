// Acceptance for interrupted runs (issue 17, part 2): a seeded SIGKILL loop
// on both backends and in every mode (per-migration, all, none, batched up,
// batched down). In each trial cairn is started, killed at a moment picked
// by waiting for a seeded random ledger position or row count plus a seeded
// random delay of a few milliseconds, and then the same command is run
// again, uninterrupted: it must finish the work, leave no problem in
// `status`, agree with the database object by object and row by row, and
// every batch and every statement must have applied exactly once.
//
// A second test (RacingRunnersAndTheBridgeFinishEveryKilledRun) races 8
// runners on the target in each trial, kills a seeded subset of them, and
// runs the Yapper bridge alongside, killing and restarting it too.
//
// The counts are small here; $CAIRN_RECOVERY_KILLS raises them (trials of
// the first test, runner kills of the second; bench/recovery_kills.sh runs
// >= 100 per case). $CAIRN_FAULT_SEED replays.
#include <gmock/gmock.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>

#include "tests/clients/yapper_test_util.h"
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

class FaultRecoveryKillTest : public ::testing::TestWithParam<Param>, protected YapperTestBase {
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
    std::vector<std::string> argv = {CairnBinary(), "--database", target_->url(), "--dir",
                                     dir_.path(),   "--stream",   "campus"};
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
    json st = StatusJson(*target_, dir_.path());
    if (st.value("pending", 0) == 0) return {"rollback", "--to", "0", "--tx", TxFlag(mode())};
    return {"migrate", "--tx", TxFlag(mode())};
  }

  // Batched: puts 0002 in the state the trial starts from (applied for a
  // down, not applied for an up), uninterrupted.
  void PrepareBatchedTrial() {
    json st = StatusJson(*target_, dir_.path());
    const bool applied = StateOf(st, "0002") == "applied";
    if (mode() == Mode::kBatchedUp && applied)
      ASSERT_EQ(RunProcess(Argv({"rollback", "--progress", "off"})).exit_code, 0);
    if (mode() == Mode::kBatchedDown && !applied)
      ASSERT_EQ(RunProcess(Argv({"migrate", "--progress", "off"})).exit_code, 0);
  }

  // After the finishing command: ledger and database agree.
  void ExpectAgreement() {
    ProcessResult v = RunCairn(target_->url(), dir_.path(), {"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    json st = StatusJson(*target_, dir_.path());
    EXPECT_TRUE(st["problems"].empty()) << st.dump(2);
    // Every run's end is recorded: the finishing command closed a killed one.
    EXPECT_EQ(LedgerCount(*target_, "run_started"), LedgerCount(*target_, "run_finished"))
        << "a killed run was left open in the ledger";
    if (batched()) {
      const bool applied = StateOf(st, "0002") == "applied";
      EXPECT_EQ(applied, mode() == Mode::kBatchedUp);
      EXPECT_EQ(ReadInt(*target_, "SELECT count(*) FROM items WHERE counter = " +
                                      std::string(applied ? "1" : "0")),
                kRows)
          << "a batch applied twice or never";
      ExpectBatchesOnce(applied ? "DIRECTION_UP" : "DIRECTION_DOWN");
      return;
    }
    const bool log = StateOf(st, "0000") == "applied";
    EXPECT_EQ(log, TableExists(*target_, "applied_log"));
    for (int i = 1; i <= kMigrations; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "%04d", i);
      const bool applied = StateOf(st, id) == "applied";
      const std::string table = "f_" + std::to_string(i);
      EXPECT_EQ(applied, TableExists(*target_, table)) << id;
      if (log)
        EXPECT_EQ(
            ReadInt(*target_, "SELECT count(*) FROM applied_log WHERE mig = " + std::to_string(i)),
            applied ? 1 : 0)
            << id << ": its statements ran more or less than once";
      if (applied) EXPECT_EQ(ReadInt(*target_, "SELECT count(*) FROM " + table), 3) << id;
    }
  }

  // The batches of 0002's latest attempt in `direction`: numbered 1..n,
  // each once, rows adding up to every row.
  void ExpectBatchesOnce(const std::string& direction) {
    std::vector<json> batches;
    for (const json& e : History(*target_, dir_.path())) {
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

  // Writes the mode's migrations; batched modes start with 0001 applied.
  void WriteMigrations() {
    if (batched()) {
      WriteBatchedMigrations();
      ASSERT_EQ(RunProcess(Argv({"migrate", "--to", "0001"})).exit_code, 0);
    } else {
      WriteSchemaMigrations();
    }
  }

  // What a kill moment waits for: rows transformed (batched modes) or
  // ledger events (schema modes).
  std::string ProgressSql() const {
    return mode() == Mode::kBatchedUp     ? "SELECT count(*) FROM items WHERE counter = 1"
           : mode() == Mode::kBatchedDown ? "SELECT count(*) FROM items WHERE counter = 0"
                                          : "SELECT count(*) FROM cairn_ledger";
  }

  // The racing trial's pieces (RacingRunnersAndTheBridgeFinishEveryKilledRun).
  std::vector<std::string> BridgeArgv(int batch) const {
    return {CairnBinary(),   "--database",         target_->url(), "--stream",  "campus",
            "yapper-bridge", "--yapper",           yapper_->url(), "--poll-ms", "5",
            "--batch",       std::to_string(batch)};
  }

  // The client pid of the runner holding the runner lock, or 0 (none, or
  // not known yet). PostgreSQL: the session holding the advisory lock names
  // its runner in application_name; SQLite: the holder writes its
  // description into the lock file (a killed holder's stays until the next
  // one takes the lock: the caller only trusts pids of live runners).
  pid_t LockHolder() const {
    std::string who;
    if (backend() == db::Backend::kPostgres) {
      auto conn = target_->Connect();
      if (!conn) return 0;
      auto rows = conn->Query(
          "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
          "WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM "
          "pg_database WHERE datname = current_database()) AND l.classid = 1668445550::oid "
          "AND a.application_name LIKE 'cairn runner pid %'");
      if (!rows.ok() || rows->empty()) return 0;
      who = (*rows)[0][0].AsText().substr(std::string("cairn ").size());
    } else {
      auto url = db::ParseDatabaseUrl(target_->url());
      if (!url.ok()) return 0;
      std::ifstream lock(url->sqlite_path + "-cairn.lock");
      std::getline(lock, who);
    }
    const std::string prefix = "runner pid ";
    if (who.rfind(prefix, 0) != 0) return 0;
    return static_cast<pid_t>(std::atol(who.c_str() + prefix.size()));
  }

  // PostgreSQL: once no session of a killed runner is left on the target,
  // nothing it sent can still commit. A runner names its session (`cairn
  // runner pid N ...`) before it tries the lock and until it releases it,
  // so a session of that name belongs to a runner that holds or wanted the
  // lock and did not release it: a killed one. (The bridge's session and
  // those of runners that exited are named `cairn`.)
  bool RunnerSessionsGone() const {
    if (backend() != db::Backend::kPostgres) return true;
    return ReadInt(*target_,
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                   "application_name LIKE 'cairn runner pid %'") == 0;
  }
};

TEST_P(FaultRecoveryKillTest, NextOrdinaryCommandFinishesEveryKilledRun) {
  target_ = TestDatabase::Create(backend());
  if (!target_) return;
  CheckDeadClientsQuickly(*target_);
  WriteMigrations();
  if (HasFatalFailure()) return;
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
    const int64_t events = ReadInt(*target_, "SELECT count(*) FROM cairn_ledger");
    // --tx all writes the ledger only at RunStarted and at the end: its
    // moment is RunStarted plus a delay within the run's one transaction.
    const int64_t target = batched() ? std::uniform_int_distribution<int64_t>(0, kRows - 1)(rng)
                           : mode() == Mode::kAll ? events + 1
                                                  : events + std::uniform_int_distribution<int64_t>(
                                                                 0, 3 * kMigrations)(rng);
    const int extra_us =
        std::uniform_int_distribution<int>(0, mode() == Mode::kAll ? 1500 : 3000)(rng);
    const std::string done_sql = ProgressSql();
    SCOPED_TRACE("trial " + std::to_string(k) + ": cairn " + cmd[0] + " killed at " +
                 std::to_string(target) + " + " + std::to_string(extra_us) + " us");
    const int64_t finished_before = LedgerCount(*target_, "run_finished");
    Child child(Argv(cmd));
    ASSERT_TRUE(WaitFor(
        [&] {
          return ReadInt(*target_, done_sql) >= target ||
                 LedgerCount(*target_, "run_finished") > finished_before;
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
    ASSERT_TRUE(WaitFor([&] { return recovery::SessionsGone(*target_); }));

    // The next ordinary command finishes the work.
    ProcessResult again = RunProcess(Argv(cmd));
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    ExpectAgreement();
    if (HasFailure()) return;
  }
  std::printf("%d of %d kills hit a running cairn\n", landed, trials);
  EXPECT_GE(landed, trials / 4) << "most runs finished before the kill: the test exercised little";
}

// The same acceptance with 8 runners racing on the target in each trial
// (one holds the runner lock, the others wait for it or, with a zero
// --lock-timeout, give up with exit 7 as docs/transactions.md says), a
// seeded subset of them SIGKILLed at seeded moments (mostly the one holding
// the lock, sometimes one that waits), and the Yapper bridge following the
// ledger into a Yapper database throughout, itself SIGKILLed and restarted
// at seeded moments. After each trial the next ordinary command finishes the
// work, verify passes, ledger and database agree, every batch and statement
// applied once, and once the bridge caught up every Yapper client holds
// every event it subscribed to exactly once, in ledger order.
//
// $CAIRN_RECOVERY_KILLS sets the number of runner kills per case (trials
// run until that many were sent); the suite's default is small.
TEST_P(FaultRecoveryKillTest, RacingRunnersAndTheBridgeFinishEveryKilledRun) {
  constexpr int kRacers = 8;
  if (!CreateDatabases(backend())) return;
  CheckDeadClientsQuickly(*target_);
  CreateYapperTables();
  if (HasFatalFailure()) return;
  const auto clients = Clients();
  Subscribe(clients);
  WriteMigrations();
  if (HasFatalFailure()) return;
  std::mt19937_64 rng(
      FaultSeed(20261207 + 10 * static_cast<uint64_t>(backend()) + static_cast<uint64_t>(mode())));
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char* env = std::getenv("CAIRN_RECOVERY_KILLS");
  const int wanted = env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 4;

  auto bridge = std::make_unique<Child>(BridgeArgv(uniform(0, 1) ? 1 : 5));
  int sent = 0, landed = 0, holder_kills = 0, bridge_kills = 0, gave_up = 0, trials = 0;
  for (int k = 0; sent < wanted; ++k, ++trials) {
    if (batched()) PrepareBatchedTrial();
    if (HasFatalFailure()) return;
    const std::vector<std::string> cmd = NextCommand();
    const std::string progress_sql = ProgressSql();
    // 1 to 3 kills, at seeded progress values (rows transformed, ledger
    // events; --tx all: each new RunStarted), each plus up to 3 ms.
    const int kills = uniform(1, 3);
    std::vector<int64_t> targets;
    const int64_t base = batched() ? 0 : ReadInt(*target_, progress_sql);
    for (int j = 0; j < kills; ++j)
      targets.push_back(batched() ? uniform(0, kRows - 1) : base + uniform(0, 3 * kMigrations));
    std::sort(targets.begin(), targets.end());
    // The bridge is killed after one of the runner kills (always in the
    // first trial), and restarted at once or after the racers are done.
    const int bridge_kill_at = k == 0 || uniform(0, 1) ? uniform(0, kills - 1) : -1;
    const bool bridge_restart_at_once = uniform(0, 1);
    bool bridge_down = false, bridge_killed = false;
    auto kill_bridge = [&] {
      bridge->Kill(SIGKILL);
      EXPECT_EQ(bridge->Wait().signal, SIGKILL) << "the bridge had stopped on its own";
      ++bridge_kills;
      bridge_killed = true;
      bridge_down = !bridge_restart_at_once;
      if (!bridge_down) bridge = std::make_unique<Child>(BridgeArgv(uniform(1, 7)));
    };

    std::string trace = "trial " + std::to_string(k) + ": 8 x cairn " + cmd[0] + "; lock timeouts";
    std::vector<std::unique_ptr<Child>> racers;
    std::vector<bool> one_try(kRacers), killed(kRacers), was_holder(kRacers);
    for (int i = 0; i < kRacers; ++i) {
      one_try[i] = uniform(0, 3) == 0;
      trace += one_try[i] ? " 0" : " 60s";
      std::vector<std::string> args = cmd;
      args.insert(args.end(), {"--lock-timeout", one_try[i] ? "0" : "60s"});
      racers.push_back(std::make_unique<Child>(Argv(args)));
    }
    auto all_exited = [&] {
      return std::all_of(racers.begin(), racers.end(), [](auto& c) { return c->Exited(); });
    };
    int64_t run_starts = LedgerCount(*target_, "run_started");
    for (int j = 0; j < kills; ++j) {
      const int extra_us = uniform(0, 3000);
      trace += "; kill " + std::to_string(j) + " at " +
               (mode() == Mode::kAll ? "a new RunStarted" : std::to_string(targets[j])) + " + " +
               std::to_string(extra_us) + " us";
      SCOPED_TRACE(trace);
      ASSERT_TRUE(WaitFor(
          [&] {
            if (all_exited()) return true;
            if (mode() == Mode::kAll) return LedgerCount(*target_, "run_started") > run_starts;
            return ReadInt(*target_, progress_sql) >= targets[j];
          },
          60000));
      usleep(static_cast<useconds_t>(extra_us));
      // The victim: three times in four the runner holding the lock (once
      // one does: it may be between holders), else any runner still running.
      auto alive = [&] {
        std::vector<int> out;
        for (int i = 0; i < kRacers; ++i)
          if (!killed[i] && !racers[i]->Exited()) out.push_back(i);
        return out;
      };
      int victim = -1;
      const bool holder = uniform(0, 3) != 0;
      if (holder) {
        ASSERT_TRUE(WaitFor(
            [&] {
              const pid_t pid = LockHolder();
              for (int i : alive())
                if (racers[i]->pid() == pid) victim = i;
              return victim >= 0 || alive().empty();
            },
            60000));
      } else if (std::vector<int> a = alive(); !a.empty()) {
        victim = a[uniform(0, static_cast<int>(a.size()) - 1)];
      }
      if (victim < 0) break;
      run_starts = LedgerCount(*target_, "run_started");
      racers[victim]->Kill(SIGKILL);
      killed[victim] = true;
      was_holder[victim] = holder;
      ++sent;
      trace += holder ? " (holder)" : " (any)";
      if (j == bridge_kill_at) kill_bridge();
    }
    // The racers were all done before the bridge's moment: it dies now.
    if (bridge_kill_at >= 0 && !bridge_killed) kill_bridge();
    SCOPED_TRACE(trace);
    for (int i = 0; i < kRacers; ++i) {
      ProcessResult r = racers[i]->Wait();
      if (r.signal == SIGKILL && killed[i]) {
        ++landed;
        holder_kills += was_holder[i];
        continue;
      }
      // Documented outcomes only: done (or nothing left), or gave up on the lock.
      if (one_try[i] && r.exit_code == 7) {
        ++gave_up;
        EXPECT_EQ(LinesStartingWith(r.err, "cairn: error: ").size(), 1u) << r.err;
        EXPECT_NE(r.err.find("runner lock"), std::string::npos) << r.err;
        continue;
      }
      EXPECT_EQ(r.exit_code, 0) << "runner " << i << ": " << r.out << r.err;
    }
    if (HasFailure()) return;
    if (bridge_down) {
      bridge = std::make_unique<Child>(BridgeArgv(uniform(1, 7)));
      bridge_down = false;
    }
    ASSERT_TRUE(WaitFor([&] { return RunnerSessionsGone(); }));

    // The next ordinary command finishes the work.
    ProcessResult again = RunProcess(Argv(cmd));
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    ExpectAgreement();
    // The bridge catches up; every client has every event once, in order.
    const int64_t head = LedgerHead();
    ASSERT_TRUE(WaitFor([&] { return BridgePosition() == head; }, 60000))
        << "the bridge stopped at " << BridgePosition() << " of " << head;
    ExpectDelivered(clients);
    ASSERT_FALSE(bridge->Exited()) << "the bridge stopped on its own: " << bridge->Wait().err;
    if (HasFailure()) return;
  }
  StopWhenCaughtUp(*bridge);
  std::printf(
      "%d trials: %d runner kills sent, %d hit a running cairn (%d the lock holder); %d bridge "
      "kills; %d runners gave up on the lock (exit 7)\n",
      trials, sent, landed, holder_kills, bridge_kills, gave_up);
  EXPECT_GT(bridge_kills, 0);
  EXPECT_GE(landed, sent / 2) << "few kills hit a running cairn: the test exercised little";
  // Whether the chosen victim still holds the lock when the kill lands is a
  // matter of timing (a fast batched rollback may be done), so the share of
  // lock-holder kills is a fair check only over many kills
  // (bench/recovery_kills.sh); at the suite's few it failed one CI run with
  // 0 of 4 while all 4 kills hit a running cairn.
  if (sent >= 20)
    EXPECT_GE(holder_kills, sent / 4)
        << "few kills hit the runner at work: the test exercised little";
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
