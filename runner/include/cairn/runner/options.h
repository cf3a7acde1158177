// What a caller asks of a run: the runner's options (Runner::Open), and those
// of one migrate or rollback. Plain values, read by every stage of the run
// (docs/design.md, "The run pipeline").
#ifndef CAIRN_RUNNER_OPTIONS_H_
#define CAIRN_RUNNER_OPTIONS_H_

#include <chrono>
#include <optional>
#include <string>

#include "cairn/base/env.h"
#include "cairn/db/database.h"
#include "cairn/runner/batch_options.h"
#include "cairn/runner/checks.h"
#include "cairn/v1/events.pb.h"

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
  // The operating system as the runner sees it (cairn/base/env.h): the lock
  // file, the clock, run ids, backups and pg_dump, the checksum cache, and,
  // when `open.env` is unset, the target's own file I/O (a SQLite VFS shim,
  // only for an Env other than Env::Default()). Never null; a test passes a
  // fault-injecting Env (tests/faults/fault_env.h). Must outlive the Runner.
  Env* env = Env::Default();
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
  // Checks Migrate makes itself, under the runner lock, after planning and
  // before the first write, when something is pending (cairn/runner/checks.h).
  // Unset: not made here. MigrateOnStartup sets both; `cairn migrate` applies
  // the same policies before it takes the lock, so as not to hold the lock
  // while it asks for confirmation.
  std::optional<DriftPolicy> drift;
  std::optional<PreflightPolicy> preflight;
};

struct RollbackOptions {
  int steps = 1;                  // how many applied migrations to revert, newest first
  std::optional<std::string> to;  // instead: revert everything applied after this id ("0": all)
  v1::TransactionMode tx = v1::TRANSACTION_MODE_PER_MIGRATION;
};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_OPTIONS_H_
