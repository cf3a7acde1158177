// Runner: plans and applies migrations to one target, recording every step
// in the target's ledger in the same transaction as the change it describes.
//
//   RunnerOptions opts;
//   opts.dir = "migrations";
//   CAIRN_ASSIGN_OR_RETURN(auto runner, Runner::Open("sqlite:campus.db", opts));
//   CAIRN_ASSIGN_OR_RETURN(RunReport report, runner->Migrate({}));
//   if (report.outcome == v1::RUN_OUTCOME_FAILED) ... report.failure ...
//
// Invariants:
//  - Each migration's SQL, its MigrationStarted event and its outcome event
//    (MigrationCommitted or MigrationRolledBack) commit in one transaction;
//    a failure rolls that transaction back and records MigrationFailed in a
//    new one. A crash at any moment leaves the database and the ledger in
//    agreement.
//  - Everything that can be checked before running is checked before the
//    first write: file syntax, changed checksums of applied migrations,
//    out-of-order files, missing down sections. A refused run writes nothing.
//  - The plan is made from the ledger's replayed state; each transaction
//    re-checks the ledger head under the stream lock, so a concurrent runner
//    makes this one stop (kAborted) instead of applying a migration twice.
//  - Migrate, Rollback and the prepared-run calls first take the runner lock
//    (cairn/runner/lock.h), waiting up to RunnerOptions::lock_timeout, and plan
//    only once they hold it: concurrent runners take turns, and a runner
//    that waited applies only what is still pending. GetStatus, History and
//    Verify take no lock.
//  - Transaction modes (docs/transactions.md): per-migration (default), all,
//    none, and --prepare (PostgreSQL two-phase commit).
#ifndef CAIRN_RUNNER_RUNNER_H_
#define CAIRN_RUNNER_RUNNER_H_

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/batch_options.h"
#include "cairn/runner/lock.h"
#include "cairn/runner/migration.h"
#include "cairn/runner/options.h"
#include "cairn/runner/plan.h"
#include "cairn/runner/report.h"
#include "cairn/store/state.h"
#include "cairn/store/store.h"

namespace cairn::runner {

struct ExecutionRequest;  // the execute stage's input (runner/src/execute)

// One migration as status shows it.
struct MigrationView {
  std::string id, description, file;
  std::string state;  // "applied", "pending", "failed", "rolled_back" (pending again),
                      // "changed" (applied, file differs), "missing" (applied, no file),
                      // "in_binary" (a C++ data step, file "c++:ID_NAME", applied by a
                      // runner binary that holds it; not in --dir)
  const ledger::MigrationRecord* record = nullptr;  // null when never seen by the ledger
  std::string file_checksum;
  bool has_down = false;
};

struct StatusReport {
  std::string stream;
  std::string version;  // current version; empty when none applied
  ledger::Head head;
  ledger::StreamState state;
  std::vector<MigrationView> migrations;  // files and ledger entries, by id
  int pending = 0;
  std::vector<std::string> problems;  // changed or missing files, out-of-order pending files
  std::string prepared_run;           // a prepared run waiting for commit or abort (PostgreSQL)
};

class Runner {
 public:
  // Connects to `database_url` and loads nothing yet.
  static StatusOr<std::unique_ptr<Runner>> Open(const std::string& database_url,
                                                RunnerOptions options);
  Runner(std::unique_ptr<db::Connection> conn, RunnerOptions options);
  ~Runner();

  const std::string& stream() const { return stream_; }
  db::Connection& connection() { return *conn_; }
  ledger::LedgerStore& store() { return *store_; }
  const RunnerOptions& options() const { return options_; }
  const v1::Actor& actor() const { return actor_; }

  // Applies pending migrations in order. A failing migration is recorded and
  // ends the run with outcome FAILED (the Status is still OK: the run itself
  // worked). An error Status means the run was refused or could not start
  // or continue (connection lost, concurrent runner), and says why.
  StatusOr<RunReport> Migrate(const MigrateOptions& options);

  // Plans Migrate with the same checks (a refusal is the same error) and
  // writes nothing. `cairn plan`, `migrate --dry-run` and the pre-flight use it.
  StatusOr<MigratePlan> PlanMigrate(const MigrateOptions& options);

  // The report of a migrate with nothing to do, when the checksum cache and
  // state snapshot show that cheaply; nullopt means "take the full path".
  // Writes nothing and takes no lock.
  std::optional<RunReport> NothingPending(const MigrateOptions& options);

  // Reverts applied migrations one at a time, newest first.
  StatusOr<RunReport> Rollback(const RollbackOptions& options);

  // Files and ledger side by side. Writes nothing.
  StatusOr<StatusReport> GetStatus();

  // Closes the connection on another thread and returns at once, for a
  // command that has read all it needs: closing SQLite frees the parsed
  // schema, 7 ms for 20,000 tables and indexes, which can overlap printing.
  // Reports already returned stay valid; nothing else may be called after
  // this but the destructor, which waits for the close.
  void CloseInBackground();

  // Calls fn with every event of the target's stream.
  Status History(const std::function<bool(const v1::Event&)>& fn);

  StatusOr<ledger::VerifyReport> Verify();

  // Ends a run prepared by `migrate --prepare` (PostgreSQL): COMMIT PREPARED
  // makes its migrations visible, ROLLBACK PREPARED discards them; either way
  // a RunFinished is then recorded. kNotFound when `run_id` is not a
  // prepared run of this stream.
  StatusOr<RunReport> CommitPrepared(const std::string& run_id);
  StatusOr<RunReport> AbortPrepared(const std::string& run_id);

 private:
  Status Load(std::vector<Migration>* files, ledger::StreamState* state);
  // Saves the state snapshot after a run that may have appended events.
  StatusOr<RunReport> Finish(StatusOr<RunReport> report);
  // Checks the plan hash and takes the backup (runner/src/facade/run_safety.cc);
  // returns the fields they add to the run's RunStarted.
  StatusOr<v1::RunStarted> PrepareRun(const MigrateOptions& options, const MigratePlan& plan);
  // Takes the runner lock, remembering the ledger head from before any wait
  // so that a runner that waited can say what happened meanwhile.
  StatusOr<std::unique_ptr<RunnerLock>> Lock(int64_t* head_before);
  // What other runs did after `head_before` (for RunReport::handover).
  std::string Handover(const ledger::StreamState& state, int64_t head_before,
                       const RunnerLock& lock) const;
  // kFailedPrecondition when a prepared run of this stream awaits commit or abort.
  Status RefuseIfPrepared(const ledger::StreamState& state);
  // Runs what Migrate or Rollback planned, as one request built once.
  StatusOr<RunReport> Execute(const ExecutionRequest& request);
  StatusOr<RunReport> EndPrepared(const std::string& run_id, bool commit);

  // The folder's summaries read on another thread: Open's prefetch the first
  // time (RunnerOptions::prefetch_files), a new read after that.
  std::future<StatusOr<std::vector<MigrationSummary>>> ScanInBackground();

  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<ledger::LedgerStore> store_;
  RunnerOptions options_;
  std::future<StatusOr<std::vector<MigrationSummary>>> prefetched_;
  std::string stream_;
  v1::Actor actor_;
  // Set when NothingPending last answered "take the full path", to its
  // --to: Migrate with the same --to does not read the folder again to
  // learn the same.
  std::optional<std::optional<std::string>> pending_to_;
  std::thread closing_;  // CloseInBackground's
};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_RUNNER_H_
