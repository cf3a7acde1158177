// Backups before a run and restores from them (docs/backups.md).
//
//   CAIRN_ASSIGN_OR_RETURN(BackupFile b, TakeBackup(runner->connection(), "backups",
//                                                    runner->stream()));
//   ... b.path, b.sha256 ...
//   RestoreOptions r;
//   r.file = b.path;
//   CAIRN_ASSIGN_OR_RETURN(RestoreReport rep, Restore(*runner, r));
//
// SQLite goes through db::Connection::BackupTo / RestoreFrom (SQLite's online
// backup API); PostgreSQL through pg_dump / pg_restore child processes started
// with an argument vector, the password passed only in PGPASSWORD.
#ifndef CAIRN_RUNNER_BACKUP_H_
#define CAIRN_RUNNER_BACKUP_H_

#include <cstdint>
#include <string>

#include "cairn/base/env.h"
#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/runner.h"
#include "cairn/store/store.h"

namespace cairn::runner {

struct BackupFile {
  std::string path;    // absolute
  std::string sha256;  // lowercase hex of the file's bytes
};

// Backs up `conn`'s whole database into a new file in `dir` (created if
// missing) named after `stream` and the time. Not inside a transaction.
// kUnavailable when the file cannot be written or pg_dump fails (its error
// output is in the message, never the password).
// The folder, the file name's time and tag, pg_dump and the file's hash go
// through `env` (SQLite's copy through `conn`, opened with the same Env).
StatusOr<BackupFile> TakeBackup(db::Connection& conn, const std::string& dir,
                                const std::string& stream, Env& env = *Env::Default());

// Hex SHA-256 of a file's bytes, read in chunks. kNotFound if unreadable.
StatusOr<std::string> Sha256File(const std::string& path, Env& env = *Env::Default());

struct RestoreOptions {
  std::string file;
  bool force = false;  // restore although the ledger has newer history
};

struct RestoreReport {
  BackupFile backup;
  std::string backup_run_id;      // the run that recorded this backup; empty if unknown
  ledger::Head previous_head;     // the ledger head before the restore
  int64_t restored_position = 0;  // position of the BackupRestored event
  bool forced = false;
};

// Puts `options.file` back into the runner's target and appends
// BackupRestored to the restored ledger. Refusals, nothing changed:
// kDataLoss when the ledger recorded this path with another SHA-256;
// kFailedPrecondition when the ledger has history the backup's run did not
// write (or, for an unknown file, any history) and !force; kNotFound when
// the file is unreadable.
StatusOr<RestoreReport> Restore(Runner& runner, const RestoreOptions& options);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_BACKUP_H_
