// Scratch databases: throwaway databases cairn creates for its own work
// (loading a desired schema, rehearsing migrations, replaying migrations to
// recognise an existing schema) and removes when done.
//
//   CAIRN_ASSIGN_OR_RETURN(auto scratch, ScratchDatabase::Create(target_url));
//   scratch->connection().ExecuteScript(...);
//   // ~ScratchDatabase closes and removes it
//
// SQLite: an in-memory database, or a file copy (VACUUM INTO) in a private
// temporary directory. PostgreSQL: a database named cairn_scratch_<random> on
// the target's server, created and dropped (WITH (FORCE)) through a
// connection to the server's `postgres` database; this needs CREATEDB.
#ifndef CAIRN_SCHEMA_SCRATCH_H_
#define CAIRN_SCHEMA_SCRATCH_H_

#include <memory>
#include <string>
#include <string_view>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/schema/model.h"

namespace cairn::schema {

class ScratchDatabase {
 public:
  // An empty database on the backend (and PostgreSQL server) of `like`.
  static StatusOr<std::unique_ptr<ScratchDatabase>> Create(const db::DatabaseUrl& like);
  // A copy of the database `source` is connected to, schema and rows.
  // SQLite: VACUUM INTO through `source` (must not be in a transaction).
  // PostgreSQL: CREATE DATABASE ... TEMPLATE, which fails (kFailedPrecondition)
  // while any session, `source` included, is connected to the source
  // database: close it first.
  static StatusOr<std::unique_ptr<ScratchDatabase>> Copy(db::Connection* source,
                                                         const db::DatabaseUrl& source_url);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  db::Connection& connection() { return *conn_; }
  const std::string& description() const { return description_; }  // for messages

 private:
  ScratchDatabase() = default;
  std::unique_ptr<db::Connection> admin_;  // PostgreSQL: on the server's maintenance db
  std::unique_ptr<db::Connection> conn_;
  std::string pg_name_;  // PostgreSQL database to drop
  std::string dir_;      // SQLite copy: directory to remove
  std::string description_;
};

// `url` (postgres://...) with its database name replaced by `dbname`.
StatusOr<db::DatabaseUrl> WithDatabaseName(const db::DatabaseUrl& url, const std::string& dbname);

// Loads `text` (the contents of the schema file at `path`) into a fresh
// scratch database of `like`'s backend and returns its model. A statement
// that fails is kInvalidArgument "path:line: message".
StatusOr<Model> LoadDesiredSchema(const db::DatabaseUrl& like, std::string_view path,
                                  std::string_view text);

}  // namespace cairn::schema

#endif  // CAIRN_SCHEMA_SCRATCH_H_
