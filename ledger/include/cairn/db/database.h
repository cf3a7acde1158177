// The database connection layer shared by the ledger and the runner.
//
// One Connection is one session on a SQLite file or a PostgreSQL database.
// A Transaction is an RAII guard: it rolls back in its destructor unless
// Commit() succeeded. The runner begins a transaction, applies a migration
// through the same Connection, and the ledger appends its events through that
// Connection too, so the change and its events commit or vanish together.
//
//   CAIRN_ASSIGN_OR_RETURN(auto url, db::ParseDatabaseUrl("sqlite:campus.db"));
//   CAIRN_ASSIGN_OR_RETURN(auto conn, db::Connection::Open(url));
//   CAIRN_ASSIGN_OR_RETURN(auto tx, conn->Begin());
//   CAIRN_RETURN_IF_ERROR(conn->Execute("INSERT INTO t VALUES ($1)", {db::Value(42)}));
//   CAIRN_RETURN_IF_ERROR(tx->Commit());
//
// Parameters are always bound, never spliced into SQL text: write `$1`, `$2`,
// ... on both backends. Driver exceptions (libpqxx) never leave this layer;
// every failure is a Status:
//   kUnavailable        cannot connect, or the connection broke
//   kInvalidArgument    bad SQL (syntax, unknown table or column)
//   kAlreadyExists      unique or primary-key violation
//   kAborted            serialization failure, deadlock, busy timeout
//   kResourceExhausted  disk or file-size limit reached
//   kDataLoss           the database file is corrupt
//   kFailedPrecondition any other statement error
// A violated constraint (unique, primary key, foreign key, not null, check;
// SQLite's SQLITE_CONSTRAINT, PostgreSQL's class 23) also has the kind
// kConstraintViolation, whatever its code.
#ifndef CAIRN_DB_DATABASE_H_
#define CAIRN_DB_DATABASE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cairn/base/env.h"
#include "cairn/base/status.h"

namespace cairn::db {

inline constexpr ErrorKind kConstraintViolation{"db.ConstraintViolation"};

enum class Backend { kSqlite, kPostgres };
std::string_view BackendName(Backend backend);

// A parsed database URL.
//   sqlite:PATH, sqlite://PATH, sqlite:///ABSOLUTE/PATH, sqlite::memory:
//     optionally followed by ?journal_mode=wal|delete|truncate|persist|keep
//     (default wal; see docs/sqlite.md)
//   postgres://[user[:password]@]host[:port]/dbname[?param=value&...]
//   postgresql://... (same)
struct DatabaseUrl {
  Backend backend = Backend::kSqlite;
  std::string sqlite_path;    // SQLite: the file path (or ":memory:")
  std::string conninfo;       // PostgreSQL: the URL as given, for libpq
  std::string database_name;  // SQLite: file name without directory and extension;
                              // PostgreSQL: the database name
  std::string redacted;       // the URL with any password replaced by "***", for messages
  // SQLite: the journal mode Open sets ("wal", "delete", "truncate",
  // "persist"), or "keep" to leave the file's own mode alone.
  std::string sqlite_journal_mode = "wal";
};

// Parses `url`. Errors are kInvalidArgument and name the part that is wrong.
StatusOr<DatabaseUrl> ParseDatabaseUrl(std::string_view url);

// `name` as a double-quoted SQL identifier (embedded quotes doubled), valid on
// both backends. Identifiers cannot be bound as parameters; this is the only
// way a table, column or schema name may enter SQL text.
std::string QuoteIdentifier(std::string_view name);

// A byte string stored as BLOB (SQLite) or BYTEA (PostgreSQL).
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

// A parameter or column value.
class Value {
 public:
  Value() = default;                                 // NULL
  Value(std::nullptr_t) {}                           // NOLINT
  Value(int64_t v) : v_(v) {}                        // NOLINT
  Value(int v) : v_(static_cast<int64_t>(v)) {}      // NOLINT
  Value(double v) : v_(v) {}                         // NOLINT
  Value(std::string v) : v_(std::move(v)) {}         // NOLINT
  Value(std::string_view v) : v_(std::string(v)) {}  // NOLINT
  Value(const char* v) : v_(std::string(v)) {}       // NOLINT
  Value(Bytes v) : v_(std::move(v)) {}               // NOLINT

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_text() const { return std::holds_alternative<std::string>(v_); }
  bool is_bytes() const { return std::holds_alternative<Bytes>(v_); }

  // Conversions are lenient where the backends differ: AsInt() parses text,
  // AsText() prints numbers, AsBytes() returns text as bytes. NULL gives 0 or "".
  int64_t AsInt() const;
  double AsDouble() const;
  std::string AsText() const;
  const std::string& AsBytes() const;
  // AsBytes() moved out, for large values; leaves NULL behind.
  std::string ReleaseBytes();

 private:
  std::variant<std::monostate, int64_t, double, std::string, Bytes> v_;
};

using Params = std::vector<Value>;

struct Row {
  std::vector<Value> values;
  const Value& operator[](size_t i) const { return values.at(i); }
  Value& operator[](size_t i) { return values.at(i); }
  size_t size() const { return values.size(); }
};

// Where a script stopped.
struct ScriptFailure {
  size_t statement_index = 0;  // 0-based index of the failing statement
  size_t offset = 0;           // byte offset of the statement's first character in the script
  std::string statement;       // the statement's text
  std::string message;         // the database's message, first line
};

struct OpenOptions {
  // How long SQLite waits for a lock held by another process before kAborted.
  std::chrono::milliseconds busy_timeout{60000};
  // Application name shown in pg_stat_activity.
  std::string application_name = "cairn";
  // SQLite: create the file when it does not exist. Read-only commands turn
  // this off, so a mistyped path is kNotFound naming it instead of a new,
  // empty database.
  bool create_missing = true;
  // With create_missing false: a missing SQLite file opens as an empty
  // in-memory database under the same name instead of failing, so `plan`
  // can show a first deployment's plan (and hash) without creating the file.
  bool missing_as_empty = false;
  // SQLite: the Env whose AllowForeignFileOp sees each of SQLite's file
  // operations (a VFS shim, installed only when this is neither null nor
  // Env::Default(); cairn/base/env.h). PostgreSQL: unused.
  Env* env = nullptr;
};

class Transaction;

class Connection {
 public:
  // Opens a session. SQLite creates the file if it does not exist (unless
  // options.create_missing is false); its parent directory must exist. PostgreSQL connects with the
  // URL as given.
  static StatusOr<std::unique_ptr<Connection>> Open(const DatabaseUrl& url,
                                                    const OpenOptions& options = {});

  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual Backend backend() const = 0;
  const DatabaseUrl& url() const { return url_; }

  // Runs one statement with bound parameters; returns the rows it affected
  // (0 for statements that affect none).
  virtual StatusOr<int64_t> Execute(std::string_view sql, const Params& params = {}) = 0;

  // Runs one query and returns all its rows.
  virtual StatusOr<std::vector<Row>> Query(std::string_view sql, const Params& params = {}) = 0;

  // Runs one query and calls `fn` for each row, in order, until it returns
  // false. The rows are not all held in memory at once on SQLite.
  virtual Status ForEachRow(std::string_view sql, const Params& params,
                            const std::function<bool(const Row&)>& fn) = 0;

  // Runs a script of several statements (no parameters), one statement at a
  // time, stopping at the first error, which is described in `*failure`
  // (may be null). Sets `*executed` (may be null) to the number of statements
  // that completed. Comments and empty statements are not counted.
  virtual Status ExecuteScript(std::string_view script, int64_t* executed,
                               ScriptFailure* failure) = 0;

  // SQLite: copies this whole database into the file `path` (created or
  // overwritten) page by page with SQLite's online backup API: a consistent
  // snapshot even while other processes use the database. Waits for their
  // locks up to the busy timeout (then kAborted). Not inside a transaction.
  // PostgreSQL: kUnimplemented (cairn runs pg_dump; runner/backup.h).
  virtual Status BackupTo(const std::string& path);

  // SQLite: asks the statement running on this connection now to stop, from
  // another thread (not from a signal handler); it then fails with
  // kCancelled. A no-op when none runs. PostgreSQL: a no-op (cancel from
  // another session with pg_cancel_backend).
  virtual void Interrupt() {}
  // SQLite: replaces this whole database with the database in file `path`,
  // through the same API (every page, the ledger included). Not inside a
  // transaction. PostgreSQL: kUnimplemented.
  virtual Status RestoreFrom(const std::string& path);

  // Begins a transaction on this connection. SQLite takes the write lock at
  // once (BEGIN IMMEDIATE), waiting up to the busy timeout: a transaction
  // never fails half-way for want of a lock it could have waited for.
  // Only one transaction may be open on a connection at a time.
  StatusOr<std::unique_ptr<Transaction>> Begin();

  // Limits for the statements that follow on this connection, until changed:
  // `lock_wait` bounds how long one statement waits for a lock another
  // session holds (PostgreSQL lock_timeout, SQLite busy timeout); `run_time`
  // bounds how long one statement runs (PostgreSQL statement_timeout; SQLite
  // interrupts it). nullopt restores the connection's default. A statement
  // stopped by a lock limit fails with kAborted, by a run-time limit with
  // kCancelled.
  virtual Status SetStatementLimits(std::optional<std::chrono::milliseconds> lock_wait,
                                    std::optional<std::chrono::milliseconds> run_time) = 0;

  // Two-phase commit (PostgreSQL only; kUnimplemented on SQLite). `gid` is the
  // prepared transaction's name: 1-200 characters from [A-Za-z0-9_.:-]
  // (anything else is kInvalidArgument, so it can be written as a literal).
  // Must not be called inside a transaction.
  Status CommitPrepared(std::string_view gid);
  Status RollbackPrepared(std::string_view gid);

  bool in_transaction() const { return in_transaction_; }
  // Increases with every Begin(): lets callers cache facts that hold only
  // within one transaction (such as a lock taken in it).
  uint64_t transaction_serial() const { return transaction_serial_; }

 protected:
  explicit Connection(DatabaseUrl url) : url_(std::move(url)) {}
  virtual std::string_view BeginStatement() const = 0;
  // Start and end a transaction on the server. The defaults execute
  // BeginStatement() and `verb` ("COMMIT" or "ROLLBACK"). PostgreSQL defers
  // its BEGIN to the transaction's first statement, sent in the same round
  // trip; a transaction that ran no statement then sends nothing at all.
  virtual Status StartTransaction();
  virtual Status EndTransaction(std::string_view verb);

 private:
  friend class Transaction;
  DatabaseUrl url_;
  bool in_transaction_ = false;
  uint64_t transaction_serial_ = 0;
};

// An open transaction. Rolls back in the destructor unless committed.
// The Connection must outlive it.
class Transaction {
 public:
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Commit();
  Status Rollback();
  // PREPARE TRANSACTION `gid` (PostgreSQL only; see Connection::CommitPrepared
  // for what a gid may hold): the transaction leaves this session and waits,
  // durable, for COMMIT PREPARED or ROLLBACK PREPARED from any session. On
  // success the transaction is no longer open here; on failure it was rolled back.
  Status Prepare(std::string_view gid);
  bool open() const { return open_; }
  Connection& connection() { return conn_; }

 private:
  friend class Connection;
  explicit Transaction(Connection& conn) : conn_(conn) {}
  Connection& conn_;
  bool open_ = true;
};

}  // namespace cairn::db

#endif  // CAIRN_DB_DATABASE_H_
