// C++ data migrations: the registry, checksums and the step context.
#include "cairn/runner/data_migration.h"

#include <deque>
#include <map>

#include "batch.h"
#include "cairn/base/hash.h"

namespace cairn::runner {
namespace {

std::deque<DataMigration>& Registry() {
  static std::deque<DataMigration> steps;  // a deque: pointers stay valid as steps are added
  return steps;
}

const db::Value& NullValue() {
  static const db::Value null;
  return null;
}

}  // namespace

bool RegisterDataMigration(DataMigration step) {
  Registry().push_back(std::move(step));
  return true;
}

const std::deque<DataMigration>& RegisteredDataMigrations() { return Registry(); }

void ClearRegisteredDataMigrations() { Registry().clear(); }

std::string DataMigrationChecksum(const DataMigration& step) {
  return "sha256:" + ledger::ToHex(ledger::Sha256("cairn-cpp-step\n" + step.id + "\n" + step.name +
                                                  "\n" + std::to_string(step.version)));
}

int RowBatch::Column(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == column) return static_cast<int>(i);
  return -1;
}

const db::Value& RowBatch::Get(size_t row, std::string_view column) const {
  int c = Column(column);
  return c < 0 ? NullValue() : rows.at(row)[static_cast<size_t>(c)];
}

Status DataContext::AddField(const CollectionRef& c, const std::string& field,
                             const nlohmann::json& value) {
  return ForEachBatch(c, [&](std::vector<Document>& docs, db::Connection&) -> StatusOr<int64_t> {
    int64_t changed = 0;
    for (Document& d : docs)
      if (!d.body.contains(field)) {
        d.body[field] = value;
        ++changed;
      }
    return changed;
  });
}

Status DataContext::RenameField(const CollectionRef& c, const std::string& from,
                                const std::string& to) {
  return ForEachBatch(c, [&](std::vector<Document>& docs, db::Connection&) -> StatusOr<int64_t> {
    int64_t changed = 0;
    for (Document& d : docs)
      if (d.body.contains(from)) {
        d.body[to] = std::move(d.body[from]);
        d.body.erase(from);
        ++changed;
      }
    return changed;
  });
}

Status DataContext::RemoveField(const CollectionRef& c, const std::string& field) {
  return ForEachBatch(c, [&](std::vector<Document>& docs, db::Connection&) -> StatusOr<int64_t> {
    int64_t changed = 0;
    for (Document& d : docs) changed += static_cast<int64_t>(d.body.erase(field));
    return changed;
  });
}

namespace internal {
namespace {

class ContextImpl : public DataContext {
 public:
  explicit ContextImpl(LoopEngine& engine) : engine_(engine) {}

  StatusOr<DatabaseId> Attach(const std::string& url) override {
    if (auto it = attached_ids_.find(url); it != attached_ids_.end()) return it->second;
    CAIRN_ASSIGN_OR_RETURN(db::DatabaseUrl parsed, db::ParseDatabaseUrl(url));
    CAIRN_ASSIGN_OR_RETURN(auto conn, db::Connection::Open(parsed, engine_.env().open));
    attached_.push_back(std::move(conn));
    const DatabaseId id = static_cast<DatabaseId>(attached_.size());
    attached_ids_[url] = id;
    return id;
  }

  db::Connection& connection(DatabaseId db) override {
    if (db <= 0 || static_cast<size_t>(db) > attached_.size()) return engine_.env().conn;
    return *attached_[static_cast<size_t>(db) - 1];
  }

  StatusOr<bool> TableExists(const TableRef& t) override {
    return catalog::TableExists(connection(t.db), t.name);
  }
  StatusOr<bool> ColumnExists(const TableRef& t, std::string_view column) override {
    return catalog::ColumnExists(connection(t.db), t.name, column);
  }
  StatusOr<bool> IndexExists(std::string_view index, DatabaseId db) override {
    return catalog::IndexExists(connection(db), index);
  }
  StatusOr<bool> CollectionExists(const CollectionRef& c) override {
    return docs::CollectionExists(connection(c.db), c.name);
  }
  Status Execute(std::string_view sql, const db::Params& params, DatabaseId db) override {
    return connection(db).Execute(sql, params).status();
  }
  Status CreateCollection(const CollectionRef& c) override {
    return docs::CreateCollection(connection(c.db), c.name);
  }
  Status DropCollection(const CollectionRef& c) override {
    return docs::DropCollection(connection(c.db), c.name);
  }

  Status ForEachBatch(const TableRef& table, std::string_view key, RowBatchFn fn) override {
    RowBatch batch;
    LoopDef def;
    CAIRN_RETURN_IF_ERROR(TableLoop(table, key, &batch, &def));
    def.dest = &connection(table.db);
    def.write = [&](db::Connection& c, const db::Value&, const db::Value&) { return fn(batch, c); };
    return engine_.Run(def);
  }

  Status ForEachBatch(const CollectionRef& c, DocumentBatchFn fn) override {
    std::vector<Document> batch;
    LoopDef def;
    CAIRN_RETURN_IF_ERROR(CollectionLoop(c, &batch, &def));
    def.dest = &connection(c.db);
    def.write = [&](db::Connection& conn, const db::Value&, const db::Value&) -> StatusOr<int64_t> {
      CAIRN_ASSIGN_OR_RETURN(int64_t changed, fn(batch, conn));
      for (const Document& d : batch) CAIRN_RETURN_IF_ERROR(docs::Upsert(conn, c.name, d));
      return changed;
    };
    return engine_.Run(def);
  }

  Status CopyToCollection(const TableRef& from, std::string_view key, const CollectionRef& to,
                          DocumentFromRow fn) override {
    RowBatch batch;
    LoopDef def;
    CAIRN_RETURN_IF_ERROR(TableLoop(from, key, &batch, &def));
    def.label += " -> collection " + to.name;
    def.dest = &connection(to.db);
    def.write = [&](db::Connection& conn, const db::Value&, const db::Value&) -> StatusOr<int64_t> {
      for (size_t i = 0; i < batch.rows.size(); ++i) {
        CAIRN_ASSIGN_OR_RETURN(Document d, fn(batch, i));
        CAIRN_RETURN_IF_ERROR(docs::Upsert(conn, to.name, d));
      }
      return static_cast<int64_t>(batch.rows.size());
    };
    return engine_.Run(def);
  }

  Status CopyToTable(const CollectionRef& from, const TableRef& to,
                     std::vector<std::string> columns, std::string key_column,
                     RowFromDocument fn) override {
    std::vector<Document> batch;
    LoopDef def;
    CAIRN_RETURN_IF_ERROR(CollectionLoop(from, &batch, &def));
    def.label += " -> table " + to.name;
    def.dest = &connection(to.db);
    std::string names, values, updates;
    for (size_t i = 0; i < columns.size(); ++i) {
      const std::string q = db::QuoteIdentifier(columns[i]);
      names += (i ? ", " : "") + q;
      values += (i ? ", $" : "$") + std::to_string(i + 1);
      if (columns[i] != key_column)
        updates += (updates.empty() ? "" : ", ") + q + " = excluded." + q;
    }
    const std::string sql = "INSERT INTO " + db::QuoteIdentifier(to.name) + " (" + names +
                            ") VALUES (" + values + ") ON CONFLICT (" +
                            db::QuoteIdentifier(key_column) + ") DO " +
                            (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
    def.write = [&, sql](db::Connection& conn, const db::Value&,
                         const db::Value&) -> StatusOr<int64_t> {
      for (const Document& d : batch) {
        CAIRN_ASSIGN_OR_RETURN(db::Params row, fn(d));
        if (row.size() != columns.size())
          return InvalidArgumentError("document " + d.id + ": " + std::to_string(row.size()) +
                                      " values for " + std::to_string(columns.size()) +
                                      " columns of " + to.name);
        CAIRN_RETURN_IF_ERROR(conn.Execute(sql, row).status());
      }
      return static_cast<int64_t>(batch.size());
    };
    return engine_.Run(def);
  }

 private:
  // A loop over `table` by `key`: fetch reads the batch's rows into *batch.
  Status TableLoop(const TableRef& table, std::string_view key, RowBatch* batch, LoopDef* def) {
    db::Connection& src = connection(table.db);
    CAIRN_ASSIGN_OR_RETURN(std::string type, catalog::ColumnType(src, table.name, key));
    CAIRN_ASSIGN_OR_RETURN(batch->columns, catalog::Columns(src, table.name));
    int key_index = batch->Column(key);
    std::string cols;
    for (const std::string& c : batch->columns)
      cols += (cols.empty() ? "" : ", ") + db::QuoteIdentifier(c);
    const std::string t = db::QuoteIdentifier(table.name), k = db::QuoteIdentifier(key);
    def->label = engine_.env().stream + " " + table.name;
    def->source = &src;
    def->key = catalog::KeyKindOf(src.backend(), type);
    const std::string count_sql = "SELECT count(*) FROM " + t + " WHERE " + k + " > $1";
    const std::string fetch_sql =
        "SELECT " + cols + " FROM " + t + " WHERE " + k + " > $1 ORDER BY " + k + " LIMIT $2";
    def->count_after = [&src, count_sql](const db::Value& after) -> StatusOr<int64_t> {
      CAIRN_ASSIGN_OR_RETURN(auto rows, src.Query(count_sql, {after}));
      return rows.empty() ? 0 : rows[0][0].AsInt();
    };
    def->fetch = [&src, fetch_sql, batch, key_index](const db::Value& after, int64_t size,
                                                     db::Value* upto) -> StatusOr<bool> {
      CAIRN_ASSIGN_OR_RETURN(batch->rows, src.Query(fetch_sql, {after, db::Value(size)}));
      if (batch->rows.empty()) return false;
      *upto = batch->rows.back()[static_cast<size_t>(key_index)];
      return true;
    };
    return Status::Ok();
  }

  // A loop over a collection's documents by id: fetch reads them into *batch.
  Status CollectionLoop(const CollectionRef& c, std::vector<Document>* batch, LoopDef* def) {
    db::Connection& src = connection(c.db);
    CAIRN_RETURN_IF_ERROR(docs::ValidateCollectionName(c.name));
    CAIRN_ASSIGN_OR_RETURN(bool exists, docs::CollectionExists(src, c.name));
    if (!exists) return NotFoundError(c.name + ": no such collection");
    def->label = engine_.env().stream + " collection " + c.name;
    def->source = &src;
    def->key = catalog::KeyKindOf(src.backend(), "TEXT");
    std::string name = c.name;
    def->count_after = [&src, name](const db::Value&) { return docs::Count(src, name); };
    def->fetch = [&src, name, batch](const db::Value& after, int64_t size,
                                     db::Value* upto) -> StatusOr<bool> {
      CAIRN_ASSIGN_OR_RETURN(*batch, docs::ReadAfter(src, name, after.AsText(), size));
      if (batch->empty()) return false;
      *upto = db::Value(batch->back().id);
      return true;
    };
    return Status::Ok();
  }

  LoopEngine& engine_;
  std::vector<std::unique_ptr<db::Connection>> attached_;
  std::map<std::string, DatabaseId> attached_ids_;
};

}  // namespace

std::unique_ptr<DataContext> MakeDataContext(LoopEngine& engine) {
  return std::make_unique<ContextImpl>(engine);
}

}  // namespace internal
}  // namespace cairn::runner
