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
#include "cairn/store/state.h"
#include "cairn/store/store.h"

namespace cairn::runner {

struct RunnerOptions {
  std::string dir = "migrations";
  // Empty: the ledger's own stream, or the database's name for a new ledger
  // (docs/ledger-format.md, "Stream names"; Open refuses an ambiguous one).
  std::string stream;
  bool new_stream = false;  // `stream` may name a stream the ledger lacks (--new-stream)
  // The caller reads several streams itself: a ledger holding several
  // streams is not refused when `stream` is empty.
  bool any_stream = false;
  bool allow_out_of_order = false;  // apply pending files numbered below the current version
  std::string command_line;         // recorded in RunStarted
  db::OpenOptions open;
  // How long Migrate and Rollback wait for another runner's lock (0: fail at once).
  std::chrono::milliseconds lock_timeout{60000};
  BatchOptions batch;  // batched data migrations (docs/data-migrations.md)
  // Open starts reading `dir` (ScanMigrations) on another thread before it
  // connects, and the first GetStatus or NothingPending uses that result:
  // the folder is read while the database opens (SQLite parses its schema
  // then). For commands that ask one of those first; errors are reported
  // when the result is used, exactly as without it.
  bool prefetch_files = false;
};

struct MigrateOptions {
  std::optional<std::string> to;  // apply pending migrations up to and including this id
  // Refuse (IsPlanChanged(), nothing written) unless the plan hashes to this
  // (docs/plans.md; 64 hex digits, optionally "sha256:"-prefixed).
  std::optional<std::string> expected_plan_hash;
  // When set and something is pending: back the target up into this
  // directory before applying anything (docs/backups.md).
  std::string backup_dir;
  std::string environment;  // recorded in RunStarted, e.g. "production"
  v1::TransactionMode tx = v1::TRANSACTION_MODE_PER_MIGRATION;
  // PostgreSQL: run the whole run in one transaction (tx must be ALL) and
  // PREPARE it instead of committing; CommitPrepared/AbortPrepared end it.
  bool prepare = false;
  // Refuse (kFailedPrecondition, nothing written) when migrations the ledger
  // shows as applied have no file in the folder (migrate --strict); without
  // it they are logged as warnings and the run goes on.
  bool refuse_missing_files = false;
};

// What Migrate would run, computed without writing anything.
struct MigratePlan {
  std::vector<Migration> files;  // every migration file, by id
  ledger::StreamState state;     // the replayed ledger
  std::vector<Migration> steps;  // the pending migrations, in run order
  // Applied in the ledger, no file in the folder: one line each, naming the
  // migration (another folder may be migrating this database).
  std::vector<std::string> missing_files;
};

struct RollbackOptions {
  int steps = 1;                  // how many applied migrations to revert, newest first
  std::optional<std::string> to;  // instead: revert everything applied after this id ("0": all)
  v1::TransactionMode tx = v1::TRANSACTION_MODE_PER_MIGRATION;
};

// Why a migration failed, with its place in the file.
struct Failure {
  std::string migration_id;
  std::string file;  // path
  int line = 0;
  std::string statement;
  std::string message;
};

struct RunReport {
  std::string run_id;  // empty when nothing ran
  v1::RunOutcome outcome = v1::RUN_OUTCOME_NOTHING_TO_DO;
  std::vector<std::string> applied;      // ids applied (migrate)
  std::vector<std::string> rolled_back;  // ids reverted (rollback)
  std::optional<Failure> failure;
  std::string version_before, version_after;
  // This runner waited for another's lock: what the others did meanwhile,
  // e.g. "lock acquired after 812 ms; run 5f0c... applied 0003..0008".
  std::string handover;
  bool prepared = false;  // --prepare: applied in a prepared transaction, not yet visible
  // --tx none: migrations reverted (newest first) to compensate for the failure;
  // compensation_failed when one of those reversals failed too.
  std::vector<std::string> compensated;
  bool compensation_failed = false;
  // What of the failed migration stays applied (statements committed outside
  // a transaction); empty when its failure left nothing.
  std::string remains;
  // SIGINT/SIGTERM stopped an ordinary migration (outcome INTERRUPTED): the
  // signal, and what became of the work it stopped. A batched step stopped
  // after a batch leaves stop_signal 0 (docs/data-migrations.md).
  int stop_signal = 0;
  std::string interruption;
};

// One migration as status shows it.
struct MigrationView {
  std::string id, description, file;
  std::string state;  // "applied", "pending", "failed", "rolled_back" (pending again),
                      // "changed" (applied, file differs), "missing" (applied, no file)
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
  // Checks the plan hash and takes the backup (runner/src/run_safety.cc);
  // fills run_started_extra_.
  Status PrepareRun(const MigrateOptions& options, const MigratePlan& plan);
  // Takes the runner lock, remembering the ledger head from before any wait
  // so that a runner that waited can say what happened meanwhile.
  StatusOr<std::unique_ptr<RunnerLock>> Lock(int64_t* head_before);
  // What other runs did after `head_before` (for RunReport::handover).
  std::string Handover(const ledger::StreamState& state, int64_t head_before,
                       const RunnerLock& lock) const;
  // kFailedPrecondition when a prepared run of this stream awaits commit or abort.
  Status RefuseIfPrepared(const ledger::StreamState& state);
  StatusOr<RunReport> Execute(v1::Direction direction, const std::vector<const Migration*>& plan,
                              const ledger::StreamState& state, const std::string& reason,
                              const std::optional<std::string>& target,
                              v1::TransactionMode mode = v1::TRANSACTION_MODE_PER_MIGRATION,
                              bool prepare = false, int64_t lock_wait_micros = 0);
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
  // Fields PrepareRun adds to the next RunStarted (plan hash, backup).
  v1::RunStarted run_started_extra_;
  std::thread closing_;  // CloseInBackground's
};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_RUNNER_H_
