// C++ data migrations for data_migration_test, built into the runner binary
// cairn_test_steps with cairn_add_migrations. They pair with SQL files the
// test writes (0001 creates and fills `items`). The attached database of the
// move is named by $CAIRN_TEST_ARCHIVE_URL.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cairn/runner/data_migration.h"

namespace {

using cairn::Status;
using cairn::StatusOr;
using cairn::runner::DataContext;
using cairn::runner::DataMigration;
using cairn::runner::Document;
using nlohmann::json;

StatusOr<cairn::runner::DatabaseId> Archive(DataContext& ctx) {
  const char* url = std::getenv("CAIRN_TEST_ARCHIVE_URL");
  if (url == nullptr) return cairn::FailedPreconditionError("CAIRN_TEST_ARCHIVE_URL is not set");
  return ctx.Attach(url);
}

CAIRN_DATA_MIGRATION([] {
  DataMigration m;
  m.id = "0002";
  m.name = "create_notes";
  m.uses.creates_collections = {"notes"};
  m.up = [](DataContext& ctx) -> Status {
    auto notes = ctx.Collection("notes");
    CAIRN_RETURN_IF_ERROR(ctx.CreateCollection(notes));
    for (int i = 1; i <= 40; ++i) {
      Document d{"n" + std::to_string(1000 + i),
                 json{{"title", "note " + std::to_string(i)}, {"n", i}}};
      CAIRN_RETURN_IF_ERROR(cairn::runner::docs::Upsert(ctx.connection(), notes.name, d));
    }
    return Status::Ok();
  };
  m.down = [](DataContext& ctx) { return ctx.DropCollection(ctx.Collection("notes")); };
  return m;
}());

CAIRN_DATA_MIGRATION([] {
  DataMigration m;
  m.id = "0003";
  m.name = "rename_title_to_headline";
  m.uses.collections = {"notes"};
  m.up = [](DataContext& ctx) {
    return ctx.RenameField(ctx.Collection("notes"), "title", "headline");
  };
  m.down = [](DataContext& ctx) {
    return ctx.RenameField(ctx.Collection("notes"), "headline", "title");
  };
  return m;
}());

CAIRN_DATA_MIGRATION([] {
  DataMigration m;
  m.id = "0004";
  m.name = "add_archived_flag";
  m.uses.collections = {"notes"};
  m.up = [](DataContext& ctx) { return ctx.AddField(ctx.Collection("notes"), "archived", false); };
  m.down = [](DataContext& ctx) { return ctx.RemoveField(ctx.Collection("notes"), "archived"); };
  return m;
}());

// Moves `items` (target table) into the `items` collection of the archive
// database and back.
CAIRN_DATA_MIGRATION([] {
  DataMigration m;
  m.id = "0005";
  m.name = "move_items_to_archive";
  m.uses.tables = {"items"};
  m.up = [](DataContext& ctx) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto archive, Archive(ctx));
    auto docs = ctx.Collection("items", archive);
    CAIRN_RETURN_IF_ERROR(ctx.CreateCollection(docs));
    auto items = ctx.Table("items");
    CAIRN_ASSIGN_OR_RETURN(bool present, ctx.TableExists(items));
    if (present) {  // absent when an earlier attempt got past the drop below
      CAIRN_RETURN_IF_ERROR(ctx.CopyToCollection(
          items, "id", docs, [](const cairn::runner::RowBatch& b, size_t r) -> StatusOr<Document> {
            return Document{b.Get(r, "id").AsText(), json{{"counter", b.Get(r, "counter").AsInt()},
                                                          {"label", b.Get(r, "label").AsText()}}};
          }));
    }
    return ctx.Execute("DROP TABLE IF EXISTS items");
  };
  m.down = [](DataContext& ctx) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto archive, Archive(ctx));
    auto docs = ctx.Collection("items", archive);
    CAIRN_RETURN_IF_ERROR(ctx.Execute(
        "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, counter INTEGER NOT NULL, "
        "label TEXT NOT NULL)"));
    CAIRN_ASSIGN_OR_RETURN(bool present, ctx.CollectionExists(docs));
    if (present) {
      CAIRN_RETURN_IF_ERROR(ctx.CopyToTable(
          docs, ctx.Table("items"), {"id", "counter", "label"}, "id",
          [](const Document& d) -> StatusOr<cairn::db::Params> {
            return cairn::db::Params{cairn::db::Value(static_cast<int64_t>(std::stoll(d.id))),
                                     cairn::db::Value(d.body.value("counter", int64_t{0})),
                                     cairn::db::Value(d.body.value("label", std::string()))};
          }));
    }
    return ctx.DropCollection(docs);
  };
  return m;
}());

CAIRN_DATA_MIGRATION([] {
  DataMigration m;
  m.id = "0006";
  m.name = "purge_scratch_notes";
  m.uses.collections = {"notes"};
  m.irreversible = true;  // the purged documents are gone
  m.up = [](DataContext& ctx) {
    return ctx.Execute("DELETE FROM cairn_doc_notes WHERE id = 'n1040'");
  };
  return m;
}());

}  // namespace
