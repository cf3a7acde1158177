#include "rules.h"

#include <algorithm>

namespace cairn::runner::lint {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kHint:
      return "hint";
  }
  return "error";
}

const std::vector<RuleInfo>& AllRules() {
  using enum Severity;
  static const std::vector<RuleInfo> rules = {
      {"parse-error", kError, "a statement PostgreSQL's grammar rejects", ""},
      {"index-without-concurrently", kError,
       "CREATE INDEX without CONCURRENTLY on a table the migration did not create",
       "require-concurrent-index-creation"},
      {"require-concurrent-index-deletion", kError, "DROP INDEX without CONCURRENTLY",
       "require-concurrent-index-deletion"},
      {"ban-concurrent-index-creation-in-transaction", kError,
       "a statement that cannot run in a transaction inside BEGIN ... COMMIT",
       "ban-concurrent-index-creation-in-transaction"},
      {"adding-foreign-key-constraint", kError, "a FOREIGN KEY added without NOT VALID",
       "adding-foreign-key-constraint"},
      {"constraint-missing-not-valid", kError,
       "a CHECK constraint added without NOT VALID, or validated in the transaction that added it",
       "constraint-missing-not-valid"},
      {"not-null-without-default", kError, "ADD COLUMN ... NOT NULL without DEFAULT",
       "adding-required-field"},
      {"adding-not-nullable-field", kError,
       "ALTER COLUMN ... SET NOT NULL without a validated CHECK (col IS NOT NULL)",
       "adding-not-nullable-field"},
      {"adding-field-with-default", kError,
       "ADD COLUMN with a volatile DEFAULT (any DEFAULT before PostgreSQL 11)",
       "adding-field-with-default"},
      {"adding-serial-primary-key-field", kError,
       "ADD COLUMN serial/identity PRIMARY KEY to an existing table",
       "adding-serial-primary-key-field"},
      {"column-type-change", kError, "ALTER COLUMN ... TYPE (may rewrite the table)",
       "changing-column-type"},
      {"disallowed-unique-constraint", kError,
       "ADD UNIQUE / PRIMARY KEY constraint that builds its index under the lock",
       "disallowed-unique-constraint"},
      {"missing-lock-timeout", kError,
       "a locking statement without SET lock_timeout or -- cairn:lock-timeout before it",
       "require-lock-timeout"},
      {"drop-column", kError, "ALTER TABLE ... DROP COLUMN", "ban-drop-column"},
      {"drop-table", kError, "DROP TABLE", "ban-drop-table"},
      {"ban-drop-database", kError, "DROP DATABASE", "ban-drop-database"},
      {"ban-drop-not-null", kError, "ALTER COLUMN ... DROP NOT NULL", "ban-drop-not-null"},
      {"renaming-column", kError, "ALTER TABLE ... RENAME COLUMN", "renaming-column"},
      {"renaming-table", kError, "ALTER TABLE ... RENAME TO", "renaming-table"},
      {"update-without-where", kError, "UPDATE of an existing table without WHERE", ""},
      {"delete-without-where", kError, "DELETE from an existing table without WHERE", ""},
      {"backfill-without-batch", kError,
       "an UPDATE backfill of an existing table outside a -- cairn:batch section", ""},
      {"enum-value-used-before-commit", kError,
       "a new enum value used in the transaction that added it", ""},
      {"enum-value-ordering", kWarning, "ALTER TYPE ... ADD VALUE BEFORE/AFTER an existing value",
       ""},
      {"down-does-not-reverse-up", kError,
       "the down section does not return the schema to what it was (lint --rehearse)", ""},
      {"up-fails-on-rehearsal", kError,
       "the up section fails on a copy of the target (lint --rehearse)", ""},
      {"no-down-section", kWarning,
       "a pending migration without a down section cannot be rolled back (lint --rehearse)", ""},
      {"transaction-nesting", kError,
       "BEGIN/COMMIT/ROLLBACK in a migration cairn wraps in a "
       "transaction",
       "transaction-nesting"},
      {"prefer-robust-stmts", kWarning,
       "CREATE/DROP/ADD without IF [NOT] EXISTS in a migration that runs outside a transaction",
       "prefer-robust-stmts"},
      {"identifier-too-long", kWarning,
       "a table, column, index or constraint name longer than 63 bytes (truncated)",
       "identifier-too-long"},
      {"missing-statement-timeout", kHint,
       "a locking statement without SET statement_timeout or -- cairn:statement-timeout",
       "require-statement-timeout"},
      {"prefer-text-field", kHint, "varchar(n) column (text with a CHECK can change freely)",
       "prefer-text-field"},
      {"prefer-timestamptz", kHint, "timestamp without time zone column", "prefer-timestamp-tz"},
      {"prefer-bigint-over-int", kHint, "int/smallint column (ids overflow)",
       "prefer-bigint-over-int"},
      {"prefer-identity", kHint, "serial column (use GENERATED ... AS IDENTITY)",
       "prefer-identity"},
      {"ban-char-field", kHint, "char(n) column", "ban-char-field"},
  };
  return rules;
}

const RuleInfo* FindRule(std::string_view name) {
  for (const RuleInfo& r : AllRules())
    if (r.id == name || (!r.squawk.empty() && r.squawk == name)) return &r;
  return nullptr;
}

size_t FirstLocation(const nlohmann::json& node, size_t fallback) {
  size_t best = fallback;
  bool found = false;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& n) {
    if (n.is_object()) {
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (it.key() == "location" && it->is_number_integer() && it->get<int64_t>() >= 0) {
          const size_t at = static_cast<size_t>(it->get<int64_t>());
          if (!found || at < best) best = at;
          found = true;
        } else {
          walk(*it);
        }
      }
    } else if (n.is_array()) {
      for (const auto& e : n) walk(e);
    }
  };
  walk(node);
  return best;
}

std::string TypeNameOf(const nlohmann::json& type_name) {
  const nlohmann::json& names = Member(type_name, "names");
  return names.empty() ? std::string() : StringValue(names.back());
}

void Advance(const StatementView& s, MigrationState& m) {
  if (!s.facts.created.empty()) m.created.insert(s.facts.created);
  if (s.kind == "VariableSetStmt") {
    const std::string name = Str(s.body, "name");
    if (name == "lock_timeout") m.lock_timeout_set = true;
    if (name == "statement_timeout") m.statement_timeout_set = true;
  }
  // A new table, view, sequence or index renamed stays new (a column rename
  // names no relation).
  if (s.kind == "RenameStmt" && Str(s.body, "renameType") != "OBJECT_COLUMN" &&
      !RelName(Member(s.body, "relation")).empty() && m.IsNew(RelName(Member(s.body, "relation"))))
    m.created.insert(Str(s.body, "newname"));
  if (s.kind == "AlterEnumStmt" && !Str(s.body, "newVal").empty()) {
    const auto& names = Member(s.body, "typeName");
    m.enum_values_added[Str(s.body, "newVal")] = names.empty() ? "" : StringValue(names.back());
  }
  if (s.kind != "AlterTableStmt") return;
  const std::string table = s.facts.table;
  for (const auto& c : Member(s.body, "cmds")) {
    const auto& cmd = NodeBody(c);
    const std::string sub = Str(cmd, "subtype");
    if (sub == "AT_DropConstraint" && Bool(cmd, "missing_ok"))
      m.dropped_if_exists.insert(table + "." + Str(cmd, "name"));
    if (sub == "AT_AddColumn" && !m.IsNew(table))
      m.added_columns.insert(table + "." + Str(NodeBody(Member(cmd, "def")), "colname"));
    if (sub == "AT_AddConstraint") {
      const auto& con = NodeBody(Member(cmd, "def"));
      if (Bool(con, "skip_validation")) m.not_valid_added.insert(Str(con, "conname"));
      const auto& expr = Member(con, "raw_expr");
      if (Str(con, "contype") != "CONSTR_CHECK" || NodeKind(expr) != "NullTest") continue;
      const auto& test = NodeBody(expr);
      const auto& fields = Member(NodeBody(Member(test, "arg")), "fields");
      if (Str(test, "nulltesttype") != "IS_NOT_NULL" || fields.empty()) continue;
      const std::string key = table + "." + StringValue(fields.back());
      if (Bool(con, "skip_validation"))
        m.not_null_checks[Str(con, "conname")] = key;
      else
        m.validated_not_null.insert(key);
    } else if (sub == "AT_ValidateConstraint") {
      auto it = m.not_null_checks.find(Str(cmd, "name"));
      if (it != m.not_null_checks.end()) m.validated_not_null.insert(it->second);
    }
  }
}

}  // namespace cairn::runner::lint
