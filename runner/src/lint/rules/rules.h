// Internal: the lint rules over PostgreSQL parse trees. Each rule has an id,
// a severity and a paragraph in docs/lint.md with the safe alternative; the
// table is in rules.cc, the checks in one small file per theme.
#ifndef CAIRN_RUNNER_SRC_LINT_RULES_RULES_H_
#define CAIRN_RUNNER_SRC_LINT_RULES_RULES_H_

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../statement_facts.h"

namespace cairn::runner::lint {

enum class Severity {
  kError,    // locks or rewrites a busy table, or loses data: on by default
  kWarning,  // fragile, but not dangerous by itself: on by default
  kHint,     // a type or style preference: off unless enabled
};
std::string_view SeverityName(Severity s);  // "error", "warning", "hint"

struct RuleInfo {
  std::string_view id;
  Severity severity;
  std::string_view summary;  // one line
  std::string_view squawk;   // squawk's name for the same check ("" if none)
};

// Every rule, in the order of docs/lint.md.
const std::vector<RuleInfo>& AllRules();
// A rule by id, or by its squawk name (accepted in lint-ignore comments);
// nullptr if unknown.
const RuleInfo* FindRule(std::string_view id_or_squawk_name);

// What the rules know about the migration so far (earlier statements of the
// up section, and earlier migrations of the folder).
struct MigrationState {
  int server_version = 150000;
  // Tables and indexes created before this statement (lower-cased names,
  // without schema): changes to them cannot block anyone.
  std::set<std::string> created;
  bool lock_timeout_set = false;       // SET lock_timeout or the directive
  bool statement_timeout_set = false;  // SET statement_timeout or the directive
  bool lock_timeout_reported = false;
  bool statement_timeout_reported = false;
  bool in_explicit_transaction = false;  // after BEGIN, before COMMIT/ROLLBACK
  bool file_in_transaction = true;       // the file runs in one transaction
  // CHECK (col IS NOT NULL) constraints: name -> "table.column"; and the
  // "table.column"s whose such constraint was validated.
  std::map<std::string, std::string> not_null_checks;
  // Constraints added NOT VALID earlier in this migration, by name.
  std::set<std::string> not_valid_added;
  std::set<std::string> validated_not_null;
  // Enum values added earlier in this migration: label -> type.
  std::map<std::string, std::string> enum_values_added;
  // "table.column" added by ADD COLUMN to an existing table in this migration.
  std::set<std::string> added_columns;
  bool batch_section = false;  // the up section is a -- cairn:batch section
  // "table.constraint" dropped by DROP CONSTRAINT IF EXISTS earlier: an ADD
  // CONSTRAINT of that name after it can be re-run.
  std::set<std::string> dropped_if_exists;
  // While set, the table the findings being reported are about, when it is
  // not the statement's own (a new table's foreign key locks the table it
  // references): what table sizes are looked up for.
  std::string reporting_on;

  bool IsNew(const std::string& table) const { return created.count(table) > 0; }
};

// One statement as the checks see it.
struct StatementView {
  std::string_view kind;        // "AlterTableStmt"
  const nlohmann::json& body;   // the node's body
  const StatementFacts& facts;  // ClassifyStatement
  std::string_view text;        // the statement's text (locations are offsets in it)
  // For ALTER TABLE: the byte offset of each subcommand in `text` (the
  // parse tree has no location for most of them).
  std::vector<size_t> cmd_offsets;
};

// rule id, byte offset in the statement's text, message.
using Report = std::function<void(std::string_view rule, size_t offset, std::string message)>;

// The checks, one per theme. Each reads the state; Advance updates it after
// every check has seen the statement.
void CheckAlterTable(const StatementView& s, const MigrationState& m, const Report& report);
void CheckIndexes(const StatementView& s, const MigrationState& m, const Report& report);
void CheckDestructive(const StatementView& s, const MigrationState& m, const Report& report);
void CheckTypes(const StatementView& s, const MigrationState& m, const Report& report);
void CheckNames(const StatementView& s, const MigrationState& m, const Report& report);
void CheckTransactions(const StatementView& s, MigrationState& m, const Report& report);
void CheckDataChanges(const StatementView& s, const MigrationState& m, const Report& report);
void Advance(const StatementView& s, MigrationState& m);

// The smallest "location" in a node (deep), or `fallback`.
size_t FirstLocation(const nlohmann::json& node, size_t fallback);
// "varchar", "int4", "serial", ... : the last part of a TypeName's names.
std::string TypeNameOf(const nlohmann::json& type_name);

}  // namespace cairn::runner::lint

#endif  // CAIRN_RUNNER_SRC_LINT_RULES_RULES_H_
