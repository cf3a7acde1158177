// JSON document collections stored in the target database: PostgreSQL jsonb,
// SQLite JSON1. The table layout is specified in docs/data-migrations.md
// ("Documents"): collection NAME is the table cairn_doc_NAME(id, body).
//
//   CAIRN_RETURN_IF_ERROR(docs::CreateCollection(conn, "assignments"));
//   CAIRN_RETURN_IF_ERROR(docs::Insert(conn, "assignments", "a1", {{"title", "Essay"}}));
//   CAIRN_ASSIGN_OR_RETURN(auto found, docs::Find(conn, "assignments", "title", "Essay"));
//
// Every function runs its statements on `conn` as they come: inside the
// caller's transaction when one is open, in autocommit otherwise. Errors:
//   kInvalidArgument   a collection name that is not [a-z][a-z0-9_]{0,47},
//                      an empty id, a body that is not a JSON object
//   kAlreadyExists     Insert of an id that exists
//   kNotFound          Update or Remove of an id that does not exist
//   others             from the database layer (cairn/db/database.h)
#ifndef CAIRN_RUNNER_DOCUMENTS_H_
#define CAIRN_RUNNER_DOCUMENTS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"

namespace cairn::runner::docs {

struct Document {
  std::string id;       // non-empty; the collection's primary key and batch key
  nlohmann::json body;  // a JSON object
};

// Whether `name` is a valid collection name.
Status ValidateCollectionName(std::string_view name);
// "cairn_doc_" + name (not quoted).
std::string TableName(std::string_view collection);

// Idempotent: creating an existing collection or dropping a missing one is OK.
Status CreateCollection(db::Connection& conn, std::string_view collection);
Status DropCollection(db::Connection& conn, std::string_view collection);
StatusOr<bool> CollectionExists(db::Connection& conn, std::string_view collection);

Status Insert(db::Connection& conn, std::string_view collection, const Document& doc);
// Inserts or replaces the document with doc.id.
Status Upsert(db::Connection& conn, std::string_view collection, const Document& doc);
// Replaces an existing document.
Status Update(db::Connection& conn, std::string_view collection, const Document& doc);
Status Remove(db::Connection& conn, std::string_view collection, std::string_view id);
// nullopt when there is no document with `id`.
StatusOr<std::optional<Document>> Get(db::Connection& conn, std::string_view collection,
                                      std::string_view id);
// Documents whose top-level `field` equals `value` (a string or an integer),
// in id order.
StatusOr<std::vector<Document>> Find(db::Connection& conn, std::string_view collection,
                                     std::string_view field, const db::Value& value);
// Up to `limit` documents with id > `after`, in id order ("" for the first).
StatusOr<std::vector<Document>> ReadAfter(db::Connection& conn, std::string_view collection,
                                          std::string_view after, int64_t limit);
StatusOr<int64_t> Count(db::Connection& conn, std::string_view collection);

}  // namespace cairn::runner::docs

#endif  // CAIRN_RUNNER_DOCUMENTS_H_
