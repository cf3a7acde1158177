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

// A lexical token of PostgreSQL-flavoured SQL, by the same quoting rules as
// SplitSqlStatements.
enum class SqlTokenKind {
  kWord,        // keyword, unquoted identifier or number, as written
  kIdentifier,  // "quoted identifier", quotes included
  kString,      // '...', E'...' or $tag$...$tag$, quotes included
  kComment,     // -- to end of line (newline excluded), or /* ... */ (nested)
  kSymbol,      // any other single character: ( ) , ; . = ...
};

struct SqlToken {
  SqlTokenKind kind;
  size_t offset;          // byte offset in the script
  std::string_view text;  // points into the script
};

// Every token of `script` in order; whitespace is skipped. An unterminated
// quote or comment runs to the end of the script.
std::vector<SqlToken> TokenizeSql(std::string_view script);

}  // namespace cairn::db

#endif  // CAIRN_DB_SQL_SPLITTER_H_
