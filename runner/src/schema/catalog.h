// Catalog queries shared by the batch executor, the C++ step context and the
// name check: what tables, columns and indexes a database has.
// PostgreSQL: the connection's current schema.
#ifndef CAIRN_RUNNER_SRC_SCHEMA_CATALOG_H_
#define CAIRN_RUNNER_SRC_SCHEMA_CATALOG_H_

#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"

namespace cairn::runner::catalog {

StatusOr<std::vector<std::string>> ListTables(db::Connection& conn);
StatusOr<bool> TableExists(db::Connection& conn, std::string_view table);
StatusOr<bool> ColumnExists(db::Connection& conn, std::string_view table, std::string_view column);
StatusOr<bool> IndexExists(db::Connection& conn, std::string_view index);
// Column names in table order; kNotFound when the table has none (no table).
StatusOr<std::vector<std::string>> Columns(db::Connection& conn, std::string_view table);
// The declared type of a column, as the catalog spells it; kNotFound naming
// "table.column" when there is no such column.
StatusOr<std::string> ColumnType(db::Connection& conn, std::string_view table,
                                 std::string_view column);

// How a key column's values are compared and where a walk over them starts.
struct KeyKind {
  bool integer = false;
  db::Value bottom;  // below every key the column can hold (docs/data-migrations.md)
};
KeyKind KeyKindOf(db::Backend backend, std::string_view column_type);
// A cursor stored as text, back as a value of the key's kind.
db::Value CursorValue(const KeyKind& kind, const std::string& text);

}  // namespace cairn::runner::catalog

#endif  // CAIRN_RUNNER_SRC_SCHEMA_CATALOG_H_
