// Transactions and timeouts: explicit BEGIN/COMMIT in a migration cairn
// wraps in a transaction, statements that cannot run in a transaction block
// inside one, locking statements without lock_timeout/statement_timeout, and
// statements that cannot be re-run (prefer-robust-stmts; the linter keeps
// those only for a migration that runs outside a transaction).
#include "rules.h"

namespace cairn::runner::lint {
namespace {

bool Robust(const StatementView& s, const MigrationState& m) {
  if (s.kind == "CreateStmt" || s.kind == "IndexStmt") return Bool(s.body, "if_not_exists");
  if (s.kind == "DropStmt") return Bool(s.body, "missing_ok");
  if (s.kind == "AlterEnumStmt")
    return Str(s.body, "newVal").empty() || Bool(s.body, "skipIfNewValExists");
  if (s.kind == "AlterTableStmt") {
    for (const auto& c : Member(s.body, "cmds")) {
      const auto& cmd = NodeBody(c);
      const std::string sub = Str(cmd, "subtype");
      if ((sub == "AT_AddColumn" || sub == "AT_DropColumn" || sub == "AT_DropConstraint") &&
          !Bool(cmd, "missing_ok"))
        return false;
      // ADD CONSTRAINT has no IF NOT EXISTS: robust after a DROP CONSTRAINT
      // IF EXISTS of its name.
      if (sub == "AT_AddConstraint" &&
          !m.dropped_if_exists.count(s.facts.table + "." +
                                     Str(NodeBody(Member(cmd, "def")), "conname")))
        return false;
    }
  }
  return true;
}

}  // namespace

void CheckTransactions(const StatementView& s, MigrationState& m, const Report& report) {
  if (s.kind == "TransactionStmt") {
    const std::string kind = Str(s.body, "kind");
    const bool begin = kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START";
    const bool end = kind == "TRANS_STMT_COMMIT" || kind == "TRANS_STMT_ROLLBACK";
    // One finding per explicit transaction: at its BEGIN, or at a COMMIT or
    // ROLLBACK that ends cairn's own.
    if ((begin || (end && !m.in_explicit_transaction)) && m.file_in_transaction)
      report("transaction-nesting", 0,
             "cairn runs this migration in a transaction: an explicit " +
                 std::string(begin ? "BEGIN nests in it" : "COMMIT/ROLLBACK ends it early") +
                 " (use -- cairn:no-transaction to manage transactions yourself)");
    else if (begin && m.in_explicit_transaction)
      report("transaction-nesting", 0, "BEGIN inside a transaction block already open");
    if (begin) m.in_explicit_transaction = true;
    if (end) m.in_explicit_transaction = false;
    return;
  }
  if (!s.facts.runs_in_transaction && m.in_explicit_transaction)
    report("ban-concurrent-index-creation-in-transaction", 0,
           "this statement cannot run inside a transaction block (BEGIN above it): it fails");

  if (!Robust(s, m))
    report("prefer-robust-stmts", 0,
           "without IF [NOT] EXISTS this statement fails when the migration, which runs outside "
           "a transaction, is re-run after a partial failure");

  // The existing table the statement locks: its own, or one a new foreign
  // key references (a key added to a new table still locks that one).
  std::string locked;
  LockLevel level = s.facts.lock;
  if (level >= LockLevel::kShareUpdateExclusive && !s.facts.table.empty() &&
      !m.IsNew(s.facts.table)) {
    locked = s.facts.table;
  } else {
    for (const std::string& r : s.facts.referenced)
      if (!r.empty() && !m.IsNew(r)) {
        locked = r;
        level = LockLevel::kShareRowExclusive;
        break;
      }
  }
  if (locked.empty()) return;
  m.reporting_on = locked;
  if (!m.lock_timeout_set && !m.lock_timeout_reported) {
    m.lock_timeout_reported = true;
    report("missing-lock-timeout", 0,
           std::string(LockLevelName(level)) + " lock on " + locked +
               " without a lock_timeout set before it: waiting for it blocks every query on the "
               "table");
  }
  if (!m.statement_timeout_set && !m.statement_timeout_reported) {
    m.statement_timeout_reported = true;
    report("missing-statement-timeout", 0,
           std::string(LockLevelName(level)) + " lock on " + locked +
               " without a statement_timeout set before it: nothing bounds how long it is held");
  }
  m.reporting_on.clear();
}

}  // namespace cairn::runner::lint
