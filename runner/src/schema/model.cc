// Canonical text, fingerprints and difference listings of schema models
// (docs/schema-model.md).
#include "cairn/schema/model.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "cairn/base/hash.h"

namespace cairn::schema {
namespace {

// Escapes a canonical field: TAB, newline and backslash.
std::string Field(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\\')
      out += "\\\\";
    else if (c == '\r')
      continue;
    else
      out += c;
  }
  return out;
}

std::string JoinIdents(const std::vector<std::string>& names) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + CanonicalIdent(names[i]);
  return out + ")";
}

std::string SqlLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

void Line(std::string* out, std::string_view kind, std::string_view name, std::string_view attrs) {
  *out += kind;
  *out += '\t';
  *out += Field(name);
  *out += '\t';
  *out += Field(attrs);
  *out += '\n';
}

int KindOrder(ConstraintKind k) {
  switch (k) {
    case ConstraintKind::kPrimaryKey:
      return 0;
    case ConstraintKind::kUnique:
      return 1;
    case ConstraintKind::kCheck:
      return 2;
    case ConstraintKind::kForeignKey:
      return 3;
  }
  return 4;
}

// The key of a canonical line (kind TAB name) and its attributes.
std::pair<std::string, std::string> SplitLine(std::string_view line) {
  size_t a = line.find('\t');
  size_t b = a == std::string_view::npos ? a : line.find('\t', a + 1);
  if (b == std::string_view::npos) return {std::string(line), ""};
  return {std::string(line.substr(0, b)), std::string(line.substr(b + 1))};
}

std::string Readable(std::string_view key_or_line) {
  std::string s(key_or_line);
  std::replace(s.begin(), s.end(), '\t', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::string_view ConstraintKindName(ConstraintKind k) {
  switch (k) {
    case ConstraintKind::kPrimaryKey:
      return "primary key";
    case ConstraintKind::kUnique:
      return "unique";
    case ConstraintKind::kCheck:
      return "check";
    case ConstraintKind::kForeignKey:
      return "foreign key";
  }
  return "?";
}

std::string CanonicalIdent(std::string_view name) {
  bool bare =
      !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '$'))
      bare = false;
  }
  if (bare) return std::string(name);
  return db::QuoteIdentifier(name);
}

std::string QuoteQualified(const std::string& schema, const std::string& name) {
  if (schema.empty()) return db::QuoteIdentifier(name);
  return db::QuoteIdentifier(schema) + "." + db::QuoteIdentifier(name);
}

std::string Table::QualifiedName() const {
  return schema.empty() ? CanonicalIdent(name)
                        : CanonicalIdent(schema) + "." + CanonicalIdent(name);
}

std::string EnumType::QualifiedName() const {
  return schema.empty() ? CanonicalIdent(name)
                        : CanonicalIdent(schema) + "." + CanonicalIdent(name);
}

const Column* Table::FindColumn(std::string_view column) const {
  for (const Column& c : columns)
    if (c.name == column) return &c;
  return nullptr;
}

std::string NormalizeSql(std::string_view sql) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char close = c == '[' ? ']' : c;
      if (space && !out.empty() && out.back() != '(' && out.back() != ',') out += ' ';
      space = false;
      out += c;
      for (++i; i < sql.size(); ++i) {
        out += sql[i];
        if (sql[i] == close) {
          if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
            out += sql[++i];
            continue;
          }
          break;
        }
      }
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (c == '(' || c == ')' || c == ',') {
      space = false;
      out += c;
      continue;
    }
    if (space && !out.empty() && out.back() != '(' && out.back() != ',') out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (std::string_view drop : {" if not exists", " if exists"}) {
    size_t p = out.find(drop);
    if (p != std::string::npos) out.erase(p, drop.size());
  }
  while (!out.empty() && out.back() == ';') out.pop_back();
  return out;
}

std::string Canonical(const Model& model) {
  std::string out = "cairn-schema 1 ";
  out += model.backend == db::Backend::kSqlite ? "sqlite" : "postgresql";
  out += '\n';
  for (const auto& [qname, e] : model.enums) {
    std::string labels;
    for (size_t i = 0; i < e.labels.size(); ++i) labels += (i ? "," : "") + SqlLiteral(e.labels[i]);
    Line(&out, "enum", qname, labels);
  }
  for (const auto& [qname, t] : model.tables) {
    Line(&out, "table", qname, "");
    std::vector<const Column*> cols;
    for (const Column& c : t.columns) cols.push_back(&c);
    std::sort(cols.begin(), cols.end(),
              [](const Column* a, const Column* b) { return a->name < b->name; });
    for (const Column* c : cols) {
      std::string attrs = c->type;
      if (c->array) attrs += " array";
      attrs += c->not_null ? " not null" : " null";
      if (c->default_expr) attrs += " default " + *c->default_expr;
      Line(&out, "column", qname + "." + CanonicalIdent(c->name), attrs);
    }
    std::vector<const Constraint*> cons;
    for (const Constraint& c : t.constraints) cons.push_back(&c);
    std::sort(cons.begin(), cons.end(), [](const Constraint* a, const Constraint* b) {
      return std::make_pair(KindOrder(a->kind), a->name) <
             std::make_pair(KindOrder(b->kind), b->name);
    });
    for (const Constraint* c : cons) {
      std::string attrs;
      switch (c->kind) {
        case ConstraintKind::kPrimaryKey:
        case ConstraintKind::kUnique:
          attrs = JoinIdents(c->columns);
          break;
        case ConstraintKind::kCheck:
          attrs = c->expression;
          break;
        case ConstraintKind::kForeignKey:
          attrs = JoinIdents(c->columns) + " references " + c->ref_table +
                  JoinIdents(c->ref_columns) + " on update " + c->on_update + " on delete " +
                  c->on_delete;
          break;
      }
      Line(&out, ConstraintKindName(c->kind), qname + "." + CanonicalIdent(c->name), attrs);
    }
    std::vector<const Index*> idx;
    for (const Index& i : t.indexes) idx.push_back(&i);
    std::sort(idx.begin(), idx.end(),
              [](const Index* a, const Index* b) { return a->name < b->name; });
    for (const Index* i : idx)
      Line(&out, "index", qname + "." + CanonicalIdent(i->name), i->definition);
  }
  return out;
}

std::string FingerprintOf(std::string_view canonical) {
  return "sha256:" + ledger::ToHex(ledger::Sha256(canonical));
}

std::vector<std::string> DescribeDifferences(std::string_view before, std::string_view after) {
  auto parse = [](std::string_view text) {
    std::map<std::string, std::string> lines;
    size_t start = 0;
    bool first = true;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(start, nl - start);
      start = nl + 1;
      if (first) {  // the header
        first = false;
        continue;
      }
      if (line.empty()) continue;
      auto [key, attrs] = SplitLine(line);
      lines[key] = attrs;
    }
    return lines;
  };
  auto a = parse(before), b = parse(after);
  std::vector<std::string> out;
  for (const auto& [key, attrs] : a) {
    auto it = b.find(key);
    if (it == b.end())
      out.push_back("- " + Readable(key + "\t" + attrs));
    else if (it->second != attrs)
      out.push_back("~ " + Readable(key) + ": " + attrs + " -> " + it->second);
  }
  for (const auto& [key, attrs] : b)
    if (!a.count(key)) out.push_back("+ " + Readable(key + "\t" + attrs));
  return out;
}

}  // namespace cairn::schema
