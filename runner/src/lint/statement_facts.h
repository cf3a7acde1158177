// Internal: what a PostgreSQL statement does to the database, read from its
// parse tree (pg_parse.h): whether it can run inside a transaction block,
// the strongest table lock it takes, whether it rewrites the table. Used by
// the lint rules (rules/) and documented in docs/lint.md ("Statement
// facts"); usable by anything that needs to know a statement's locking.
#ifndef CAIRN_RUNNER_SRC_LINT_STATEMENT_FACTS_H_
#define CAIRN_RUNNER_SRC_LINT_STATEMENT_FACTS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::runner::lint {

// PostgreSQL's table lock modes, weakest first (the order of the conflict
// table in the PostgreSQL manual, "Explicit Locking").
enum class LockLevel {
  kNone,
  kAccessShare,
  kRowShare,
  kRowExclusive,
  kShareUpdateExclusive,
  kShare,
  kShareRowExclusive,
  kExclusive,
  kAccessExclusive,
};
std::string_view LockLevelName(LockLevel level);  // "ACCESS EXCLUSIVE", "" for kNone
// Whether a lock of this level blocks plain writes (INSERT/UPDATE/DELETE).
inline bool BlocksWrites(LockLevel level) { return level >= LockLevel::kShare; }

struct StatementFacts {
  std::string kind;  // the parse node, e.g. "AlterTableStmt", "IndexStmt"
  // The table (or index, for DROP INDEX) the lock is on, lower-cased unless
  // it was quoted, without schema; empty when the statement locks none.
  std::string table;
  LockLevel lock = LockLevel::kNone;
  bool runs_in_transaction = true;   // false: CREATE INDEX CONCURRENTLY, VACUUM, ...
  bool transaction_control = false;  // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...
  bool rewrites_table = false;       // copies every row (and rebuilds the indexes)
  bool scans_table = false;          // reads every row under its lock (validation)
  std::string created;               // the table or index the statement creates
  // Tables a FOREIGN KEY the statement adds references: each gets a SHARE
  // ROW EXCLUSIVE lock too (ALTER TABLE ... ADD CONSTRAINT/COLUMN, CREATE TABLE).
  std::vector<std::string> referenced;
};

// `stmt` is one node of PgParsed::statements. `server_version` is the
// target's PostgreSQL version as a number (150000 for 15), which decides
// what rewrites (a constant DEFAULT does not since 11).
StatementFacts ClassifyStatement(const nlohmann::json& stmt, int server_version);

// Helpers over libpg_query's JSON nodes, shared with the rules.
// The node's single key ("AlterTableStmt") and its body.
std::string_view NodeKind(const nlohmann::json& node);
const nlohmann::json& NodeBody(const nlohmann::json& node);
// A RangeVar's relname; a String node's sval.
std::string RelName(const nlohmann::json& range_var);
std::string StringValue(const nlohmann::json& string_node);
// A json member as a string/bool/int, "" / false / 0 when absent.
std::string Str(const nlohmann::json& obj, std::string_view key);
bool Bool(const nlohmann::json& obj, std::string_view key);
int Int(const nlohmann::json& obj, std::string_view key);
const nlohmann::json& Member(const nlohmann::json& obj, std::string_view key);  // null if absent
// Whether an expression is free of calls to volatile functions: constants,
// casts of constants, and a list of stable/immutable functions (now(),
// current_timestamp, ...). Unknown functions count as volatile.
bool IsNonVolatileExpr(const nlohmann::json& expr);

}  // namespace cairn::runner::lint

#endif  // CAIRN_RUNNER_SRC_LINT_STATEMENT_FACTS_H_
