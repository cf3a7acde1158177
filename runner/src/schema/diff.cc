// Diff between two schema models, ordered by dependencies.
#include "cairn/schema/diff.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace cairn::schema {
namespace {

bool IsPg(const Model& m) { return m.backend == db::Backend::kPostgres; }

std::string Q(std::string_view name) { return db::QuoteIdentifier(name); }
std::string TableSql(const Table& t) { return QuoteQualified(t.schema, t.name); }

std::string Literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string ColumnList(const std::vector<std::string>& cols) {
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) out += (i ? ", " : "") + Q(cols[i]);
  return out;
}

std::string ColumnDef(const Column& c) {
  std::string s = Q(c.name) + " " + c.type;
  if (c.not_null) s += " NOT NULL";
  if (c.default_expr) s += " DEFAULT " + *c.default_expr;
  return s;
}

// The clause that declares `c` inside CREATE TABLE or after ADD.
std::string ConstraintDef(const Constraint& c, bool pg) {
  if (pg) return "CONSTRAINT " + Q(c.name) + " " + c.expression;
  switch (c.kind) {
    case ConstraintKind::kPrimaryKey:
      return "PRIMARY KEY (" + ColumnList(c.columns) + ")";
    case ConstraintKind::kUnique:
      return "UNIQUE (" + ColumnList(c.columns) + ")";
    case ConstraintKind::kCheck:
      return "CHECK (" + c.expression + ")";
    case ConstraintKind::kForeignKey: {
      std::string s = "FOREIGN KEY (" + ColumnList(c.columns) + ") REFERENCES " + c.ref_table;
      if (!c.ref_columns.empty()) s += " (" + ColumnList(c.ref_columns) + ")";
      if (c.on_update != "no action") s += " ON UPDATE " + c.on_update;
      if (c.on_delete != "no action") s += " ON DELETE " + c.on_delete;
      return s;
    }
  }
  return "";
}

// Canonical identity of a constraint (kind, name and what it says).
std::string ConstraintKey(const Constraint& c) {
  Model m;
  Table t;
  t.name = "t";
  t.constraints.push_back(c);
  m.tables["t"] = t;
  return Canonical(m);
}

const Constraint* FindConstraint(const Table& t, const Constraint& like) {
  for (const Constraint& c : t.constraints)
    if (c.name == like.name && c.kind == like.kind) return &c;
  return nullptr;
}
bool SameConstraint(const Table* t, const Constraint& c) {
  if (t == nullptr) return false;
  const Constraint* o = FindConstraint(*t, c);
  return o && ConstraintKey(*o) == ConstraintKey(c);
}
const Index* FindIndex(const Table& t, const std::string& name) {
  for (const Index& i : t.indexes)
    if (i.name == name) return &i;
  return nullptr;
}

std::string CreateTableSql(const Table& t, bool pg, const std::string& name_sql) {
  std::vector<const Column*> cols;
  for (const Column& c : t.columns) cols.push_back(&c);
  std::stable_sort(cols.begin(), cols.end(),
                   [](const Column* a, const Column* b) { return a->position < b->position; });
  std::string s = "CREATE TABLE " + name_sql + " (";
  bool first = true;
  for (const Column* c : cols) {
    s += std::string(first ? "\n  " : ",\n  ") + ColumnDef(*c);
    first = false;
  }
  for (const Constraint& c : t.constraints) {
    if (pg && c.kind == ConstraintKind::kForeignKey) continue;  // added after every table
    s += std::string(first ? "\n  " : ",\n  ") + ConstraintDef(c, pg);
    first = false;
  }
  return s + "\n)";
}

// Tables of `keys` in foreign-key dependency order (referenced first), and
// the cycles among them.
std::vector<std::string> DependencyOrder(const Model& m, const std::set<std::string>& keys,
                                         std::vector<std::string>* cycles) {
  std::map<std::string, std::set<std::string>> deps;
  for (const std::string& k : keys) {
    deps[k];
    for (const Constraint& c : m.tables.at(k).constraints)
      if (c.kind == ConstraintKind::kForeignKey && keys.count(c.ref_table) && c.ref_table != k)
        deps[k].insert(c.ref_table);
  }
  // Tarjan's strongly connected components: every component of more than one
  // table is a cycle.
  std::map<std::string, int> index, low;
  std::set<std::string> on_stack;
  std::vector<std::string> stack, order;
  int counter = 0;
  std::function<void(const std::string&)> visit = [&](const std::string& v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack.insert(v);
    for (const std::string& w : deps[v]) {
      if (!index.count(w)) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack.count(w)) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] == index[v]) {
      std::vector<std::string> comp;
      std::string w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack.erase(w);
        comp.push_back(w);
      } while (w != v);
      std::sort(comp.begin(), comp.end());
      if (comp.size() > 1) {
        std::string c;
        for (const std::string& n : comp) c += n + " -> ";
        cycles->push_back(c + comp.front());
      }
      // Components complete in dependency order: dependencies first.
      order.insert(order.end(), comp.begin(), comp.end());
    }
  };
  for (const auto& [k, unused] : deps)
    if (!index.count(k)) visit(k);
  return order;
}

// Applies declared renames to a copy of `from`, returning the statements.
Model ApplyRenames(const Model& from, const Model& to, const std::vector<RenameHint>& renames,
                   std::vector<Step>* steps, std::vector<std::string>* notes) {
  Model m = from;
  for (const RenameHint& h : renames) {
    if (h.column) continue;
    auto it = m.tables.find(h.from);
    if (it == m.tables.end() || m.tables.count(h.to) || !to.tables.count(h.to)) {
      notes->push_back("rename hint (line " + std::to_string(h.line) + ") " + h.from + " -> " +
                       h.to + " does not apply here; ignored");
      continue;
    }
    Table t = it->second;
    m.tables.erase(it);
    const Table& target = to.tables.at(h.to);
    steps->push_back({"rename table " + h.from + " to " + h.to,
                      {"ALTER TABLE " + TableSql(t) + " RENAME TO " + Q(target.name)}});
    t.name = target.name;
    for (auto& [k, other] : m.tables)
      for (Constraint& c : other.constraints)
        if (c.ref_table == h.from) c.ref_table = h.to;
    m.tables[h.to] = t;
  }
  for (const RenameHint& h : renames) {
    if (!h.column) continue;
    auto it = m.tables.find(h.table);
    auto target = to.tables.find(h.table);
    if (it == m.tables.end() || target == to.tables.end() || !it->second.FindColumn(h.from) ||
        it->second.FindColumn(h.to) || !target->second.FindColumn(h.to)) {
      notes->push_back("rename hint (line " + std::to_string(h.line) + ") " + h.table + "." +
                       h.from + " -> " + h.to + " does not apply here; ignored");
      continue;
    }
    Table& t = it->second;
    steps->push_back(
        {"rename column " + h.table + "." + h.from + " to " + h.to,
         {"ALTER TABLE " + TableSql(t) + " RENAME COLUMN " + Q(h.from) + " TO " + Q(h.to)}});
    for (Column& c : t.columns)
      if (c.name == h.from) c.name = h.to;
    for (Constraint& c : t.constraints)
      for (std::string& col : c.columns)
        if (col == h.from) col = h.to;
    for (auto& [k, other] : m.tables)
      for (Constraint& c : other.constraints)
        if (c.ref_table == h.table)
          for (std::string& col : c.ref_columns)
            if (col == h.from) col = h.to;
  }
  return m;
}

bool SameColumn(const Column& a, const Column& b) {
  return a.type == b.type && a.array == b.array && a.not_null == b.not_null &&
         a.default_expr == b.default_expr;
}

// A column that becomes NOT NULL and has a default: its NULLs take the
// default instead of failing the change.
bool NullsTakeDefault(const Column& old_col, const Column& new_col) {
  return !old_col.not_null && new_col.not_null && new_col.default_expr.has_value();
}

// Whether SQLite can turn `a` into `b` with ADD COLUMN only (no rebuild).
bool SqliteAddOnly(const Table& a, const Table& b) {
  for (const Column& c : a.columns) {
    const Column* n = b.FindColumn(c.name);
    if (!n || !SameColumn(c, *n)) return false;
  }
  if (a.constraints.size() != b.constraints.size()) return false;
  for (const Constraint& c : b.constraints)
    if (!SameConstraint(&a, c)) return false;
  for (const Column& c : b.columns) {
    if (a.FindColumn(c.name)) continue;
    if (c.not_null && !c.default_expr) return false;
  }
  return true;
}

void DiffSqlite(const Model& from, const Model& to, Plan* plan) {
  std::set<std::string> added, removed;
  for (const auto& [k, t] : to.tables)
    if (!from.tables.count(k)) added.insert(k);
  for (const auto& [k, t] : from.tables)
    if (!to.tables.count(k)) removed.insert(k);
  std::vector<std::string> cycles;
  std::vector<std::string> drop_order = DependencyOrder(from, removed, &cycles);
  for (auto it = drop_order.rbegin(); it != drop_order.rend(); ++it)
    plan->steps.push_back({"drop table " + *it, {"DROP TABLE " + TableSql(from.tables.at(*it))}});
  std::set<std::string> rebuilt;
  for (const auto& [k, b] : to.tables) {
    auto a = from.tables.find(k);
    if (a == from.tables.end()) continue;
    if (!SqliteAddOnly(a->second, b)) rebuilt.insert(k);
  }
  // Indexes that go away or change on tables that are not rebuilt.
  for (const auto& [k, a] : from.tables) {
    if (removed.count(k) || rebuilt.count(k)) continue;
    const Table& b = to.tables.at(k);
    for (const Index& i : a.indexes) {
      const Index* n = FindIndex(b, i.name);
      if (!n || n->definition != i.definition)
        plan->steps.push_back({"drop index " + k + "." + i.name, {"DROP INDEX " + Q(i.name)}});
    }
  }
  for (const std::string& k : DependencyOrder(to, added, &cycles)) {
    const Table& t = to.tables.at(k);
    Step s{"create table " + k, {CreateTableSql(t, false, TableSql(t))}};
    for (const Index& i : t.indexes) s.sql.push_back(i.sql);
    plan->steps.push_back(std::move(s));
  }
  for (const auto& [k, b] : to.tables) {
    auto ait = from.tables.find(k);
    if (ait == from.tables.end()) continue;
    const Table& a = ait->second;
    if (rebuilt.count(k)) {
      // The SQLite table-rebuild procedure (sqlite.org/lang_altertable.html).
      const std::string tmp = Q("cairn_new_" + b.name);
      std::vector<std::string> kept;
      std::string select;
      for (const Column& c : b.columns) {
        const Column* o = a.FindColumn(c.name);
        if (!o) continue;
        kept.push_back(c.name);
        select += (select.empty() ? "" : ", ") +
                  (NullsTakeDefault(*o, c) ? "coalesce(" + Q(c.name) + ", " + *c.default_expr + ")"
                                           : Q(c.name));
      }
      Step s{"rebuild table " + k + " (keeping the rows)", {CreateTableSql(b, false, tmp)}};
      if (!kept.empty())
        s.sql.push_back("INSERT INTO " + tmp + " (" + ColumnList(kept) + ") SELECT " + select +
                        " FROM " + TableSql(a));
      s.sql.push_back("DROP TABLE " + TableSql(a));
      s.sql.push_back("ALTER TABLE " + tmp + " RENAME TO " + Q(b.name));
      for (const Index& i : b.indexes) s.sql.push_back(i.sql);
      plan->steps.push_back(std::move(s));
      continue;
    }
    std::vector<const Column*> adds;
    for (const Column& c : b.columns)
      if (!a.FindColumn(c.name)) adds.push_back(&c);
    std::sort(adds.begin(), adds.end(),
              [](const Column* x, const Column* y) { return x->position < y->position; });
    for (const Column* c : adds)
      plan->steps.push_back({"add column " + k + "." + c->name,
                             {"ALTER TABLE " + TableSql(b) + " ADD COLUMN " + ColumnDef(*c)}});
    for (const Index& i : b.indexes) {
      const Index* o = FindIndex(a, i.name);
      if (!o || o->definition != i.definition)
        plan->steps.push_back({"create index " + k + "." + i.name, {i.sql}});
    }
  }
  plan->cycles = std::move(cycles);
}

std::string EnumSql(const EnumType& e) { return QuoteQualified(e.schema, e.name); }

void DiffPostgres(const Model& from, const Model& to, Plan* plan) {
  std::set<std::string> added, removed, common;
  for (const auto& [k, t] : to.tables) (from.tables.count(k) ? common : added).insert(k);
  for (const auto& [k, t] : from.tables)
    if (!to.tables.count(k)) removed.insert(k);
  auto& steps = plan->steps;
  auto alter = [](const Table& t) { return "ALTER TABLE " + TableSql(t) + " "; };
  // 1. Foreign keys that go away (or change), then indexes, then the other constraints.
  for (const auto& [k, a] : from.tables) {
    const Table* b = removed.count(k) ? nullptr : &to.tables.at(k);
    for (const Constraint& c : a.constraints)
      if (c.kind == ConstraintKind::kForeignKey && !SameConstraint(b, c))
        steps.push_back(
            {"drop foreign key " + k + "." + c.name, {alter(a) + "DROP CONSTRAINT " + Q(c.name)}});
  }
  for (const std::string& k : common) {
    const Table &a = from.tables.at(k), &b = to.tables.at(k);
    for (const Index& i : a.indexes) {
      const Index* n = FindIndex(b, i.name);
      if (!n || n->definition != i.definition)
        steps.push_back(
            {"drop index " + k + "." + i.name, {"DROP INDEX " + QuoteQualified(a.schema, i.name)}});
    }
    for (const Constraint& c : a.constraints)
      if (c.kind != ConstraintKind::kForeignKey && !SameConstraint(&b, c))
        steps.push_back(
            {"drop constraint " + k + "." + c.name, {alter(a) + "DROP CONSTRAINT " + Q(c.name)}});
  }
  std::vector<std::string> cycles;
  std::vector<std::string> drop_order = DependencyOrder(from, removed, &cycles);
  for (auto it = drop_order.rbegin(); it != drop_order.rend(); ++it)
    steps.push_back({"drop table " + *it, {"DROP TABLE " + TableSql(from.tables.at(*it))}});
  // 2. Enum types: created before the columns that use them.
  for (const auto& [k, e] : to.enums) {
    auto old = from.enums.find(k);
    if (old == from.enums.end()) {
      std::string labels;
      for (size_t i = 0; i < e.labels.size(); ++i) labels += (i ? ", " : "") + Literal(e.labels[i]);
      steps.push_back(
          {"create enum " + k, {"CREATE TYPE " + EnumSql(e) + " AS ENUM (" + labels + ")"}});
      continue;
    }
    const auto& ol = old->second.labels;
    if (ol == e.labels) continue;
    // Old labels kept in order: add the new ones in place.
    size_t j = 0;
    for (const std::string& l : e.labels)
      if (j < ol.size() && l == ol[j]) ++j;
    if (j == ol.size()) {
      for (size_t i = 0; i < e.labels.size(); ++i) {
        if (std::find(ol.begin(), ol.end(), e.labels[i]) != ol.end()) continue;
        std::string where =
            i > 0 ? " AFTER " + Literal(e.labels[i - 1]) : " BEFORE " + Literal(e.labels[i + 1]);
        steps.push_back(
            {"add value " + e.labels[i] + " to enum " + k,
             {"ALTER TYPE " + EnumSql(e) + " ADD VALUE " + Literal(e.labels[i]) + where}});
      }
      continue;
    }
    // Values removed or reordered: rewrite the dependent columns through text.
    Step s{
        "recreate enum " + k + " (values removed or reordered; dependent columns go through text)",
        {}};
    std::vector<std::pair<const Table*, const Column*>> users;
    for (const std::string& tk : common) {
      const Table& t = from.tables.at(tk);
      for (const Column& c : t.columns)
        if (c.enum_type == k) users.push_back({&t, &c});
    }
    for (auto [t, c] : users) {
      if (c->default_expr)
        s.sql.push_back(alter(*t) + "ALTER COLUMN " + Q(c->name) + " DROP DEFAULT");
      s.sql.push_back(alter(*t) + "ALTER COLUMN " + Q(c->name) + " TYPE text" +
                      (c->array ? "[]" : "") + " USING " + Q(c->name) + "::text" +
                      (c->array ? "[]" : ""));
    }
    std::string labels;
    for (size_t i = 0; i < e.labels.size(); ++i) labels += (i ? ", " : "") + Literal(e.labels[i]);
    s.sql.push_back("DROP TYPE " + EnumSql(e));
    s.sql.push_back("CREATE TYPE " + EnumSql(e) + " AS ENUM (" + labels + ")");
    for (auto [t, c] : users) {
      s.sql.push_back(alter(*t) + "ALTER COLUMN " + Q(c->name) + " TYPE " + c->type + " USING " +
                      Q(c->name) + "::" + c->type);
      if (c->default_expr)
        s.sql.push_back(alter(*t) + "ALTER COLUMN " + Q(c->name) + " SET DEFAULT " +
                        *c->default_expr);
    }
    steps.push_back(std::move(s));
  }
  // 3. New tables, referenced first (their foreign keys come last).
  for (const std::string& k : DependencyOrder(to, added, &cycles)) {
    const Table& t = to.tables.at(k);
    steps.push_back({"create table " + k, {CreateTableSql(t, true, TableSql(t))}});
  }
  // 4. Columns of the tables both sides have.
  for (const std::string& k : common) {
    const Table &a = from.tables.at(k), &b = to.tables.at(k);
    for (const Column& c : a.columns)
      if (!b.FindColumn(c.name))
        steps.push_back(
            {"drop column " + k + "." + c.name, {alter(a) + "DROP COLUMN " + Q(c.name)}});
    std::vector<const Column*> cols;
    for (const Column& c : b.columns) cols.push_back(&c);
    std::sort(cols.begin(), cols.end(),
              [](const Column* x, const Column* y) { return x->position < y->position; });
    for (const Column* c : cols) {
      const Column* o = a.FindColumn(c->name);
      if (!o) {
        steps.push_back(
            {"add column " + k + "." + c->name, {alter(b) + "ADD COLUMN " + ColumnDef(*c)}});
        continue;
      }
      if (SameColumn(*o, *c)) continue;
      Step s{"alter column " + k + "." + c->name, {}};
      const std::string col = alter(b) + "ALTER COLUMN " + Q(c->name);
      bool type_changed = o->type != c->type || o->array != c->array;
      if (type_changed && o->default_expr) s.sql.push_back(col + " DROP DEFAULT");
      if (type_changed)
        s.sql.push_back(col + " TYPE " + c->type + " USING " + Q(c->name) + "::" + c->type);
      if (NullsTakeDefault(*o, *c))
        s.sql.push_back("UPDATE " + TableSql(b) + " SET " + Q(c->name) + " = " + *c->default_expr +
                        " WHERE " + Q(c->name) + " IS NULL");
      if (o->not_null != c->not_null)
        s.sql.push_back(col + (c->not_null ? " SET NOT NULL" : " DROP NOT NULL"));
      if (c->default_expr && (type_changed || o->default_expr != c->default_expr))
        s.sql.push_back(col + " SET DEFAULT " + *c->default_expr);
      else if (!c->default_expr && o->default_expr && !type_changed)
        s.sql.push_back(col + " DROP DEFAULT");
      steps.push_back(std::move(s));
    }
  }
  // 5. Constraints, indexes, then foreign keys (every table exists by now).
  for (const std::string& k : common) {
    const Table &a = from.tables.at(k), &b = to.tables.at(k);
    for (const Constraint& c : b.constraints)
      if (c.kind != ConstraintKind::kForeignKey && !SameConstraint(&a, c))
        steps.push_back(
            {"add constraint " + k + "." + c.name, {alter(b) + "ADD " + ConstraintDef(c, true)}});
  }
  for (const auto& [k, b] : to.tables) {
    const Table* a = added.count(k) ? nullptr : &from.tables.at(k);
    for (const Index& i : b.indexes) {
      const Index* o = a ? FindIndex(*a, i.name) : nullptr;
      if (!o || o->definition != i.definition)
        steps.push_back({"create index " + k + "." + i.name, {i.sql}});
    }
  }
  for (const auto& [k, b] : to.tables) {
    const Table* a = added.count(k) ? nullptr : &from.tables.at(k);
    for (const Constraint& c : b.constraints)
      if (c.kind == ConstraintKind::kForeignKey && !SameConstraint(a, c))
        steps.push_back(
            {"add foreign key " + k + "." + c.name, {alter(b) + "ADD " + ConstraintDef(c, true)}});
  }
  // 6. Enum types nothing uses any more.
  for (const auto& [k, e] : from.enums)
    if (!to.enums.count(k)) steps.push_back({"drop enum " + k, {"DROP TYPE " + EnumSql(e)}});
  plan->cycles = std::move(cycles);
}

std::string Trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return std::string(s.substr(a, b - a + 1));
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

std::string Plan::Script() const {
  std::string out;
  for (const std::string& c : cycles) out += "-- note: foreign keys form a cycle: " + c + "\n";
  for (const std::string& n : notes) out += "-- note: " + n + "\n";
  for (const Step& s : steps) {
    out += "-- " + s.description + "\n";
    for (const std::string& sql : s.sql) out += sql + ";\n";
  }
  return out;
}

StatusOr<Hints> ParseHints(std::string_view path, std::string_view text,
                           const std::string& default_schema) {
  Hints hints;
  auto qualify = [&](const std::string& name) {
    if (name.find('.') != std::string::npos || default_schema.empty()) return name;
    return CanonicalIdent(default_schema) + "." + name;
  };
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line = Trim(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    if (line.rfind("--", 0) != 0) continue;
    std::string body = Trim(std::string_view(line).substr(2));
    if (body.rfind("cairn:", 0) != 0) continue;
    auto where = [&]() { return std::string(path) + ":" + std::to_string(line_no) + ": "; };
    std::vector<std::string> w = Words(body);
    RenameHint h;
    h.line = line_no;
    if (w[0] == "cairn:rename-table" && w.size() == 3) {
      h.from = qualify(w[1]);
      h.to = qualify(w[2]);
    } else if (w[0] == "cairn:rename-column" && w.size() == 4) {
      h.column = true;
      h.table = qualify(w[1]);
      h.from = w[2];
      h.to = w[3];
    } else if (w[0] == "cairn:rename-table" || w[0] == "cairn:rename-column") {
      return InvalidArgumentError(where() + "expected '-- " + w[0] +
                                  (w[0] == "cairn:rename-table" ? " OLD NEW'" : " TABLE OLD NEW'"));
    } else {
      return InvalidArgumentError(where() + "unknown hint '" + w[0] +
                                  "' (known: cairn:rename-table, cairn:rename-column)");
    }
    hints.renames.push_back(std::move(h));
  }
  return hints;
}

std::vector<RenameHint> Reverse(const std::vector<RenameHint>& renames) {
  std::vector<RenameHint> out;
  std::map<std::string, std::string> table_back;  // new name -> old name
  for (const RenameHint& h : renames)
    if (!h.column) {
      RenameHint r = h;
      std::swap(r.from, r.to);
      table_back[h.to] = h.from;
      out.push_back(r);
    }
  for (const RenameHint& h : renames)
    if (h.column) {
      RenameHint r = h;
      std::swap(r.from, r.to);
      if (auto it = table_back.find(h.table); it != table_back.end()) r.table = it->second;
      out.push_back(r);
    }
  return out;
}

Plan Diff(const Model& from, const Model& to, const std::vector<RenameHint>& renames) {
  Plan plan;
  Model renamed = ApplyRenames(from, to, renames, &plan.steps, &plan.notes);
  if (IsPg(to))
    DiffPostgres(renamed, to, &plan);
  else
    DiffSqlite(renamed, to, &plan);
  return plan;
}

}  // namespace cairn::schema
