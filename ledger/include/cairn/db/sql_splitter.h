// Splits a SQL script into statements the way PostgreSQL's lexer sees them:
// semicolons inside quotes ('...', E'...', "..."), dollar quotes ($$...$$,
// $tag$...$tag$) and comments (--, nested /* */) do not end a statement.
// SQLite scripts are split by SQLite itself (sqlite3_prepare_v2's tail).
#ifndef CAIRN_DB_SQL_SPLITTER_H_
#define CAIRN_DB_SQL_SPLITTER_H_

#include <string_view>
#include <vector>

namespace cairn::db {

struct SqlStatement {
  size_t offset;          // byte offset of the first non-space, non-comment character
  std::string_view text;  // from offset up to (not including) the terminating ';'
};

// Statements that contain only whitespace and comments are omitted.
// An unterminated quote or comment runs to the end of the script (the server
// then reports the error for that statement).
std::vector<SqlStatement> SplitSqlStatements(std::string_view script);

}  // namespace cairn::db

#endif  // CAIRN_DB_SQL_SPLITTER_H_
