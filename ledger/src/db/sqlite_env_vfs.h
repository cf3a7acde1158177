// Internal: the SQLite VFS shim that lets an Env reach SQLite's own file I/O.
//
// SQLite reads and writes its database, journal and write-ahead log itself,
// through a VFS. For a target opened with an Env other than Env::Default()
// (OpenOptions::env), OpenSqlite opens it through a VFS that wraps SQLite's
// default one: before each open, read, write, truncation, sync and deletion
// it asks Env::AllowForeignFileOp, and a refusal becomes SQLite's error
// (kResourceExhausted: SQLITE_FULL; otherwise the I/O error of that
// operation, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, ...). Everything else
// (locks, shared memory, time, randomness of SQLite's own) goes straight to
// the default VFS, and memory-mapped reads are declined so every read passes
// the hook. Targets opened with the default Env get no shim at all.
#ifndef CAIRN_LEDGER_SRC_DB_SQLITE_ENV_VFS_H_
#define CAIRN_LEDGER_SRC_DB_SQLITE_ENV_VFS_H_

#include "cairn/base/env.h"

namespace cairn::db {

// The name of the shim VFS for `env`, registered with SQLite on first use
// (one per Env; registrations live as long as the process). Thread-safe.
// nullptr when SQLite has no default VFS to wrap.
const char* EnvVfsName(Env* env);

}  // namespace cairn::db

#endif  // CAIRN_LEDGER_SRC_DB_SQLITE_ENV_VFS_H_
