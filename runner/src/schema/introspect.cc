// Introspection: the schema model read from SQLite's pragmas and
// sqlite_schema, or from PostgreSQL's pg_catalog. A fixed handful of catalog
// queries per call, whatever the number of tables.
#include <algorithm>
#include <cctype>
#include <map>

#include "cairn/base/hash.h"
#include "cairn/schema/model.h"

namespace cairn::schema {
namespace {

// ---------------------------------------------------------------- SQLite

constexpr const char* kSqliteTables =
    "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "AND m.name NOT LIKE 'cairn\\_%' ESCAPE '\\'";

// Finds `CHECK (...)` clauses outside quotes in a CREATE TABLE text.
std::vector<std::string> ScanChecks(std::string_view sql) {
  std::vector<std::string> out;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      for (++i; i < sql.size() && sql[i] != close; ++i) {
      }
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
      continue;
    }
    auto word_char = [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    };
    if ((i > 0 && word_char(sql[i - 1])) || i + 5 > sql.size()) continue;
    std::string word;
    for (size_t k = 0; k < 5; ++k)
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i + k])));
    if (word != "check" || (i + 5 < sql.size() && word_char(sql[i + 5]))) continue;
    size_t p = i + 5;
    while (p < sql.size() && std::isspace(static_cast<unsigned char>(sql[p]))) ++p;
    if (p >= sql.size() || sql[p] != '(') continue;
    int depth = 0;
    size_t start = p + 1, q = p;
    for (; q < sql.size(); ++q) {
      char d = sql[q];
      if (d == '\'' || d == '"' || d == '`') {
        for (++q; q < sql.size() && sql[q] != d; ++q) {
        }
        continue;
      }
      if (d == '(') ++depth;
      if (d == ')' && --depth == 0) break;
    }
    if (q >= sql.size()) break;
    out.push_back(NormalizeSql(sql.substr(start, q - start)));
    i = q;
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& cols) {
  std::string out;
  for (const std::string& c : cols) out += "_" + c;
  return out;
}

StatusOr<Model> IntrospectSqlite(db::Connection& conn) {
  Model m;
  m.backend = db::Backend::kSqlite;
  const std::string where = kSqliteTables;
  CAIRN_ASSIGN_OR_RETURN(auto tables,
                         conn.Query("SELECT m.name, m.sql FROM sqlite_schema m WHERE " + where));
  std::map<std::string, std::string> key_of;  // raw name -> model key
  for (const auto& r : tables) {
    Table t;
    t.name = r[0].AsText();
    for (const std::string& expr : ScanChecks(r[1].AsText())) {
      Constraint c;
      c.kind = ConstraintKind::kCheck;
      c.expression = expr;
      c.name = t.name + "_check_" + ledger::ToHex(ledger::Sha256(expr)).substr(0, 8);
      t.constraints.push_back(std::move(c));
    }
    key_of[t.name] = t.QualifiedName();
    m.tables[t.QualifiedName()] = std::move(t);
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto cols,
      conn.Query("SELECT m.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk "
                 "FROM sqlite_schema m JOIN pragma_table_info(m.name) p WHERE " +
                 where + " ORDER BY m.name, p.cid"));
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> pks;
  for (const auto& r : cols) {
    Table& t = m.tables[key_of[r[0].AsText()]];
    Column c;
    c.position = static_cast<int>(r[1].AsInt());
    c.name = r[2].AsText();
    c.type = NormalizeSql(r[3].AsText());
    c.not_null = r[4].AsInt() != 0;
    if (!r[5].is_null()) c.default_expr = NormalizeSql(r[5].AsText());
    if (r[6].AsInt() > 0) pks[t.name].push_back({r[6].AsInt(), c.name});
    t.columns.push_back(std::move(c));
  }
  for (auto& [table, cols_by_pos] : pks) {
    std::sort(cols_by_pos.begin(), cols_by_pos.end());
    Constraint c;
    c.kind = ConstraintKind::kPrimaryKey;
    c.name = table + "_pkey";
    for (auto& p : cols_by_pos) c.columns.push_back(p.second);
    m.tables[key_of[table]].constraints.push_back(std::move(c));
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto fks,
      conn.Query("SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete "
                 "FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f WHERE " +
                 where + " ORDER BY m.name, f.id, f.seq"));
  std::map<std::pair<std::string, int64_t>, Constraint> fk_by_id;
  std::vector<std::pair<std::string, int64_t>> fk_order;
  for (const auto& r : fks) {
    auto id = std::make_pair(r[0].AsText(), r[1].AsInt());
    auto [it, fresh] = fk_by_id.try_emplace(id);
    Constraint& c = it->second;
    if (fresh) {
      fk_order.push_back(id);
      c.kind = ConstraintKind::kForeignKey;
      c.ref_table = CanonicalIdent(r[2].AsText());
      c.on_update = NormalizeSql(r[5].AsText());
      c.on_delete = NormalizeSql(r[6].AsText());
    }
    c.columns.push_back(r[3].AsText());
    if (!r[4].is_null()) c.ref_columns.push_back(r[4].AsText());
  }
  for (const auto& id : fk_order) {
    Constraint c = std::move(fk_by_id[id]);
    if (c.ref_columns.empty()) {  // references the parent's primary key
      auto parent = m.tables.find(c.ref_table);
      if (parent != m.tables.end())
        for (const Constraint& pc : parent->second.constraints)
          if (pc.kind == ConstraintKind::kPrimaryKey) c.ref_columns = pc.columns;
    }
    c.name = id.first + JoinNames(c.columns) + "_fkey";
    m.tables[key_of[id.first]].constraints.push_back(std::move(c));
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto idx, conn.Query("SELECT m.name, il.name, il.origin, s.sql, ii.seqno, ii.name "
                           "FROM sqlite_schema m JOIN pragma_index_list(m.name) il "
                           "LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = il.name "
                           "LEFT JOIN pragma_index_info(il.name) ii ON il.origin = 'u' WHERE " +
                           where + " ORDER BY m.name, il.name, ii.seqno"));
  std::map<std::pair<std::string, std::string>, Constraint> uniques;
  for (const auto& r : idx) {
    const std::string table = r[0].AsText(), name = r[1].AsText(), origin = r[2].AsText();
    if (origin == "c" && !r[3].is_null()) {
      Index i;
      i.name = name;
      i.sql = r[3].AsText();
      i.definition = NormalizeSql(i.sql);
      m.tables[key_of[table]].indexes.push_back(std::move(i));
    } else if (origin == "u") {
      Constraint& c = uniques[{table, name}];
      c.kind = ConstraintKind::kUnique;
      if (!r[5].is_null()) c.columns.push_back(r[5].AsText());
    }
  }
  for (auto& [key, c] : uniques) {
    c.name = key.first + JoinNames(c.columns) + "_key";
    m.tables[key_of[key.first]].constraints.push_back(std::move(c));
  }
  return m;
}

// ------------------------------------------------------------ PostgreSQL

constexpr const char* kPgTables =
    "c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname <> 'information_schema' "
    "AND n.nspname NOT LIKE 'pg\\_%' AND c.relname NOT LIKE 'cairn\\_%' ";
constexpr const char* kPgFrom = " pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ";

std::string Qualify(const std::string& schema, const std::string& name) {
  return CanonicalIdent(schema) + "." + CanonicalIdent(name);
}

std::string FkAction(const std::string& code) {
  if (code == "r") return "restrict";
  if (code == "c") return "cascade";
  if (code == "n") return "set null";
  if (code == "d") return "set default";
  return "no action";
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

StatusOr<Model> IntrospectPostgres(db::Connection& conn) {
  Model m;
  m.backend = db::Backend::kPostgres;
  const std::string filter = kPgTables;
  const std::string from = kPgFrom;
  CAIRN_ASSIGN_OR_RETURN(auto tables, conn.Query("SELECT c.oid::bigint, n.nspname, c.relname FROM" +
                                                 from + "WHERE " + filter));
  std::map<int64_t, std::string> key_of;
  for (const auto& r : tables) {
    Table t;
    t.schema = r[1].AsText();
    t.name = r[2].AsText();
    key_of[r[0].AsInt()] = t.QualifiedName();
    m.tables[t.QualifiedName()] = std::move(t);
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto cols,
      conn.Query(
          "SELECT a.attrelid::bigint, a.attname, a.attnum::int, format_type(a.atttypid, "
          "a.atttypmod), CASE WHEN a.attnotnull THEN 1 ELSE 0 END, pg_get_expr(d.adbin, "
          "d.adrelid), CASE WHEN t.typcategory = 'A' THEN 1 ELSE 0 END, a.attidentity::text, "
          "a.attgenerated::text, CASE WHEN t.typtype = 'e' THEN tn.nspname WHEN et.typtype = 'e' "
          "THEN etn.nspname END, CASE WHEN t.typtype = 'e' THEN t.typname WHEN et.typtype = 'e' "
          "THEN et.typname END FROM" +
          from +
          "JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type t ON t.oid = a.atttypid "
          "JOIN pg_namespace tn ON tn.oid = t.typnamespace "
          "LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' "
          "LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace "
          "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
          "WHERE " +
          filter + "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 3"));
  std::map<std::pair<int64_t, int>, std::string> attname;  // (table oid, attnum) -> name
  for (const auto& r : cols) {
    Column c;
    c.name = r[1].AsText();
    c.position = static_cast<int>(r[2].AsInt());
    c.type = r[3].AsText();
    c.not_null = r[4].AsInt() != 0;
    if (!r[5].is_null()) c.default_expr = r[5].AsText();
    c.array = r[6].AsInt() != 0;
    const std::string identity = r[7].AsText(), generated = r[8].AsText();
    if (!r[9].is_null()) c.enum_type = Qualify(r[9].AsText(), r[10].AsText());
    if (identity == "a") c.type += " generated always as identity";
    if (identity == "d") c.type += " generated by default as identity";
    if (generated == "s" && c.default_expr) {
      c.type += " generated always as (" + *c.default_expr + ") stored";
      c.default_expr.reset();
    }
    if (c.default_expr && c.default_expr->rfind("nextval(", 0) == 0) {
      static const std::map<std::string, std::string> kSerial = {
          {"smallint", "smallserial"}, {"integer", "serial"}, {"bigint", "bigserial"}};
      if (auto it = kSerial.find(c.type); it != kSerial.end()) {
        c.type = it->second;
        c.default_expr.reset();
      }
    }
    attname[{r[0].AsInt(), c.position}] = c.name;
    m.tables[key_of[r[0].AsInt()]].columns.push_back(std::move(c));
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto cons,
      conn.Query(
          "SELECT co.conrelid::bigint, co.conname, co.contype::text, "
          "pg_get_constraintdef(co.oid, true), coalesce(array_to_string(co.conkey, ','), ''), "
          "coalesce(fn.nspname, ''), coalesce(fc.relname, ''), co.confrelid::bigint, "
          "coalesce(array_to_string(co.confkey, ','), ''), co.confupdtype::text, "
          "co.confdeltype::text FROM" +
          from +
          "JOIN pg_constraint co ON co.conrelid = c.oid "
          "LEFT JOIN pg_class fc ON fc.oid = co.confrelid "
          "LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace "
          "WHERE " +
          filter + "AND co.contype IN ('p', 'u', 'c', 'f')"));
  // Key columns come as attribute numbers, named here from the columns read
  // above: a per-constraint lookup in pg_attribute costs the server more than
  // the rest of the query (BENCHMARKS.md, section 5).
  // Referenced tables outside the model (another tool's, cairn's own) are
  // looked up in one more query.
  std::vector<int64_t> foreign;
  for (const auto& r : cons)
    if (r[2].AsText() == "f" && !key_of.count(r[7].AsInt())) foreign.push_back(r[7].AsInt());
  if (!foreign.empty()) {
    std::string oids;
    for (int64_t oid : foreign) oids += (oids.empty() ? "{" : ",") + std::to_string(oid);
    CAIRN_ASSIGN_OR_RETURN(
        auto extra, conn.Query("SELECT attrelid::bigint, attnum::int, attname FROM pg_attribute "
                               "WHERE attrelid = ANY($1::oid[]) AND attnum > 0",
                               {db::Value(oids + "}")}));
    for (const auto& r : extra)
      attname[{r[0].AsInt(), static_cast<int>(r[1].AsInt())}] = r[2].AsText();
  }
  auto names = [&](int64_t rel, const std::string& nums) {
    std::vector<std::string> out;
    for (const std::string& n : SplitOn(nums, ',')) out.push_back(attname[{rel, std::stoi(n)}]);
    return out;
  };
  for (const auto& r : cons) {
    Constraint c;
    c.name = r[1].AsText();
    const std::string type = r[2].AsText();
    c.kind = type == "p"   ? ConstraintKind::kPrimaryKey
             : type == "u" ? ConstraintKind::kUnique
             : type == "f" ? ConstraintKind::kForeignKey
                           : ConstraintKind::kCheck;
    c.expression = r[3].AsText();
    c.columns = names(r[0].AsInt(), r[4].AsText());
    if (c.kind == ConstraintKind::kForeignKey) {
      c.ref_table = Qualify(r[5].AsText(), r[6].AsText());
      c.ref_columns = names(r[7].AsInt(), r[8].AsText());
      c.on_update = FkAction(r[9].AsText());
      c.on_delete = FkAction(r[10].AsText());
    }
    if (c.kind == ConstraintKind::kCheck) c.columns.clear();
    m.tables[key_of[r[0].AsInt()]].constraints.push_back(std::move(c));
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto idx,
      conn.Query("SELECT i.indrelid::bigint, ic.relname, pg_get_indexdef(i.indexrelid) FROM" +
                 from +
                 "JOIN pg_index i ON i.indrelid = c.oid "
                 "JOIN pg_class ic ON ic.oid = i.indexrelid WHERE " +
                 filter +
                 "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = "
                 "i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))"));
  for (const auto& r : idx) {
    Index i;
    i.name = r[1].AsText();
    i.sql = r[2].AsText();
    i.definition = i.sql;
    m.tables[key_of[r[0].AsInt()]].indexes.push_back(std::move(i));
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto enums,
      conn.Query("SELECT n.nspname, t.typname, e.enumlabel FROM pg_type t "
                 "JOIN pg_enum e ON e.enumtypid = t.oid "
                 "JOIN pg_namespace n ON n.oid = t.typnamespace "
                 "WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
                 "ORDER BY n.nspname, t.typname, e.enumsortorder"));
  for (const auto& r : enums) {
    EnumType e;
    e.schema = r[0].AsText();
    e.name = r[1].AsText();
    EnumType& slot = m.enums.try_emplace(e.QualifiedName(), e).first->second;
    slot.labels.push_back(r[2].AsText());
  }
  return m;
}

}  // namespace

StatusOr<Model> Introspect(db::Connection& conn) {
  auto m =
      conn.backend() == db::Backend::kSqlite ? IntrospectSqlite(conn) : IntrospectPostgres(conn);
  if (!m.ok()) return m.status().Annotate("reading the schema catalog");
  return m;
}

}  // namespace cairn::schema
