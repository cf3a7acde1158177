// The schema model: what cairn knows about a database's tables, columns,
// constraints, indexes and enum types, read from the catalogs (never parsed
// from SQL), with a canonical text and a fingerprint (docs/schema-model.md).
//
//   CAIRN_ASSIGN_OR_RETURN(schema::Model live, schema::Introspect(conn));
//   std::string fp = schema::Fingerprint(live);   // "sha256:..."
//   if (schema::Canonical(live) == schema::Canonical(other)) ... // equal models
//
// Invariants: tables named cairn_* are never in a model; every constraint has
// a name (the catalog's, or on SQLite a derived deterministic one); the
// canonical text does not depend on column order or catalog order.
#ifndef CAIRN_SCHEMA_MODEL_H_
#define CAIRN_SCHEMA_MODEL_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"

namespace cairn::schema {

struct Column {
  std::string name;
  std::string type;  // backend type text (docs/schema-model.md); arrays end in "[]"
  bool array = false;
  bool not_null = false;
  std::optional<std::string> default_expr;
  std::string enum_type;  // qualified enum the column (or its elements) uses; "" if none
  int position = 0;       // declaration order; not part of the canonical form
};

enum class ConstraintKind { kPrimaryKey, kUnique, kCheck, kForeignKey };
std::string_view ConstraintKindName(ConstraintKind k);  // "primary key", "unique", ...

struct Constraint {
  ConstraintKind kind = ConstraintKind::kCheck;
  std::string name;
  std::vector<std::string> columns;  // pk, unique, fk (local columns)
  std::string expression;            // check: the expression; PostgreSQL: any constraint's
                                     // pg_get_constraintdef text (used to recreate it)
  std::string ref_table;             // fk: qualified name of the referenced table
  std::vector<std::string> ref_columns;
  std::string on_update = "no action", on_delete = "no action";
};

struct Index {
  std::string name;
  std::string definition;  // normalized text compared (docs/schema-model.md)
  std::string sql;         // the statement that creates it, as the catalog gives it
};

struct Table {
  std::string schema;  // PostgreSQL schema; "" on SQLite
  std::string name;
  std::vector<Column> columns;  // in declaration order
  std::vector<Constraint> constraints;
  std::vector<Index> indexes;

  std::string QualifiedName() const;  // canonical form: "public.users", "users" on SQLite
  const Column* FindColumn(std::string_view column) const;
};

struct EnumType {
  std::string schema, name;
  std::vector<std::string> labels;  // in sort order
  std::string QualifiedName() const;
};

struct Model {
  db::Backend backend = db::Backend::kSqlite;
  std::map<std::string, Table> tables;    // by QualifiedName()
  std::map<std::string, EnumType> enums;  // by QualifiedName()
};

// Reads the model of the database `conn` is connected to. Runs only catalog
// queries (a handful, whatever the number of tables); works inside or
// outside a transaction. Errors are those of the queries.
StatusOr<Model> Introspect(db::Connection& conn);

// The canonical text (docs/schema-model.md, "Canonical text").
std::string Canonical(const Model& model);
// "sha256:" + hex SHA-256 of `canonical`.
std::string FingerprintOf(std::string_view canonical);
inline std::string Fingerprint(const Model& model) { return FingerprintOf(Canonical(model)); }

// Differences between two canonical texts, one line each, paired by key:
// "+ kind name attrs" only in `after`, "- kind name attrs" only in `before`,
// "~ kind name: old -> new". Empty when equal.
std::vector<std::string> DescribeDifferences(std::string_view before, std::string_view after);

// One part of a qualified name as the canonical form writes it: bare when it
// matches [a-z_][a-z0-9_$]*, double-quoted otherwise.
std::string CanonicalIdent(std::string_view name);

// SQL text normalized for comparison: whitespace outside quotes collapsed,
// lowercased outside quotes, no space next to ( ) or ",", "if not exists" dropped.
std::string NormalizeSql(std::string_view sql);

// `name` (a qualified name as Table::QualifiedName gives it) as SQL text, each
// part through db::QuoteIdentifier.
std::string QuoteQualified(const std::string& schema, const std::string& name);

}  // namespace cairn::schema

#endif  // CAIRN_SCHEMA_MODEL_H_
