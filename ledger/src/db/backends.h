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
StatusOr<std::unique_ptr<Connection>> OpenPostgres(const DatabaseUrl& url,
                                                   const OpenOptions& options);

}  // namespace cairn::db

#endif  // CAIRN_LEDGER_SRC_DB_BACKENDS_H_
