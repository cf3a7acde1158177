// Internal: the batch executor for batched SQL sections and C++ data
// migrations (docs/data-migrations.md). Runner::Execute hands a step to
// RunDataStep at one branch point; everything else lives here.
#ifndef CAIRN_RUNNER_SRC_EXECUTE_BATCH_H_
#define CAIRN_RUNNER_SRC_EXECUTE_BATCH_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/batch_options.h"
#include "cairn/runner/data_migration.h"
#include "cairn/runner/migration.h"
#include "cairn/runner/report.h"
#include "cairn/store/state.h"
#include "schema/catalog.h"

namespace cairn::runner::internal {

// What Runner::Execute lends a data step: its connection, event factory and
// ledger-checked transactions.
struct StepEnv {
  db::Connection& conn;
  std::string stream;
  BatchOptions options;
  db::OpenOptions open;  // for attached databases
  std::string reason;    // rollback reason, for MigrationRolledBack
  std::function<v1::Event()> make_event;
  // Begins a transaction on conn that holds the stream lock and checks the head.
  std::function<StatusOr<std::unique_ptr<db::Transaction>>()> begin;
  // Appends an event inside a transaction from `begin`; advances expected_head.
  std::function<Status(db::Transaction&, const v1::Event&)> append;
  int64_t* expected_head;
};

// Whether `m` in `direction` runs through RunDataStep.
bool IsDataStep(const Migration& m, v1::Direction direction);

// Runs one data step: MigrationStarted, the batches, MigrationCommitted (up)
// or MigrationRolledBack (down). Returns true when the plan goes on; false
// when the run ended and its end is recorded (report->outcome FAILED with
// report->failure, or INTERRUPTED). An error Status: the machinery failed
// (connection lost, concurrent runner); nothing of the current batch remains.
StatusOr<bool> RunDataStep(StepEnv& env, const Migration& m, v1::Direction direction,
                           const ledger::StreamState& state, RunReport* report);

// One resumable batch loop (docs/data-migrations.md, "Batches are the unit
// of progress"): fetch a batch after the cursor, write it, commit it with
// its BatchApplied.
struct LoopDef {
  std::string label;  // for progress output
  db::Connection* source = nullptr;
  db::Connection* dest = nullptr;  // the target connection: one transaction with the ledger
  catalog::KeyKind key;
  int64_t default_size = 1000;
  // Rows above `after` (the progress estimate); errors are ignored.
  std::function<StatusOr<int64_t>(const db::Value& after)> count_after;
  // Reads the batch after `after` of at most `size` keys; sets *upto to its
  // last key; returns false when nothing is left.
  std::function<StatusOr<bool>(const db::Value& after, int64_t size, db::Value* upto)> fetch;
  // Writes the fetched batch through `conn` inside its open transaction;
  // returns the rows changed.
  std::function<StatusOr<int64_t>(db::Connection& conn, const db::Value& after,
                                  const db::Value& upto)>
      write;
};

class LoopEngine {
 public:
  LoopEngine(StepEnv& env, const Migration& m, v1::Direction direction,
             ledger::BatchProgress progress, v1::StorageType storage_type);
  ~LoopEngine();

  // Runs the next loop (numbered in call order). kCancelled when a stop was
  // requested; a machinery failure is also kept in fatal().
  Status Run(const LoopDef& def);

  const Status& fatal() const { return fatal_; }
  StepEnv& env() { return env_; }
  int64_t rows() const { return rows_; }
  int64_t batches() const { return batch_number_; }
  double longest_batch_ms() const { return longest_ms_; }

 private:
  Status RecordDestinationProgress(db::Connection& dest, int32_t loop, const std::string& cursor,
                                   int64_t rows);

  StepEnv& env_;
  const Migration& m_;
  v1::Direction direction_;
  ledger::BatchProgress progress_;
  v1::StorageType storage_type_;
  int32_t next_loop_ = 0;
  int64_t batch_number_ = 0;
  int64_t rows_ = 0;
  double longest_ms_ = 0;
  Status fatal_;
};

// The C++ step context over a LoopEngine (data_migration.cc).
std::unique_ptr<DataContext> MakeDataContext(LoopEngine& engine);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_EXECUTE_BATCH_H_
