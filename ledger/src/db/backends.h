// Internal: constructors of the two backends and the script splitter.
#ifndef CAIRN_LEDGER_SRC_DB_BACKENDS_H_
#define CAIRN_LEDGER_SRC_DB_BACKENDS_H_

#include <memory>
#include <string_view>
#include <vector>

#include "cairn/db/database.h"

namespace cairn::db {

StatusOr<std::unique_ptr<Connection>> OpenSqlite(const DatabaseUrl& url,
                                                 const OpenOptions& options);
// Defined by postgres_connection.cc, or, in programs that link
// postgres_loader.cc (the `cairn` executable), by a loader that opens the
// module cairn-pg.so on first use and calls the real one through
// kPostgresModuleEntry.
StatusOr<std::unique_ptr<Connection>> OpenPostgres(const DatabaseUrl& url,
                                                   const OpenOptions& options);

using OpenPostgresFn = StatusOr<std::unique_ptr<Connection>> (*)(const DatabaseUrl&,
                                                                 const OpenOptions&);
// The module's one exported symbol: extern "C" OpenPostgresFn NAME(void).
inline constexpr char kPostgresModuleEntry[] = "cairn_postgres_backend";

}  // namespace cairn::db

#endif  // CAIRN_LEDGER_SRC_DB_BACKENDS_H_
