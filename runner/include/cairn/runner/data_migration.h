// C++ data migrations: steps registered in a user's runner binary that share
// the numbering, the plan and the ledger with the SQL files
// (docs/data-migrations.md, "C++ data migrations").
//
//   CAIRN_DATA_MIGRATION([] {
//     cairn::runner::DataMigration m;
//     m.id = "0010";
//     m.name = "assignments_to_documents";
//     m.uses.tables = {"assignments"};
//     m.uses.creates_collections = {"assignments"};
//     m.up = [](cairn::runner::DataContext& ctx) -> cairn::Status {
//       auto docs = ctx.Collection("assignments");
//       CAIRN_RETURN_IF_ERROR(ctx.CreateCollection(docs));
//       return ctx.CopyToCollection(ctx.Table("assignments"), "id", docs, MakeDocument);
//     };
//     m.down = [](cairn::runner::DataContext& ctx) {
//       return ctx.DropCollection(ctx.Collection("assignments"));
//     };
//     return m;
//   }());
//
// Contract for step code:
//  - Work outside batch loops runs at once in autocommit and must be
//    idempotent: after a crash `up` (or `down`) runs again from the start.
//  - Batch loops (ForEachBatch, the field transforms, CopyToCollection,
//    CopyToTable) commit each batch with a BatchApplied event and resume
//    after their cursor. They are numbered in call order: make the same loop
//    calls in the same order on every run.
//  - A loop's function may be called again for a batch whose transaction did
//    not commit (a crash, a failed write): it must not have effects outside
//    the connection it is given.
//  - Errors returned by step code fail the migration (recorded in the
//    ledger); committed batches stay and the next `migrate` resumes.
#ifndef CAIRN_RUNNER_DATA_MIGRATION_H_
#define CAIRN_RUNNER_DATA_MIGRATION_H_

#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/documents.h"

namespace cairn::runner {

using docs::Document;

// Which database a handle lives on: the target (whose ledger records the
// run) or one attached with DataContext::Attach.
using DatabaseId = int;
constexpr DatabaseId kTargetDatabase = 0;

// Typed handles: a table and a collection cannot be passed for one another.
struct TableRef {
  std::string name;
  DatabaseId db = kTargetDatabase;
};
struct CollectionRef {
  std::string name;
  DatabaseId db = kTargetDatabase;
};

// One batch of table rows, columns in table order.
struct RowBatch {
  std::vector<std::string> columns;
  std::vector<db::Row> rows;
  // Index of `column` in columns, or -1.
  int Column(std::string_view column) const;
  const db::Value& Get(size_t row, std::string_view column) const;  // NULL if no such column
};

class DataContext {
 public:
  // Called with each batch inside its transaction on `conn` (the database
  // that is written); returns the rows (documents) it changed.
  using RowBatchFn = std::function<StatusOr<int64_t>(const RowBatch&, db::Connection& conn)>;
  using DocumentBatchFn =
      std::function<StatusOr<int64_t>(std::vector<Document>&, db::Connection& conn)>;
  using DocumentFromRow = std::function<StatusOr<Document>(const RowBatch&, size_t row)>;
  using RowFromDocument = std::function<StatusOr<db::Params>(const Document&)>;

  virtual ~DataContext() = default;

  TableRef Table(std::string name, DatabaseId db = kTargetDatabase) const {
    return {std::move(name), db};
  }
  CollectionRef Collection(std::string name, DatabaseId db = kTargetDatabase) const {
    return {std::move(name), db};
  }
  // Opens another database (a cairn database URL) for the rest of the step.
  // The same URL twice gives the same id.
  virtual StatusOr<DatabaseId> Attach(const std::string& url) = 0;
  // The connection of `db`, for reads and for idempotent autocommit work.
  virtual db::Connection& connection(DatabaseId db = kTargetDatabase) = 0;

  // Introspection (the database's default schema on PostgreSQL).
  virtual StatusOr<bool> TableExists(const TableRef& table) = 0;
  virtual StatusOr<bool> ColumnExists(const TableRef& table, std::string_view column) = 0;
  virtual StatusOr<bool> IndexExists(std::string_view index, DatabaseId db = kTargetDatabase) = 0;
  virtual StatusOr<bool> CollectionExists(const CollectionRef& collection) = 0;

  // Autocommit work outside batch loops; must be idempotent.
  virtual Status Execute(std::string_view sql, const db::Params& params = {},
                         DatabaseId db = kTargetDatabase) = 0;
  virtual Status CreateCollection(const CollectionRef& collection) = 0;
  virtual Status DropCollection(const CollectionRef& collection) = 0;

  // Batch loops. `key` orders the table's rows and must be unique.
  virtual Status ForEachBatch(const TableRef& table, std::string_view key, RowBatchFn fn) = 0;
  // The documents may be changed in place: every document of the batch is
  // written back in the batch's transaction.
  virtual Status ForEachBatch(const CollectionRef& collection, DocumentBatchFn fn) = 0;

  // Document transforms (each one batch loop); their downs are in
  // docs/data-migrations.md. AddField sets `field` only where it is missing.
  Status AddField(const CollectionRef& c, const std::string& field, const nlohmann::json& value);
  Status RenameField(const CollectionRef& c, const std::string& from, const std::string& to);
  Status RemoveField(const CollectionRef& c, const std::string& field);

  // Moves between storages, possibly between databases: an upsert by key on
  // the destination, which records its own progress when it is not the
  // target (docs/data-migrations.md, "Moves").
  virtual Status CopyToCollection(const TableRef& from, std::string_view key,
                                  const CollectionRef& to, DocumentFromRow fn) = 0;
  // `columns` are the destination's columns in the order fn returns values;
  // `key_column` is the one that identifies a row (the upsert's conflict target).
  virtual Status CopyToTable(const CollectionRef& from, const TableRef& to,
                             std::vector<std::string> columns, std::string key_column,
                             RowFromDocument fn) = 0;
};

using StepFn = std::function<Status(DataContext&)>;

// Names a step touches, checked against the database before anything runs.
struct Uses {
  std::vector<std::string> tables;       // must exist, or be created earlier
  std::vector<std::string> collections;  // must exist, or be created earlier
  std::vector<std::string> creates_tables;
  std::vector<std::string> creates_collections;
};

struct DataMigration {
  std::string id;    // a migration number, shared with the SQL files
  std::string name;  // letters, digits, '_' or '-'
  int version = 1;   // part of the checksum: bump it when the step's behaviour changes
  Uses uses;
  StepFn up;
  StepFn down;                // empty: the step must be marked irreversible
  bool irreversible = false;  // rollback refuses plans that include it
};

// Adds a step to the process-wide registry (Runner::Load consults it).
// Returns true so it can initialise a static. Invalid steps are reported when
// loading, naming the step.
bool RegisterDataMigration(DataMigration step);
// Stable: elements are never moved while the process lives.
const std::deque<DataMigration>& RegisteredDataMigrations();
// Removes every registered step (tests).
void ClearRegisteredDataMigrations();

// "sha256:" + hex of SHA-256("cairn-cpp-step\n" + id + "\n" + name + "\n" + version).
std::string DataMigrationChecksum(const DataMigration& step);

// Variadic so that a lambda with commas in it needs no extra parentheses.
#define CAIRN_DATA_MIGRATION(...)                                                     \
  static const bool CAIRN_CONCAT_(cairn_data_migration_, __LINE__) [[maybe_unused]] = \
      ::cairn::runner::RegisterDataMigration(__VA_ARGS__)

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_DATA_MIGRATION_H_
