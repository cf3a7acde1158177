// Campus: copy assignments into the `assignments` document collection, one
// document per row, in resumable batches (docs/data-migrations.md). The table
// stays: submissions reference it. Down drops the collection.
#include <nlohmann/json.hpp>

#include "cairn/runner/data_migration.h"

namespace {

using cairn::runner::DataContext;
using cairn::runner::Document;
using cairn::runner::RowBatch;

cairn::StatusOr<Document> AssignmentDocument(const RowBatch& batch, size_t row) {
  Document d;
  d.id = batch.Get(row, "id").AsText();
  nlohmann::json& b = d.body;
  b = nlohmann::json::object();
  b["circle_id"] = batch.Get(row, "circle_id").AsText();
  b["created_by"] = batch.Get(row, "created_by").AsText();
  b["title"] = batch.Get(row, "title").AsText();
  const auto& body = batch.Get(row, "body");
  b["body"] = body.is_null() ? nlohmann::json(nullptr) : nlohmann::json(body.AsText());
  b["max_points"] = batch.Get(row, "max_points").AsInt();
  const auto& due = batch.Get(row, "due_at");
  b["due_at"] = due.is_null() ? nlohmann::json(nullptr) : nlohmann::json(due.AsText());
  b["published"] = batch.Get(row, "published").AsInt() != 0;
  return d;
}

CAIRN_DATA_MIGRATION([] {
  cairn::runner::DataMigration m;
  m.id = "0010";
  m.name = "assignments_to_documents";
  m.version = 1;
  m.uses.tables = {"assignments"};
  m.uses.creates_collections = {"assignments"};
  m.up = [](DataContext& ctx) -> cairn::Status {
    auto docs = ctx.Collection("assignments");
    CAIRN_RETURN_IF_ERROR(ctx.CreateCollection(docs));
    return ctx.CopyToCollection(ctx.Table("assignments"), "id", docs, AssignmentDocument);
  };
  m.down = [](DataContext& ctx) { return ctx.DropCollection(ctx.Collection("assignments")); };
  return m;
}());

}  // namespace
