#include "cairn/schema/scratch.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "cairn/base/hash.h"

namespace cairn::schema {
namespace {

std::string RandomName() {
  std::string u = ledger::NewUuid();
  u.erase(std::remove(u.begin(), u.end(), '-'), u.end());
  return "cairn_scratch_" + u.substr(0, 20);
}

StatusOr<std::unique_ptr<db::Connection>> OpenAdmin(const db::DatabaseUrl& like) {
  Status last;
  for (const char* maintenance : {"postgres", "template1"}) {
    CAIRN_ASSIGN_OR_RETURN(db::DatabaseUrl url, WithDatabaseName(like, maintenance));
    auto conn = db::Connection::Open(url);
    if (conn.ok()) return std::move(*conn);
    last = conn.status();
  }
  return last;
}

int LineAt(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(
                 std::count(text.begin(), text.begin() + std::min(offset, text.size()), '\n'));
}

}  // namespace

StatusOr<db::DatabaseUrl> WithDatabaseName(const db::DatabaseUrl& url, const std::string& dbname) {
  std::string s = url.conninfo;
  size_t scheme = s.find("://");
  if (scheme == std::string::npos)
    return InvalidArgumentError("not a postgres:// URL: " + url.redacted);
  size_t path = s.find('/', scheme + 3);
  size_t query = s.find('?', scheme + 3);
  if (path == std::string::npos || (query != std::string::npos && path > query)) {
    s.insert(query == std::string::npos ? s.size() : query, "/" + dbname);
  } else {
    size_t end = query == std::string::npos ? s.size() : query;
    s.replace(path + 1, end - path - 1, dbname);
  }
  return db::ParseDatabaseUrl(s);
}

StatusOr<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Create(const db::DatabaseUrl& like) {
  std::unique_ptr<ScratchDatabase> s(new ScratchDatabase());
  if (like.backend == db::Backend::kSqlite) {
    CAIRN_ASSIGN_OR_RETURN(auto url, db::ParseDatabaseUrl("sqlite::memory:"));
    CAIRN_ASSIGN_OR_RETURN(s->conn_, db::Connection::Open(url));
    s->description_ = "an in-memory SQLite database";
    return s;
  }
  CAIRN_ASSIGN_OR_RETURN(s->admin_, OpenAdmin(like));
  const std::string name = RandomName();
  CAIRN_RETURN_IF_ERROR(s->admin_->Execute("CREATE DATABASE " + db::QuoteIdentifier(name))
                            .status()
                            .Annotate("creating scratch database " + name));
  s->pg_name_ = name;
  CAIRN_ASSIGN_OR_RETURN(auto url, WithDatabaseName(like, name));
  CAIRN_ASSIGN_OR_RETURN(s->conn_, db::Connection::Open(url));
  s->description_ = "scratch database " + name;
  return s;
}

StatusOr<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Copy(
    db::Connection* source, const db::DatabaseUrl& source_url) {
  std::unique_ptr<ScratchDatabase> s(new ScratchDatabase());
  if (source_url.backend == db::Backend::kSqlite) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-rehearse-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      return InternalError("cannot create a temporary directory");
    s->dir_ = tmpl;
    const std::string path = tmpl + "/copy.db";
    CAIRN_RETURN_IF_ERROR(source->Execute("VACUUM INTO $1", {db::Value(path)})
                              .status()
                              .Annotate("copying " + source_url.redacted));
    CAIRN_ASSIGN_OR_RETURN(auto url, db::ParseDatabaseUrl("sqlite:" + path));
    CAIRN_ASSIGN_OR_RETURN(s->conn_, db::Connection::Open(url));
    s->description_ = "a copy of " + source_url.sqlite_path;
    return s;
  }
  CAIRN_ASSIGN_OR_RETURN(s->admin_, OpenAdmin(source_url));
  const std::string name = RandomName();
  Status created = s->admin_
                       ->Execute("CREATE DATABASE " + db::QuoteIdentifier(name) + " TEMPLATE " +
                                 db::QuoteIdentifier(source_url.database_name))
                       .status();
  if (!created.ok())
    return FailedPreconditionError("cannot copy database " + source_url.database_name +
                                   " as a template: " + created.message());
  s->pg_name_ = name;
  CAIRN_ASSIGN_OR_RETURN(auto url, WithDatabaseName(source_url, name));
  CAIRN_ASSIGN_OR_RETURN(s->conn_, db::Connection::Open(url));
  s->description_ = "scratch copy " + name;
  return s;
}

ScratchDatabase::~ScratchDatabase() {
  conn_.reset();
  if (admin_ && !pg_name_.empty()) {
    Status s =
        admin_
            ->Execute("DROP DATABASE IF EXISTS " + db::QuoteIdentifier(pg_name_) + " WITH (FORCE)")
            .status();
    if (!s.ok()) spdlog::warn("could not drop scratch database {}: {}", pg_name_, s.message());
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

StatusOr<Model> LoadDesiredSchema(const db::DatabaseUrl& like, std::string_view path,
                                  std::string_view text) {
  CAIRN_ASSIGN_OR_RETURN(auto scratch, ScratchDatabase::Create(like));
  // The scratch database is dropped right after it is read, so a commit need
  // not wait for the WAL flush: each statement of schema.sql commits on its
  // own, and on a 1,000-table file this took the load from 79 s to 46 s in a
  // spot check on a loaded machine (BENCHMARKS.md, section 5). Session-local;
  // needs no privilege.
  if (like.backend == db::Backend::kPostgres)
    CAIRN_RETURN_IF_ERROR(scratch->connection()
                              .Execute("SET synchronous_commit = off")
                              .status()
                              .Annotate("preparing " + scratch->description()));
  db::Connection& conn = scratch->connection();
  // First as one transaction: on PostgreSQL the whole file then goes in one
  // round trip and one commit. Should anything fail (including a statement
  // that refuses to run in a transaction), it all rolls back and the file is
  // run again statement by statement, which reports the failure exactly.
  {
    CAIRN_ASSIGN_OR_RETURN(auto tx, conn.Begin());
    if (conn.ExecuteScript(text, nullptr, nullptr).ok() && tx->Commit().ok())
      return Introspect(conn);
  }
  db::ScriptFailure failure;
  Status s = conn.ExecuteScript(text, nullptr, &failure);
  if (!s.ok())
    return InvalidArgumentError(std::string(path) + ":" +
                                std::to_string(LineAt(text, failure.offset)) + ": " +
                                (failure.message.empty() ? s.message() : failure.message));
  return Introspect(scratch->connection());
}

}  // namespace cairn::schema
