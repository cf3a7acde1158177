// Splits a SQL script into statements the way PostgreSQL's lexer sees them:
// semicolons inside quotes ('...', E'...', "..."), dollar quotes ($$...$$,
// $tag$...$tag$) and comments (--, nested /* */) do not end a statement.
// SQLite scripts are split by SQLite itself (sqlite3_prepare_v2's tail).
#ifndef CAIRN_DB_SQL_SPLITTER_H_
#define CAIRN_DB_SQL_SPLITTER_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::db {

struct SqlStatement {
  size_t offset;          // byte offset of the first non-space, non-comment character
  std::string_view text;  // from offset up to (not including) the terminating ';'
  size_t end = 0;         // byte offset just past the terminating ';' (or the script's end)
  size_t line = 0;        // 1-based line of `offset`, counting '\n'
};

// Statements that contain only whitespace and comments are omitted.
// An unterminated quote or comment runs to the end of the script (the server
// then reports the error for that statement).
std::vector<SqlStatement> SplitSqlStatements(std::string_view script);

// The number of '\n' in `text` (memchr from one to the next: the line
// counts of big scripts are on the critical path).
size_t CountNewlines(std::string_view text);

// SplitSqlStatements over a script that arrives in pieces (a file read in
// blocks), holding only the statement not yet ended: memory is bounded by the
// largest statement, and time stays linear however the text is cut. The
// statements, offsets (counted from the first byte fed) and ends are exactly
// those SplitSqlStatements finds in the whole text.
//
//   db::SqlStatementStream split;
//   while (read a block) split.Feed(block, on_statement);
//   split.Finish(on_statement);
//
// The statement passed to the sink points into the stream's buffer and is
// valid only during the call.
class SqlStatementStream {
 public:
  using Sink = std::function<void(const SqlStatement&)>;
  explicit SqlStatementStream(size_t scan_bytes = 1 << 16) : scan_bytes_(scan_bytes) {
    next_scan_ = scan_bytes_;
  }
  void Feed(std::string_view text, const Sink& sink);
  // The end of the script: the last statement needs no ';'.
  void Finish(const Sink& sink);
  // Bytes fed so far.
  size_t fed() const { return base_ + buffer_.size(); }
  // The fed text [from, to), for use inside the sink: the part before the
  // current statement's scan (at most the bytes after the last one passed
  // to an earlier sink call) is cut off.
  std::string_view Text(size_t from, size_t to) const;

 private:
  void Scan(bool at_end, const Sink& sink);
  std::string buffer_;    // text from the end of the last complete statement
  size_t base_ = 0;       // offset of buffer_[0] in the whole script
  size_t line_base_ = 1;  // line of buffer_[0]
  size_t scan_bytes_;
  size_t next_scan_;
};

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
