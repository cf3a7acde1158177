#include "cairn/store/identity.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "cairn/base/hash.h"
#include "cairn/store/records.h"

namespace cairn::ledger {
namespace {

using db::Value;

constexpr std::string_view kSeveral = "several streams in the ledger of ";
constexpr std::string_view kUnknown = "--stream ";
constexpr const char* kTargetIdKey = "target_id";

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

StatusOr<std::string> ReadMeta(LedgerStore& store, std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(bool exists, store.Exists());
  if (!exists) return std::string();
  CAIRN_ASSIGN_OR_RETURN(
      auto rows, store.connection().Query("SELECT value FROM cairn_ledger_meta WHERE key = $1",
                                          {Value(std::string(key))}));
  return rows.empty() ? std::string() : rows[0][0].AsText();
}

// Inserts key = value unless the key is there already (meta rows are never
// replaced: docs/ledger-format.md). On SQLite the writer holds the database
// lock, so the check cannot race; PostgreSQL resolves races on the key.
Status InsertMetaIfAbsent(db::Connection& conn, std::string_view key, const std::string& value) {
  const char* sql = conn.backend() == db::Backend::kSqlite
                        ? "INSERT INTO cairn_ledger_meta (key, value) SELECT $1, $2 "
                          "WHERE NOT EXISTS (SELECT 1 FROM cairn_ledger_meta WHERE key = $1)"
                        : "INSERT INTO cairn_ledger_meta (key, value) VALUES ($1, $2) "
                          "ON CONFLICT (key) DO NOTHING";
  return conn.Execute(sql, {Value(std::string(key)), Value(value)}).status();
}

std::string OriginKey(std::string_view stream) { return "origin:" + std::string(stream); }

}  // namespace

StatusOr<std::string> ResolveStream(LedgerStore& store, const StreamRequest& request,
                                    const db::DatabaseUrl& url) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> streams, ListStreamNames(store));
  if (request.stream.empty()) {
    if (streams.size() == 1) return streams.front();
    if (streams.empty() || request.any_stream) return url.database_name;
    return InvalidArgumentError(std::string(kSeveral) + url.redacted + ": " + Join(streams) +
                                "; choose one with --stream")
        .WithKind(kStreamRefused);
  }
  if (streams.empty() || request.new_stream) return request.stream;
  for (const std::string& s : streams)
    if (s == request.stream) return request.stream;
  return InvalidArgumentError(std::string(kUnknown) + request.stream +
                              ": no such stream in the ledger of " + url.redacted +
                              ", which holds: " + Join(streams) +
                              " (to start a new stream on purpose, add --new-stream)")
      .WithKind(kStreamRefused);
}

StatusOr<std::string> ReadTargetId(LedgerStore& store) { return ReadMeta(store, kTargetIdKey); }

StatusOr<std::string> EnsureTargetId(LedgerStore& store) {
  CAIRN_ASSIGN_OR_RETURN(std::string id, ReadTargetId(store));
  if (!id.empty()) return id;
  db::Connection& conn = store.connection();
  std::unique_ptr<db::Transaction> tx;
  if (!conn.in_transaction()) {
    CAIRN_ASSIGN_OR_RETURN(tx, conn.Begin());
  }
  CAIRN_RETURN_IF_ERROR(store.EnsureSchema());
  CAIRN_RETURN_IF_ERROR(
      InsertMetaIfAbsent(conn, kTargetIdKey, NewUuid()).Annotate("cannot record the target id"));
  if (tx) CAIRN_RETURN_IF_ERROR(tx->Commit());
  return ReadTargetId(store);
}

StatusOr<std::string> LocationOf(db::Connection& conn) {
  const db::DatabaseUrl& url = conn.url();
  if (url.backend == db::Backend::kSqlite) {
    if (url.sqlite_path == ":memory:") return std::string("memory");
    struct stat st {};
    if (::stat(url.sqlite_path.c_str(), &st) != 0)
      return UnavailableError(url.sqlite_path + ": " + std::strerror(errno));
    return "file:" + std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
           std::to_string(static_cast<unsigned long long>(st.st_ino));
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      // pg_control_system() may be closed to ordinary roles: then "?".
      conn.Query("SELECT CASE WHEN has_function_privilege('pg_catalog.pg_control_system()', "
                 "'EXECUTE') THEN (SELECT system_identifier::text FROM pg_control_system()) END, "
                 "oid::text FROM pg_database WHERE datname = current_database()"));
  if (rows.empty()) return InternalError("the current database is not in pg_database");
  return "postgres:" + (rows[0][0].is_null() ? std::string("?") : rows[0][0].AsText()) + ":" +
         rows[0][1].AsText();
}

StatusOr<StreamOrigin> ReadStreamOrigin(LedgerStore& central, std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(std::string value, ReadMeta(central, OriginKey(stream)));
  StreamOrigin o;
  if (value.empty()) return o;
  // "TARGET_ID LOCATION URL": the first two never contain a space.
  const size_t a = value.find(' ');
  const size_t b = a == std::string::npos ? a : value.find(' ', a + 1);
  if (b == std::string::npos)
    return DataLossError("cairn_ledger_meta " + OriginKey(stream) + ": malformed value");
  o.target_id = value.substr(0, a);
  o.location = value.substr(a + 1, b - a - 1);
  o.url = value.substr(b + 1);
  return o;
}

Status RecordStreamOrigin(db::Transaction& tx, LedgerStore& central, std::string_view stream,
                          const StreamOrigin& origin) {
  if (&tx.connection() != &central.connection())
    return InvalidArgumentError(
        "recording a stream's origin: the transaction is on another connection than the store's");
  if (!tx.open())
    return FailedPreconditionError("recording a stream's origin needs an open transaction");
  return InsertMetaIfAbsent(central.connection(), OriginKey(stream),
                            origin.target_id + " " + origin.location + " " + origin.url)
      .Annotate("cannot record where stream '" + std::string(stream) + "' comes from");
}

std::string DerivedEventId(std::string_view as, std::string_view event_id) {
  std::string input = "cairn forward --as";
  input += '\0';
  input += as;
  input += '\0';
  input += event_id;
  std::string hex = ToHex(Sha256(input)).substr(0, 32);
  hex[12] = '5';                                                    // version 5: name-based (SHA)
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace cairn::ledger
