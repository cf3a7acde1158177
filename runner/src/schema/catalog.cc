#include "schema/catalog.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

namespace cairn::runner::catalog {
namespace {

bool Pg(db::Connection& conn) { return conn.backend() == db::Backend::kPostgres; }

StatusOr<bool> CountPositive(db::Connection& conn, const char* sql, const db::Params& params) {
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, params));
  return !rows.empty() && rows[0][0].AsInt() > 0;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

StatusOr<std::vector<std::string>> ListTables(db::Connection& conn) {
  const char* sql = Pg(conn) ? "SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema = current_schema() ORDER BY table_name"
                             : "SELECT name FROM sqlite_schema WHERE type = 'table' "
                               "AND name NOT LIKE 'sqlite_%' ORDER BY name";
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r[0].AsText());
  return out;
}

StatusOr<bool> TableExists(db::Connection& conn, std::string_view table) {
  return CountPositive(conn,
                       Pg(conn) ? "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = current_schema() AND table_name = $1"
                                : "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                  "AND name = $1",
                       {db::Value(table)});
}

StatusOr<bool> ColumnExists(db::Connection& conn, std::string_view table, std::string_view column) {
  return CountPositive(conn,
                       Pg(conn) ? "SELECT count(*) FROM information_schema.columns "
                                  "WHERE table_schema = current_schema() AND table_name = $1 "
                                  "AND column_name = $2"
                                : "SELECT count(*) FROM pragma_table_info($1) WHERE name = $2",
                       {db::Value(table), db::Value(column)});
}

StatusOr<bool> IndexExists(db::Connection& conn, std::string_view index) {
  return CountPositive(conn,
                       Pg(conn) ? "SELECT count(*) FROM pg_indexes "
                                  "WHERE schemaname = current_schema() AND indexname = $1"
                                : "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                                  "AND name = $1",
                       {db::Value(index)});
}

StatusOr<std::vector<std::string>> Columns(db::Connection& conn, std::string_view table) {
  const char* sql = Pg(conn) ? "SELECT column_name FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND table_name = $1 "
                               "ORDER BY ordinal_position"
                             : "SELECT name FROM pragma_table_info($1) ORDER BY cid";
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, {db::Value(table)}));
  if (rows.empty()) return NotFoundError(std::string(table) + ": no such table");
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r[0].AsText());
  return out;
}

StatusOr<std::string> ColumnType(db::Connection& conn, std::string_view table,
                                 std::string_view column) {
  const char* sql = Pg(conn) ? "SELECT data_type FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND table_name = $1 "
                               "AND column_name = $2"
                             : "SELECT type FROM pragma_table_info($1) WHERE name = $2";
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, {db::Value(table), db::Value(column)}));
  if (rows.empty())
    return NotFoundError(std::string(table) + "." + std::string(column) + ": no such column");
  return rows[0][0].AsText();
}

KeyKind KeyKindOf(db::Backend backend, std::string_view column_type) {
  const std::string t = Upper(column_type);
  KeyKind k;
  k.integer = t.find("INT") != std::string::npos;
  if (!k.integer) {
    k.bottom = db::Value(std::string());
  } else if (backend == db::Backend::kPostgres && t == "SMALLINT") {
    k.bottom = db::Value(int64_t{std::numeric_limits<int16_t>::min()});
  } else if (backend == db::Backend::kPostgres && t == "INTEGER") {
    k.bottom = db::Value(int64_t{std::numeric_limits<int32_t>::min()});
  } else {
    k.bottom = db::Value(std::numeric_limits<int64_t>::min());
  }
  return k;
}

db::Value CursorValue(const KeyKind& kind, const std::string& text) {
  if (!kind.integer) return db::Value(text);
  return db::Value(static_cast<int64_t>(std::stoll(text)));
}

}  // namespace cairn::runner::catalog
