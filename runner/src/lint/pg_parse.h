// Internal: one PostgreSQL statement through PostgreSQL's own grammar
// (libpg_query, the PostgreSQL 15 parser). This is the only file that
// includes pg_query.h; everything else in lint/ reads the parse tree as JSON,
// in libpg_query's node layout: {"AlterTableStmt": {"relation": ..., ...}}.
#ifndef CAIRN_RUNNER_SRC_LINT_PG_PARSE_H_
#define CAIRN_RUNNER_SRC_LINT_PG_PARSE_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::runner::lint {

struct PgParseError {
  std::string message;  // the server's message, e.g. `syntax error at or near "FORM"`
  size_t offset = 0;    // byte offset in the parsed text of the error (0: unknown)
};

struct PgParsed {
  // One node per statement in the text (a splitter's statement gives one;
  // a comment-only text gives none). Each is the RawStmt's "stmt" object,
  // e.g. {"IndexStmt": {...}}; "location" fields inside are byte offsets
  // from the start of the parsed text.
  std::vector<nlohmann::json> statements;
  std::optional<PgParseError> error;
};

// Parses `sql` with PostgreSQL's grammar. Never fails as a call: a statement
// the grammar rejects comes back as `error`.
PgParsed ParsePostgres(std::string_view sql);

// The PostgreSQL version of the grammar, e.g. 150001.
int PgParserVersion();

}  // namespace cairn::runner::lint

#endif  // CAIRN_RUNNER_SRC_LINT_PG_PARSE_H_
