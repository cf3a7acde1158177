// ALTER TABLE on a table the migration did not create: constraints that
// validate under the lock, columns that rewrite or fail, type changes,
// NOT NULL changes, dropped columns.
#include "rules.h"

namespace cairn::runner::lint {
namespace {

using json = nlohmann::json;

bool IsSerial(const std::string& type) {
  return type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial2" ||
         type == "serial4" || type == "serial8";
}

void CheckAddColumn(const json& column, const std::string& table, size_t at,
                    const MigrationState& m, const Report& report) {
  const std::string name = Str(column, "colname");
  const std::string type = TypeNameOf(Member(column, "typeName"));
  bool not_null = false, has_default = false, generated = false, primary = false, unique = false;
  bool volatile_default = false, identity = false;
  for (const json& c : Member(column, "constraints")) {
    const json& con = NodeBody(c);
    const std::string t = Str(con, "contype");
    if (t == "CONSTR_NOTNULL") not_null = true;
    if (t == "CONSTR_PRIMARY") primary = true;
    if (t == "CONSTR_UNIQUE") unique = true;
    if (t == "CONSTR_IDENTITY") identity = true;
    if (t == "CONSTR_GENERATED") generated = true;
    if (t == "CONSTR_DEFAULT") {
      has_default = true;
      volatile_default |= !IsNonVolatileExpr(Member(con, "raw_expr"));
    }
    if (t == "CONSTR_FOREIGN" && !Bool(con, "skip_validation"))
      report("adding-foreign-key-constraint", FirstLocation(c, at),
             "ADD COLUMN " + name + " REFERENCES validates the key on " + table +
                 " under a SHARE ROW EXCLUSIVE lock on both tables");
  }
  if (not_null && !has_default && !generated && !identity && !primary && !IsSerial(type))
    report("not-null-without-default", at,
           "ADD COLUMN " + name + " ... NOT NULL without DEFAULT on " + table +
               " fails on a table with rows");
  if ((primary || unique) && (IsSerial(type) || identity)) {
    report("adding-serial-primary-key-field", at,
           "ADD COLUMN " + name + " " + (identity ? "identity" : type) + " as a key rewrites " +
               table + " and builds its index under an ACCESS EXCLUSIVE lock");
  } else if (primary || unique) {
    report("disallowed-unique-constraint", at,
           "ADD COLUMN " + name + " UNIQUE/PRIMARY KEY builds its index on " + table +
               " under an ACCESS EXCLUSIVE lock");
  }
  const bool old_server = m.server_version < 110000;
  const bool key = primary || unique;
  if (generated || (!key && (identity || IsSerial(type))) ||
      (has_default && (volatile_default || old_server)))
    report("adding-field-with-default", at,
           "ADD COLUMN " + name +
               (generated                    ? " GENERATED ... STORED"
                : identity || IsSerial(type) ? " with a sequence default"
                                             : " with a volatile DEFAULT") +
               " rewrites " + table + " under an ACCESS EXCLUSIVE lock" +
               (old_server && !volatile_default && !generated ? " (before PostgreSQL 11)" : ""));
}

void CheckAddConstraint(const json& con, const std::string& table, size_t at,
                        const Report& report) {
  const std::string type = Str(con, "contype");
  const std::string name = Str(con, "conname");
  const std::string label = name.empty() ? "" : " " + name;
  if (type == "CONSTR_FOREIGN" && !Bool(con, "skip_validation"))
    report("adding-foreign-key-constraint", at,
           "ADD FOREIGN KEY" + label + " without NOT VALID scans " + table +
               " under a SHARE ROW EXCLUSIVE lock on both tables");
  if (type == "CONSTR_CHECK" && !Bool(con, "skip_validation"))
    report("constraint-missing-not-valid", at,
           "ADD CHECK" + label + " without NOT VALID scans " + table +
               " under an ACCESS EXCLUSIVE lock");
  if ((type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY" || type == "CONSTR_EXCLUSION") &&
      Str(con, "indexname").empty())
    report("disallowed-unique-constraint", at,
           std::string(type == "CONSTR_PRIMARY" ? "ADD PRIMARY KEY" : "ADD UNIQUE") + label +
               " builds its index on " + table +
               " under an ACCESS EXCLUSIVE lock; build it CONCURRENTLY and add USING INDEX");
}

}  // namespace

void CheckAlterTable(const StatementView& s, const MigrationState& m, const Report& report) {
  if (s.kind != "AlterTableStmt" || Str(s.body, "objtype") != "OBJECT_TABLE") return;
  const std::string& table = s.facts.table;
  if (m.IsNew(table)) return;
  const json& cmds = Member(s.body, "cmds");
  for (size_t i = 0; i < cmds.size(); ++i) {
    const json& cmd = NodeBody(cmds[i]);
    const size_t at = i < s.cmd_offsets.size() ? s.cmd_offsets[i] : 0;
    const std::string sub = Str(cmd, "subtype");
    const std::string column = Str(cmd, "name");
    if (sub == "AT_AddColumn") {
      CheckAddColumn(NodeBody(Member(cmd, "def")), table, at, m, report);
    } else if (sub == "AT_AddConstraint") {
      CheckAddConstraint(NodeBody(Member(cmd, "def")), table, at, report);
    } else if (sub == "AT_ValidateConstraint") {
      // The ADD ... NOT VALID's lock is still held in the same transaction.
      if (m.file_in_transaction && m.not_valid_added.count(column))
        report("constraint-missing-not-valid", at,
               "VALIDATE CONSTRAINT " + column +
                   " in the transaction that added it NOT VALID scans " + table +
                   " while still holding the ADD's lock; validate in a later migration");
    } else if (sub == "AT_AlterColumnType") {
      report("column-type-change", at,
             "ALTER COLUMN " + column + " TYPE may rewrite " + table +
                 " under an ACCESS EXCLUSIVE lock");
    } else if (sub == "AT_SetNotNull") {
      if (m.server_version >= 120000 && m.validated_not_null.count(table + "." + column)) continue;
      report("adding-not-nullable-field", at,
             "ALTER COLUMN " + column + " SET NOT NULL scans " + table +
                 " under an ACCESS EXCLUSIVE lock");
    } else if (sub == "AT_DropNotNull") {
      report("ban-drop-not-null", at,
             "ALTER COLUMN " + column + " DROP NOT NULL lets NULLs into " + table +
                 " that running code may not expect");
    } else if (sub == "AT_DropColumn") {
      report("drop-column", at, "DROP COLUMN " + column + " destroys its data in " + table);
    }
  }
}

}  // namespace cairn::runner::lint
