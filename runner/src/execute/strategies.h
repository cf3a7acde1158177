// Internal: how a run's migrations are executed, one strategy per transaction
// mode (docs/transactions.md). Runner::Execute builds a RunContext and calls
// ExecuteRun; everything here writes through the context, so each strategy
// reads as the sequence of transactions it commits.
#ifndef CAIRN_RUNNER_SRC_EXECUTE_STRATEGIES_H_
#define CAIRN_RUNNER_SRC_EXECUTE_STRATEGIES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/migration.h"
#include "cairn/runner/options.h"
#include "cairn/runner/report.h"
#include "cairn/store/state.h"
#include "execute/run_observer.h"

namespace cairn::runner {

struct ExecutionRequest {
  v1::Direction direction = v1::DIRECTION_UP;
  std::vector<const Migration*> plan;
  std::string reason;                 // recorded in MigrationRolledBack
  std::optional<std::string> target;  // --to
  v1::TransactionMode mode = v1::TRANSACTION_MODE_PER_MIGRATION;
  bool prepare = false;
  int64_t lock_wait_micros = 0;
  std::string command_line;
  // More RunStarted fields (plan hash, backup, environment: run_safety.cc).
  v1::RunStarted run_started_extra;
  // For batched data migrations (batch.h): the replayed state the plan was
  // made from, the batch settings, and how to open attached databases.
  const ledger::StreamState* state = nullptr;
  BatchOptions batch;
  db::OpenOptions open;
};

// The outcome of running one section's SQL.
struct StepResult {
  Status status;            // of the SQL (or of recording it, see ApplyOne)
  bool fatal = false;       // the machinery failed: nothing more can be recorded
  int64_t executed = 0;     // statements completed
  db::ScriptFailure where;  // where it stopped; offset relative to the section
  int where_line = 0;       // the file's line of where.offset; 0 when no statement failed
  int64_t micros = 0;
};

// The connection, the ledger and the run's bookkeeping shared by the modes.
class RunContext {
 public:
  // Every event of the run goes to `observer` (the record stage).
  RunContext(db::Connection& conn, RunObserver& observer, std::string stream, v1::Actor actor,
             RunReport* report);

  db::Connection& conn() { return conn_; }
  RunObserver& observer() { return observer_; }
  // The ledger head this run expects (for steps that append on their own).
  int64_t* mutable_head() { return observer_.mutable_head(); }
  const std::string& stream() const { return stream_; }
  RunReport& report() { return *report_; }
  int server_version() const { return server_version_; }

  v1::Event NewEvent() const;
  v1::Event Started(const Migration& m, v1::Direction d, bool outside_transaction) const;
  // MigrationCommitted (up) or MigrationRolledBack (down).
  v1::Event Done(const Migration& m, v1::Direction d, const StepResult& r,
                 const std::string& reason) const;
  v1::Event Failed(const Migration& m, v1::Direction d, const Failure& f,
                   const StepResult& r) const;
  v1::Event Finished(v1::RunOutcome outcome, const std::string& error) const;

  // Begins a transaction that fails with kAborted if another writer appended
  // to the stream since this run last did (RunObserver::Begin).
  StatusOr<std::unique_ptr<db::Transaction>> Begin();
  // Reports `e` to the observer, inside `tx`, the transaction this run holds.
  Status Append(db::Transaction& tx, const v1::Event& e);
  // Appends `events` in a transaction of their own.
  Status Record(const std::vector<v1::Event>& events);
  int64_t head() const { return observer_.head(); }
  void ResetHead(int64_t position) { observer_.ResetHead(position); }

  // Runs a section's SQL on the connection as it stands (inside a transaction
  // or in autocommit), with the migration's timeouts, retrying (with backoff,
  // logged) when its lock timeout fires.
  StepResult RunSql(const Migration& m, const Section& section);
  Failure Describe(const Migration& m, const Section& section, const StepResult& r) const;

  // Applies one migration in `d`, its events with it: in one transaction, or,
  // when `outside` is set, MigrationStarted committed first, the SQL in
  // autocommit, then the outcome event in a transaction of its own.
  StepResult ApplyOne(const Migration& m, v1::Direction d, const std::string& reason, bool outside);

 private:
  db::Connection& conn_;
  RunObserver& observer_;
  std::string stream_;
  v1::Actor actor_;
  RunReport* report_;
  int server_version_ = 0;
};

// The section of `m` that runs in direction `d` (the down section must exist).
const Section& SectionFor(const Migration& m, v1::Direction d);

// Checks the request against its mode before anything is written
// (kFailedPrecondition naming the file), then runs it, filling the report.
// An error Status means the run was refused or could not go on.
Status ExecuteRun(RunContext& ctx, const ExecutionRequest& req);

// The gid of the prepared transaction of run `run_id`.
std::string PreparedGid(const std::string& run_id);
// Whether run `run_id` has a prepared transaction waiting in `conn`'s
// database (always false on SQLite).
StatusOr<bool> IsPreparedRun(db::Connection& conn, const std::string& run_id);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SRC_EXECUTE_STRATEGIES_H_
