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
#ifndef CAIRN_RUNNER_RUNNER_H_
#define CAIRN_RUNNER_RUNNER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/ledger/state.h"
#include "cairn/ledger/store.h"
#include "cairn/runner/batch_options.h"
#include "cairn/runner/migration.h"

namespace cairn::runner {

struct RunnerOptions {
  std::string dir = "migrations";
  std::string stream;               // empty: the database's name (docs/ledger-format.md)
  bool allow_out_of_order = false;  // apply pending files numbered below the current version
  std::string command_line;         // recorded in RunStarted
  db::OpenOptions open;
  BatchOptions batch;  // batched data migrations (docs/data-migrations.md)
};

struct MigrateOptions {
  std::optional<std::string> to;  // apply pending migrations up to and including this id
};

struct RollbackOptions {
  int steps = 1;                  // how many applied migrations to revert, newest first
  std::optional<std::string> to;  // instead: revert everything applied after this id ("0": all)
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

  // Applies pending migrations in order. A failing migration is recorded and
  // ends the run with outcome FAILED (the Status is still OK: the run itself
  // worked). An error Status means the run was refused or could not start
  // or continue (connection lost, concurrent runner), and says why.
  StatusOr<RunReport> Migrate(const MigrateOptions& options);

  // Reverts applied migrations one at a time, newest first.
  StatusOr<RunReport> Rollback(const RollbackOptions& options);

  // Files and ledger side by side. Writes nothing.
  StatusOr<StatusReport> GetStatus();

  // Calls fn with every event of the target's stream.
  Status History(const std::function<bool(const v1::Event&)>& fn);

  StatusOr<ledger::VerifyReport> Verify();

 private:
  Status Load(std::vector<Migration>* files, ledger::StreamState* state);
  StatusOr<RunReport> Execute(v1::Direction direction, const std::vector<const Migration*>& plan,
                              const ledger::StreamState& state, const std::string& reason,
                              const std::optional<std::string>& target);

  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<ledger::LedgerStore> store_;
  RunnerOptions options_;
  std::string stream_;
  v1::Actor actor_;
};

// Exit status shared by the CLI and documented in the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitMigrationFailed = 1,
  kExitUsage = 2,
  kExitInvalidMigrations = 3,
  kExitDatabase = 4,
  kExitVerifyFailed = 5,
  kExitConflict = 6,
  kExitInterrupted = 16,  // SIGINT/SIGTERM stopped a batched migration; migrate resumes
  kExitInternal = 70,
};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_RUNNER_H_
