#include "cairn/runner/documents.h"

#include <cctype>

namespace cairn::runner::docs {
namespace {

using nlohmann::json;

bool Pg(db::Connection& conn) { return conn.backend() == db::Backend::kPostgres; }

std::string Quoted(std::string_view collection) {
  return db::QuoteIdentifier(TableName(collection));
}

StatusOr<json> ParseBody(std::string_view id, const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return DataLossError("document " + std::string(id) + ": stored body is not a JSON object");
  return j;
}

Status CheckDocument(std::string_view collection, const Document& doc) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  if (doc.id.empty()) return InvalidArgumentError(std::string(collection) + ": empty document id");
  if (!doc.body.is_object())
    return InvalidArgumentError(std::string(collection) + "/" + doc.id +
                                ": a document body must be a JSON object");
  return Status::Ok();
}

StatusOr<std::vector<Document>> DocumentsOf(const std::vector<db::Row>& rows) {
  std::vector<Document> out;
  out.reserve(rows.size());
  for (const db::Row& r : rows) {
    Document d;
    d.id = r[0].AsText();
    CAIRN_ASSIGN_OR_RETURN(d.body, ParseBody(d.id, r[1].AsText()));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

Status ValidateCollectionName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 48 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok)
    return InvalidArgumentError("collection name '" + std::string(name) +
                                "': use lowercase letters, digits and '_', starting with a "
                                "letter, at most 48 characters");
  return Status::Ok();
}

std::string TableName(std::string_view collection) {
  return "cairn_doc_" + std::string(collection);
}

Status CreateCollection(db::Connection& conn, std::string_view collection) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  const std::string body =
      Pg(conn) ? "body JSONB NOT NULL" : "body TEXT NOT NULL CHECK (json_valid(body))";
  return conn
      .Execute("CREATE TABLE IF NOT EXISTS " + Quoted(collection) +
               " (id TEXT PRIMARY KEY CHECK (id <> ''), " + body + ")")
      .status();
}

Status DropCollection(db::Connection& conn, std::string_view collection) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  return conn.Execute("DROP TABLE IF EXISTS " + Quoted(collection)).status();
}

StatusOr<bool> CollectionExists(db::Connection& conn, std::string_view collection) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  const char* sql = Pg(conn) ? "SELECT count(*) FROM information_schema.tables "
                               "WHERE table_schema = current_schema() AND table_name = $1"
                             : "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                               "AND name = $1";
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, {db::Value(TableName(collection))}));
  return !rows.empty() && rows[0][0].AsInt() > 0;
}

Status Insert(db::Connection& conn, std::string_view collection, const Document& doc) {
  CAIRN_RETURN_IF_ERROR(CheckDocument(collection, doc));
  auto r = conn.Execute("INSERT INTO " + Quoted(collection) + " (id, body) VALUES ($1, $2)",
                        {db::Value(doc.id), db::Value(doc.body.dump())});
  if (r.status().code() == StatusCode::kAlreadyExists)
    return AlreadyExistsError(std::string(collection) + "/" + doc.id + ": document exists");
  return r.status();
}

Status Upsert(db::Connection& conn, std::string_view collection, const Document& doc) {
  CAIRN_RETURN_IF_ERROR(CheckDocument(collection, doc));
  return conn
      .Execute("INSERT INTO " + Quoted(collection) +
                   " (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = "
                   "excluded.body",
               {db::Value(doc.id), db::Value(doc.body.dump())})
      .status();
}

Status Update(db::Connection& conn, std::string_view collection, const Document& doc) {
  CAIRN_RETURN_IF_ERROR(CheckDocument(collection, doc));
  CAIRN_ASSIGN_OR_RETURN(
      int64_t n, conn.Execute("UPDATE " + Quoted(collection) + " SET body = $2 WHERE id = $1",
                              {db::Value(doc.id), db::Value(doc.body.dump())}));
  if (n == 0) return NotFoundError(std::string(collection) + "/" + doc.id + ": no such document");
  return Status::Ok();
}

Status Remove(db::Connection& conn, std::string_view collection, std::string_view id) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  CAIRN_ASSIGN_OR_RETURN(
      int64_t n,
      conn.Execute("DELETE FROM " + Quoted(collection) + " WHERE id = $1", {db::Value(id)}));
  if (n == 0)
    return NotFoundError(std::string(collection) + "/" + std::string(id) + ": no such document");
  return Status::Ok();
}

StatusOr<std::optional<Document>> Get(db::Connection& conn, std::string_view collection,
                                      std::string_view id) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query("SELECT id, body FROM " + Quoted(collection) + " WHERE id = $1", {db::Value(id)}));
  if (rows.empty()) return std::optional<Document>();
  CAIRN_ASSIGN_OR_RETURN(auto found, DocumentsOf(rows));
  return std::optional<Document>(std::move(found[0]));
}

StatusOr<std::vector<Document>> Find(db::Connection& conn, std::string_view collection,
                                     std::string_view field, const db::Value& value) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  if (field.empty()) return InvalidArgumentError("Find: empty field name");
  std::string sql = "SELECT id, body FROM " + Quoted(collection);
  db::Params params;
  if (Pg(conn)) {
    sql += " WHERE body ->> $1 = $2 ORDER BY id";
    params = {db::Value(field), db::Value(value.AsText())};
  } else {
    // The path is a bound parameter: '$."field"' with the field's quotes doubled.
    std::string path = "$.\"";
    for (char c : field) path += c == '"' ? std::string("\"\"") : std::string(1, c);
    path += "\"";
    sql += " WHERE json_extract(body, $1) = $2 ORDER BY id";
    params = {db::Value(path), value};
  }
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, params));
  return DocumentsOf(rows);
}

StatusOr<std::vector<Document>> ReadAfter(db::Connection& conn, std::string_view collection,
                                          std::string_view after, int64_t limit) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT id, body FROM " + Quoted(collection) +
                                                   " WHERE id > $1 ORDER BY id LIMIT $2",
                                               {db::Value(after), db::Value(limit)}));
  return DocumentsOf(rows);
}

StatusOr<int64_t> Count(db::Connection& conn, std::string_view collection) {
  CAIRN_RETURN_IF_ERROR(ValidateCollectionName(collection));
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT count(*) FROM " + Quoted(collection)));
  return rows.empty() ? 0 : rows[0][0].AsInt();
}

}  // namespace cairn::runner::docs
