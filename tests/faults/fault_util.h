// Fault-injection helpers: scenarios (sets of migrations whose effects can be
// checked object by object), the ledger/database agreement check run after
// every injected fault, and a seeded random source whose seed is logged.
//
// A scenario writes its migration files and, given the ids the ledger says
// are applied, lists every way the database disagrees. Schema (SQL)
// migrations are SchemaScenario; a data-migration scenario (issue 4) plugs
// in by implementing FaultScenario and reusing the kill loop in kill_test.cc.
#ifndef CAIRN_TESTS_FAULTS_FAULT_UTIL_H_
#define CAIRN_TESTS_FAULTS_FAULT_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/runner/runner.h"
#include "cairn/store/state.h"
#include "cairn/store/store.h"
#include "tests/runner/runner_test_util.h"
#include "tests/support/test_support.h"

namespace cairn::testing {

// The seed for a fault test: $CAIRN_FAULT_SEED if set (to replay or explore),
// otherwise `fallback`. Printed, so a failure can be replayed.
inline uint64_t FaultSeed(uint64_t fallback) {
  uint64_t seed = fallback;
  if (const char* env = std::getenv("CAIRN_FAULT_SEED"); env != nullptr && *env != '\0')
    seed = std::strtoull(env, nullptr, 10);
  std::printf("fault injection seed: %llu (replay with CAIRN_FAULT_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  ::testing::Test::RecordProperty("fault_seed", std::to_string(seed));
  return seed;
}

class FaultScenario {
 public:
  virtual ~FaultScenario() = default;
  // Writes the migration files into `dir`.
  virtual void WriteMigrations(const std::string& dir) const = 0;
  // Every migration id the scenario writes, in order.
  virtual std::vector<std::string> Ids() const = 0;
  // Ways in which the database behind `conn` disagrees with `applied` (the
  // ids the ledger says are applied); empty when they agree.
  virtual std::vector<std::string> Disagreements(db::Connection& conn,
                                                 const std::set<std::string>& applied) const = 0;
};

// `count` schema migrations. Migration i creates table fault_<i> with an
// index and `kRows` rows; its down section drops them. Every `slow_every`-th
// migration also runs a statement that takes a while (a recursive count on
// SQLite, pg_sleep on PostgreSQL), so kills land inside open transactions too.
class SchemaScenario : public FaultScenario {
 public:
  static constexpr int kRows = 3;
  // `slow_sql` replaces the default slow statement when not empty.
  SchemaScenario(db::Backend backend, int count, int slow_every, std::string slow_sql = "")
      : backend_(backend), count_(count), slow_every_(slow_every), slow_sql_(std::move(slow_sql)) {}

  static std::string Id(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d", i);
    return buf;
  }
  static std::string Table(int i) { return "fault_" + std::to_string(i); }

  void WriteMigrations(const std::string& dir) const override {
    for (int i = 1; i <= count_; ++i) {
      const std::string t = Table(i);
      std::string up = "CREATE TABLE " + t + " (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n" +
                       "CREATE INDEX " + t + "_v ON " + t + " (v);\n";
      for (int r = 1; r <= kRows; ++r)
        up += "INSERT INTO " + t + " (id, v) VALUES (" + std::to_string(r) + ", 'row " +
              std::to_string(r) + "');\n";
      if (slow_every_ > 0 && i % slow_every_ == 0) {
        up += !slow_sql_.empty() ? slow_sql_ + "\n"
              : backend_ == db::Backend::kSqlite
                  ? "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                    "WHERE x < 100000) SELECT count(*) FROM c;\n"
                  : "SELECT pg_sleep(0.05);\n";
      }
      WriteFile(
          dir + "/" + Id(i) + "_create_" + t + ".sql",
          "-- cairn:up\n" + up + "-- cairn:down\nDROP INDEX " + t + "_v;\nDROP TABLE " + t + ";\n");
    }
  }

  std::vector<std::string> Ids() const override {
    std::vector<std::string> ids;
    for (int i = 1; i <= count_; ++i) ids.push_back(Id(i));
    return ids;
  }

  std::vector<std::string> Disagreements(db::Connection& conn,
                                         const std::set<std::string>& applied) const override {
    std::vector<std::string> out;
    const bool sqlite = conn.backend() == db::Backend::kSqlite;
    const char* index_sql =
        sqlite ? "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = $1"
               : "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
                 "AND indexname = $1";
    for (int i = 1; i <= count_; ++i) {
      const std::string t = Table(i);
      const bool want = applied.count(Id(i)) > 0;
      const bool table = TableExists(conn, t);
      auto idx = conn.Query(index_sql, {db::Value(t + "_v")});
      const bool index = idx.ok() && (*idx)[0][0].AsInt() > 0;
      if (table != want || index != want) {
        out.push_back(Id(i) + (want ? " is applied" : " is not applied") + " but table " + t +
                      (table ? " exists" : " is missing") + " and its index " +
                      (index ? "exists" : "is missing"));
        continue;
      }
      if (!want) continue;
      auto rows = conn.Query("SELECT count(*) FROM " + db::QuoteIdentifier(t));
      if (!rows.ok() || (*rows)[0][0].AsInt() != kRows)
        out.push_back(Id(i) + " is applied but " + t + " does not hold " + std::to_string(kRows) +
                      " rows");
    }
    return out;
  }

 private:
  db::Backend backend_;
  int count_;
  int slow_every_;
  std::string slow_sql_;
};

// What the ledger says, read in-process.
struct LedgerView {
  std::set<std::string> applied;
  int64_t events = 0;
  int64_t open_runs = 0;  // RunStarted without a RunFinished (killed runs)
};

// Checks that the ledger of `tdb` is whole and agrees with the database:
// the chain verifies; every MigrationStarted is followed, at the next
// position, by that migration's outcome (they commit in one transaction, so
// a started migration without an outcome is a half-recorded step); and the
// scenario finds every object of an applied migration and none of the others.
// Adds a test failure describing each problem and returns what it read.
inline LedgerView ExpectLedgerAgreesWithDatabase(const TestDatabase& tdb,
                                                 const FaultScenario& scenario) {
  LedgerView view;
  auto conn = tdb.Connect();
  if (!conn) return view;
  auto store = ledger::LedgerStore::For(*conn);
  const std::string stream = conn->url().database_name;

  auto report = store->Verify(stream);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (report.ok()) {
    EXPECT_TRUE(report->ok) << "chain broken at " << report->first_bad_position << ": "
                            << report->problem;
  }

  std::vector<v1::Event> events;
  Status read = store->Read(stream, 1, 0, [&](const v1::Event& e) {
    events.push_back(e);
    return true;
  });
  EXPECT_TRUE(read.ok()) << read.ToString();
  view.events = static_cast<int64_t>(events.size());
  int64_t started_runs = 0, finished_runs = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::Event& e = events[i];
    if (e.has_run_started()) ++started_runs;
    if (e.has_run_finished()) ++finished_runs;
    if (!e.has_migration_started()) continue;
    const std::string& id = e.migration_started().migration_id();
    bool outcome = false;
    if (i + 1 < events.size()) {
      const v1::Event& n = events[i + 1];
      outcome = (n.has_migration_committed() && n.migration_committed().migration_id() == id) ||
                (n.has_migration_rolled_back() && n.migration_rolled_back().migration_id() == id) ||
                (n.has_migration_failed() && n.migration_failed().migration_id() == id);
    }
    EXPECT_TRUE(outcome) << "half-recorded step: migration_started(" << id << ") at position "
                         << e.position() << " is not followed by its outcome";
  }
  view.open_runs = started_runs - finished_runs;

  auto state = ledger::ReplayStream(*store, stream);
  EXPECT_TRUE(state.ok()) << state.status().ToString();
  if (state.ok()) view.applied.insert(state->applied_order.begin(), state->applied_order.end());
  for (const std::string& d : scenario.Disagreements(*conn, view.applied))
    ADD_FAILURE() << "database and ledger disagree: " << d;
  return view;
}

// After a client was killed: once its session has left the server
// (PostgreSQL; at once on SQLite), nothing it sent can still commit.
inline bool ClientSessionsGone(const TestDatabase& tdb) {
  if (tdb.backend() != db::Backend::kPostgres) return true;
  auto conn = tdb.Connect();
  if (!conn) return false;
  auto rows = conn->Query(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
  return rows.ok() && (*rows)[0][0].AsInt() == 0;
}

// Makes the server notice a killed client during a long statement (it would
// otherwise only notice when it next writes to the socket), as the crash test
// in tests/runner does.
inline void CheckDeadClientsQuickly(const TestDatabase& tdb) {
  if (tdb.backend() != db::Backend::kPostgres) return;
  auto conn = tdb.Connect();
  ASSERT_TRUE(conn);
  auto r = conn->Execute("ALTER DATABASE " + db::QuoteIdentifier(conn->url().database_name) +
                         " SET client_connection_check_interval = '50ms'");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

// A `migrate` run in this process on `url` with `env` (RunnerOptions::env,
// e.g. a FaultEnv): `status` is the error that stopped it (opening the
// target, when `opened` is false); `failure` what the run recorded as failed.
struct EnvRun {
  bool opened = false;
  Status status;
  std::optional<runner::Failure> failure;
  // The error or the recorded failure's message; empty when all was applied.
  std::string error() const {
    if (!status.ok()) return status.ToString();
    return failure ? failure->message : "";
  }
};
inline EnvRun MigrateWithEnv(const std::string& url, const std::string& dir, Env& env) {
  runner::RunnerOptions options;
  options.dir = dir;
  options.env = &env;
  options.lock_timeout = std::chrono::milliseconds(0);
  EnvRun run;
  auto opened = runner::Runner::Open(url, options);
  if (!opened.ok()) {
    run.status = opened.status();
    return run;
  }
  run.opened = true;
  auto report = (*opened)->Migrate(runner::MigrateOptions{});
  if (!report.ok()) {
    run.status = report.status();
  } else {
    run.failure = report->failure;
  }
  return run;
}

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_FAULTS_FAULT_UTIL_H_
