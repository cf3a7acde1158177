// Enum values and backfills: a new enum value used before the transaction
// that added it commits, values added between existing ones, and UPDATE
// backfills of existing tables that belong in a `-- cairn:batch` section.
#include "rules.h"

namespace cairn::runner::lint {
namespace {

using json = nlohmann::json;

// Calls `fn(text, location)` for every string constant in a node (deep).
void ForEachString(const json& node, const std::function<void(const std::string&, size_t)>& fn) {
  if (node.is_array()) {
    for (const json& e : node) ForEachString(e, fn);
    return;
  }
  if (!node.is_object()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it.key() == "A_Const" && it->is_object()) {
      const json& sval = Member(Member(*it, "sval"), "sval");
      if (sval.is_string())
        fn(sval.get<std::string>(), static_cast<size_t>(std::max(0, Int(*it, "location"))));
    } else {
      ForEachString(*it, fn);
    }
  }
}

// The column a ColumnRef names (its last field), or "".
std::string ColumnOf(const json& expr) {
  const json& fields = Member(NodeBody(expr), "fields");
  return NodeKind(expr) == "ColumnRef" && !fields.empty() ? StringValue(fields.back()) : "";
}

// Whether a WHERE clause only tests columns for NULL (`a IS NULL [AND b IS
// NULL ...]`): it selects "rows not filled yet", every row of a new column.
bool OnlyNullTests(const json& where, std::set<std::string>* columns) {
  if (NodeKind(where) == "NullTest") {
    const json& test = NodeBody(where);
    const std::string column = ColumnOf(Member(test, "arg"));
    if (Str(test, "nulltesttype") != "IS_NULL" || column.empty()) return false;
    columns->insert(column);
    return true;
  }
  if (NodeKind(where) == "BoolExpr" && Str(NodeBody(where), "boolop") == "AND_EXPR") {
    for (const json& a : Member(NodeBody(where), "args"))
      if (!OnlyNullTests(a, columns)) return false;
    return true;
  }
  return false;
}

}  // namespace

void CheckDataChanges(const StatementView& s, const MigrationState& m, const Report& report) {
  if (s.kind == "AlterEnumStmt" && !Str(s.body, "newVal").empty()) {
    const std::string neighbor = Str(s.body, "newValNeighbor");
    if (!neighbor.empty())
      report("enum-value-ordering", 0,
             "ADD VALUE '" + Str(s.body, "newVal") + "' " +
                 (Bool(s.body, "newValIsAfter") ? "AFTER" : "BEFORE") + " '" + neighbor +
                 "' puts it between existing values: ORDER BY and comparisons on the type place "
                 "it there, and comparisons with it are slower");
    return;
  }
  // A value added earlier in this transaction, used as a string constant.
  if (!m.enum_values_added.empty() && m.server_version >= 120000) {
    ForEachString(s.body, [&](const std::string& text, size_t at) {
      auto it = m.enum_values_added.find(text);
      if (it == m.enum_values_added.end()) return;
      report("enum-value-used-before-commit", at,
             "'" + text + "' was added to enum " + it->second +
                 " in this transaction: PostgreSQL refuses a new enum value until the "
                 "transaction that added it commits (unsafe use of new value)");
    });
  }
  if (s.kind != "UpdateStmt" || m.batch_section || m.IsNew(s.facts.table)) return;
  const json& where = Member(s.body, "whereClause");
  if (where.is_null()) return;  // update-without-where
  std::set<std::string> set_columns, null_tested;
  for (const json& t : Member(s.body, "targetList")) set_columns.insert(Str(NodeBody(t), "name"));
  for (const std::string& c : set_columns) {
    if (!m.added_columns.count(s.facts.table + "." + c)) continue;
    report("backfill-without-batch", 0,
           "UPDATE " + s.facts.table + " fills " + c +
               ", which this migration added: the ADD COLUMN's ACCESS EXCLUSIVE lock is held for "
               "the whole backfill; backfill in a later migration with -- cairn:batch");
    return;
  }
  if (OnlyNullTests(where, &null_tested)) {
    for (const std::string& c : null_tested)
      if (set_columns.count(c)) {
        report("backfill-without-batch", 0,
               "UPDATE " + s.facts.table + " ... WHERE " + c +
                   " IS NULL is a backfill: every row in one transaction (long row locks, a WAL "
                   "burst, replication lag); make it a -- cairn:batch section");
        return;
      }
  }
}

}  // namespace cairn::runner::lint
