#include "statement_facts.h"

#include <algorithm>
#include <array>
#include <vector>

namespace cairn::runner::lint {
namespace {

using json = nlohmann::json;

const json& Null() {
  static const json null;
  return null;
}

// The lock ALTER TABLE takes for one subcommand (PostgreSQL's
// AlterTableGetLockLevel): most take ACCESS EXCLUSIVE.
LockLevel AlterCmdLock(const json& cmd) {
  const std::string sub = Str(cmd, "subtype");
  if (sub == "AT_ValidateConstraint" || sub == "AT_SetStatistics" || sub == "AT_ClusterOn" ||
      sub == "AT_DropCluster" || sub == "AT_SetRelOptions" || sub == "AT_ResetRelOptions" ||
      sub == "AT_AttachPartition" || sub == "AT_DetachPartitionFinalize")
    return LockLevel::kShareUpdateExclusive;
  if (sub == "AT_DetachPartition")
    return Bool(NodeBody(Member(cmd, "def")), "concurrent") ? LockLevel::kShareUpdateExclusive
                                                            : LockLevel::kAccessExclusive;
  if (sub == "AT_EnableTrig" || sub == "AT_DisableTrig" || sub == "AT_EnableAlwaysTrig" ||
      sub == "AT_EnableReplicaTrig" || sub == "AT_EnableTrigAll" || sub == "AT_DisableTrigAll" ||
      sub == "AT_EnableTrigUser" || sub == "AT_DisableTrigUser")
    return LockLevel::kShareRowExclusive;
  if (sub == "AT_AddConstraint") {
    const json& def = NodeBody(Member(cmd, "def"));
    if (Str(def, "contype") == "CONSTR_FOREIGN") return LockLevel::kShareRowExclusive;
  }
  return LockLevel::kAccessExclusive;
}

// Whether ADD COLUMN copies the table: a volatile DEFAULT (any DEFAULT
// before PostgreSQL 11), a stored generated column, or an identity column.
bool AddColumnRewrites(const json& column_def, int server_version) {
  for (const json& c : Member(column_def, "constraints")) {
    const json& con = NodeBody(c);
    const std::string type = Str(con, "contype");
    if (type == "CONSTR_DEFAULT" &&
        (server_version < 110000 || !IsNonVolatileExpr(Member(con, "raw_expr"))))
      return true;
    if (type == "CONSTR_GENERATED" || type == "CONSTR_IDENTITY") return true;
  }
  const json& names = Member(Member(column_def, "typeName"), "names");
  if (!names.empty()) {
    const std::string t = StringValue(names.back());
    if (t == "serial" || t == "bigserial" || t == "smallserial" || t == "serial4" ||
        t == "serial8" || t == "serial2")
      return true;  // a sequence default: volatile
  }
  return false;
}

void ClassifyAlterTable(const json& s, int server_version, StatementFacts* f) {
  f->table = RelName(Member(s, "relation"));
  for (const json& c : Member(s, "cmds")) {
    const json& cmd = NodeBody(c);
    f->lock = std::max(f->lock, AlterCmdLock(cmd));
    const std::string sub = Str(cmd, "subtype");
    if (sub == "AT_AlterColumnType" || sub == "AT_SetLogged" || sub == "AT_SetUnLogged" ||
        sub == "AT_SetAccessMethod" || sub == "AT_SetTableSpace")
      f->rewrites_table = true;
    if (sub == "AT_AddColumn" && AddColumnRewrites(NodeBody(Member(cmd, "def")), server_version))
      f->rewrites_table = true;
    if (sub == "AT_AddColumn")
      for (const json& c : Member(NodeBody(Member(cmd, "def")), "constraints"))
        if (Str(NodeBody(c), "contype") == "CONSTR_FOREIGN")
          f->referenced.push_back(RelName(Member(NodeBody(c), "pktable")));
    if (sub == "AT_SetNotNull" || sub == "AT_ValidateConstraint") f->scans_table = true;
    // PostgreSQL refuses DETACH PARTITION ... CONCURRENTLY in a transaction block.
    if (sub == "AT_DetachPartition" && Bool(NodeBody(Member(cmd, "def")), "concurrent"))
      f->runs_in_transaction = false;
    if (sub == "AT_AddConstraint") {
      const json& con = NodeBody(Member(cmd, "def"));
      const std::string type = Str(con, "contype");
      if ((type == "CONSTR_CHECK" || type == "CONSTR_FOREIGN") && !Bool(con, "skip_validation"))
        f->scans_table = true;
      if (type == "CONSTR_FOREIGN") f->referenced.push_back(RelName(Member(con, "pktable")));
      if (type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY" || type == "CONSTR_EXCLUSION")
        f->scans_table = Str(con, "indexname").empty();  // builds an index unless USING INDEX
    }
  }
}

}  // namespace

std::string_view LockLevelName(LockLevel level) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "",      "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
      "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"};
  return kNames[static_cast<size_t>(level)];
}

std::string_view NodeKind(const json& node) {
  if (!node.is_object() || node.empty()) return {};
  return node.begin().key();
}

const json& NodeBody(const json& node) {
  if (!node.is_object() || node.empty()) return Null();
  return node.begin().value();
}

const json& Member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return Null();
  auto it = obj.find(key);
  return it == obj.end() ? Null() : *it;
}

std::string Str(const json& obj, std::string_view key) {
  const json& v = Member(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool Bool(const json& obj, std::string_view key) {
  const json& v = Member(obj, key);
  return v.is_boolean() && v.get<bool>();
}

int Int(const json& obj, std::string_view key) {
  const json& v = Member(obj, key);
  return v.is_number_integer() ? v.get<int>() : 0;
}

std::string RelName(const json& range_var) { return Str(range_var, "relname"); }

std::string StringValue(const json& string_node) {
  return Str(Member(string_node, "String"), "sval");
}

bool IsNonVolatileExpr(const json& expr) {
  const std::string_view kind = NodeKind(expr);
  const json& body = NodeBody(expr);
  if (kind == "A_Const" || kind == "SQLValueFunction") return true;  // CURRENT_TIMESTAMP: stable
  if (kind == "TypeCast" || kind == "NamedArgExpr") return IsNonVolatileExpr(Member(body, "arg"));
  if (kind == "A_Expr")
    return (Member(body, "lexpr").is_null() || IsNonVolatileExpr(Member(body, "lexpr"))) &&
           (Member(body, "rexpr").is_null() || IsNonVolatileExpr(Member(body, "rexpr")));
  if (kind == "A_ArrayExpr" || kind == "BoolExpr" || kind == "FuncCall") {
    if (kind == "FuncCall") {
      const json& names = Member(body, "funcname");
      const std::string name = names.empty() ? "" : StringValue(names.back());
      // Built-in functions that are immutable or stable (pg_proc.provolatile
      // 'i' or 's'): a default calling them is evaluated once.
      static constexpr std::array<std::string_view, 31> kStable = {"now",
                                                                   "statement_timestamp",
                                                                   "transaction_timestamp",
                                                                   "current_date",
                                                                   "lower",
                                                                   "upper",
                                                                   "coalesce",
                                                                   "length",
                                                                   "char_length",
                                                                   "jsonb_build_object",
                                                                   "json_build_object",
                                                                   "jsonb_build_array",
                                                                   "json_build_array",
                                                                   "to_jsonb",
                                                                   "to_json",
                                                                   "array_length",
                                                                   "timezone",
                                                                   "date_trunc",
                                                                   "date_part",
                                                                   "extract",
                                                                   "make_interval",
                                                                   "make_date",
                                                                   "make_timestamp",
                                                                   "make_timestamptz",
                                                                   "concat",
                                                                   "concat_ws",
                                                                   "btrim",
                                                                   "replace",
                                                                   "round",
                                                                   "abs",
                                                                   "md5"};
      if (std::find(kStable.begin(), kStable.end(), name) == kStable.end()) return false;
    }
    for (const char* key : {"args", "elements"})
      for (const json& a : Member(body, key))
        if (!IsNonVolatileExpr(a)) return false;
    return true;
  }
  return false;
}

StatementFacts ClassifyStatement(const json& stmt, int server_version) {
  StatementFacts f;
  f.kind = std::string(NodeKind(stmt));
  const json& s = NodeBody(stmt);
  const std::string& k = f.kind;
  if (k == "AlterTableStmt") {
    ClassifyAlterTable(s, server_version, &f);
  } else if (k == "IndexStmt") {
    f.table = RelName(Member(s, "relation"));
    const bool concurrent = Bool(s, "concurrent");
    f.lock = concurrent ? LockLevel::kShareUpdateExclusive : LockLevel::kShare;
    f.runs_in_transaction = !concurrent;
    // ON ONLY a partitioned table: an invalid index, built on no partition.
    f.scans_table = Bool(Member(s, "relation"), "inh");
    f.created = Str(s, "idxname");
  } else if (k == "DropStmt") {
    const json& objects = Member(s, "objects");
    const std::string type = Str(s, "removeType");
    if (!objects.empty() && Member(objects[0], "List").is_object()) {
      const json& items = Member(Member(objects[0], "List"), "items");
      if (!items.empty()) f.table = StringValue(items.back());
    }
    // A trigger, policy or rule is named "[schema.]table.name": the lock is
    // on the table.
    if ((type == "OBJECT_TRIGGER" || type == "OBJECT_POLICY" || type == "OBJECT_RULE") &&
        !objects.empty()) {
      const json& items = Member(Member(objects[0], "List"), "items");
      f.table = items.size() >= 2 ? StringValue(items[items.size() - 2]) : "";
    }
    if (type == "OBJECT_INDEX") {
      const bool concurrent = Bool(s, "concurrent");
      f.lock = concurrent ? LockLevel::kShareUpdateExclusive : LockLevel::kAccessExclusive;
      f.runs_in_transaction = !concurrent;
    } else if (type == "OBJECT_TABLE" || type == "OBJECT_MATVIEW" || type == "OBJECT_VIEW" ||
               type == "OBJECT_SEQUENCE" || type == "OBJECT_TRIGGER") {
      f.lock = LockLevel::kAccessExclusive;
    }
  } else if (k == "RenameStmt") {
    f.table = RelName(Member(s, "relation"));
    if (!f.table.empty()) f.lock = LockLevel::kAccessExclusive;
  } else if (k == "CreateStmt" || k == "CreateTableAsStmt") {
    const json& rel = k == "CreateStmt" ? Member(s, "relation") : Member(Member(s, "into"), "rel");
    f.created = RelName(rel);
    // PARTITION OF takes ACCESS EXCLUSIVE on the parent.
    const json& parents = Member(s, "inhRelations");
    if (!Member(s, "partbound").is_null() && !parents.empty()) {
      f.table = RelName(NodeBody(parents[0]));
      f.lock = LockLevel::kAccessExclusive;
    }
    // A FOREIGN KEY locks the table it references (SHARE ROW EXCLUSIVE).
    for (const json& e : Member(s, "tableElts")) {
      const json& body = NodeBody(e);
      std::vector<const json*> constraints;
      if (NodeKind(e) == "Constraint") constraints.push_back(&body);
      for (const json& c : Member(body, "constraints")) constraints.push_back(&NodeBody(c));
      for (const json* con : constraints) {
        if (Str(*con, "contype") != "CONSTR_FOREIGN") continue;
        f.referenced.push_back(RelName(Member(*con, "pktable")));
        if (f.table.empty()) {
          f.table = f.referenced.back();
          f.lock = LockLevel::kShareRowExclusive;
        }
      }
    }
  } else if (k == "UpdateStmt" || k == "DeleteStmt" || k == "InsertStmt" || k == "MergeStmt") {
    f.table = RelName(Member(s, "relation"));
    f.lock = LockLevel::kRowExclusive;
  } else if (k == "SelectStmt") {
    f.lock = LockLevel::kAccessShare;
    f.created = RelName(Member(Member(s, "intoClause"), "rel"));  // SELECT ... INTO t
  } else if (k == "ViewStmt") {
    // CREATE OR REPLACE may replace an existing view: not provably new.
    if (!Bool(s, "replace")) f.created = RelName(Member(s, "view"));
  } else if (k == "CreateSeqStmt") {
    f.created = RelName(Member(s, "sequence"));
  } else if (k == "AlterSeqStmt") {
    // It blocks nextval() on the sequence (and so inserts that use it).
    f.table = RelName(Member(s, "sequence"));
    f.lock = LockLevel::kShareRowExclusive;
  } else if (k == "CommentStmt") {
    // COMMENT ON TABLE/COLUMN/VIEW ... takes SHARE UPDATE EXCLUSIVE on it.
    const std::string type = Str(s, "objtype");
    const json& items = Member(Member(s, "object"), "List").is_object()
                            ? Member(Member(Member(s, "object"), "List"), "items")
                            : Null();
    const bool column = type == "OBJECT_COLUMN";
    if ((column || type == "OBJECT_TABLE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW" ||
         type == "OBJECT_FOREIGN_TABLE") &&
        items.size() >= (column ? 2u : 1u)) {
      f.table = StringValue(items[items.size() - (column ? 2 : 1)]);
      f.lock = LockLevel::kShareUpdateExclusive;
    }
  } else if (k == "TruncateStmt" || k == "ClusterStmt") {
    const json& rels = Member(s, "relations");
    f.table = rels.empty() ? RelName(Member(s, "relation")) : RelName(NodeBody(rels[0]));
    f.lock = LockLevel::kAccessExclusive;
    f.rewrites_table = k == "ClusterStmt";
  } else if (k == "VacuumStmt") {
    f.runs_in_transaction = !Bool(s, "is_vacuumcmd");  // ANALYZE alone can
    f.lock = LockLevel::kShareUpdateExclusive;
    const json& rels = Member(s, "rels");
    if (!rels.empty()) f.table = RelName(Member(NodeBody(rels[0]), "relation"));
    for (const json& opt : Member(s, "options"))
      if (Str(NodeBody(opt), "defname") == "full") {
        f.lock = LockLevel::kAccessExclusive;
        f.rewrites_table = true;
      }
  } else if (k == "ReindexStmt") {
    f.table = RelName(Member(s, "relation"));
    bool concurrent = false;
    for (const json& p : Member(s, "params"))
      concurrent |= Str(NodeBody(p), "defname") == "concurrently";
    f.lock = concurrent ? LockLevel::kShareUpdateExclusive : LockLevel::kShare;
    f.runs_in_transaction = !concurrent;
  } else if (k == "CreateTrigStmt") {
    f.table = RelName(Member(s, "relation"));
    f.lock = LockLevel::kShareRowExclusive;
  } else if (k == "RefreshMatViewStmt") {
    f.table = RelName(Member(s, "relation"));
    f.lock = Bool(s, "concurrent") ? LockLevel::kExclusive : LockLevel::kAccessExclusive;
  } else if (k == "LockStmt") {
    const json& rels = Member(s, "relations");
    if (!rels.empty()) f.table = RelName(NodeBody(rels[0]));
    f.lock = static_cast<LockLevel>(std::clamp(Int(s, "mode"), 0, 8));
  } else if (k == "TransactionStmt") {
    f.transaction_control = true;
  } else if (k == "CreatedbStmt" || k == "DropdbStmt" || k == "AlterSystemStmt" ||
             k == "CreateTableSpaceStmt" || k == "DropTableSpaceStmt") {
    f.runs_in_transaction = false;
  } else if (k == "AlterEnumStmt") {
    // ADD VALUE could not run in a transaction block before PostgreSQL 12.
    f.runs_in_transaction = server_version >= 120000 || Str(s, "oldVal").size() > 0;
  }
  return f;
}

}  // namespace cairn::runner::lint
