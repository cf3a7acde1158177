// Statements that destroy data or break the running application: drops,
// renames, and UPDATE/DELETE without WHERE on a table with rows.
#include "rules.h"

namespace cairn::runner::lint {

void CheckDestructive(const StatementView& s, const MigrationState& m, const Report& report) {
  if (s.kind == "DropStmt" && Str(s.body, "removeType") == "OBJECT_TABLE") {
    for (const auto& obj : Member(s.body, "objects")) {
      const auto& items = Member(Member(obj, "List"), "items");
      const std::string name = items.empty() ? "" : StringValue(items.back());
      if (!m.IsNew(name))
        report("drop-table", 0, "DROP TABLE " + name + " destroys the table and its data");
    }
  } else if (s.kind == "DropdbStmt") {
    report("ban-drop-database", 0,
           "DROP DATABASE " + Str(s.body, "dbname") + " destroys a whole database");
  } else if (s.kind == "RenameStmt" && !m.IsNew(s.facts.table)) {
    const std::string type = Str(s.body, "renameType");
    const std::string rel_type = Str(s.body, "relationType");
    if (type == "OBJECT_COLUMN" && rel_type == "OBJECT_TABLE")
      report("renaming-column", 0,
             "RENAME COLUMN " + Str(s.body, "subname") + " of " + s.facts.table +
                 " breaks running code that still uses the old name");
    if (type == "OBJECT_TABLE")
      report("renaming-table", 0,
             "RENAME " + s.facts.table + " TO " + Str(s.body, "newname") +
                 " breaks running code that still uses the old name");
  } else if ((s.kind == "UpdateStmt" || s.kind == "DeleteStmt") &&
             Member(s.body, "whereClause").is_null() && !m.IsNew(s.facts.table)) {
    const bool update = s.kind == "UpdateStmt";
    report(update ? "update-without-where" : "delete-without-where", 0,
           std::string(update ? "UPDATE " : "DELETE FROM ") + s.facts.table + " without WHERE " +
               (update ? "rewrites" : "deletes") +
               " every row in one transaction; batch it (-- cairn:batch) or add a WHERE");
  }
}

}  // namespace cairn::runner::lint
