// SQLite backend: the sqlite3 C API, statements prepared and bound, never
// built from values.
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <string>

#include "cairn/db/backend_registry.h"
#include "db/sqlite_env_vfs.h"

namespace cairn::db {
namespace {

StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return StatusCode::kAlreadyExists;
      return StatusCode::kFailedPrecondition;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kAborted;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
    case SQLITE_NOMEM:
      return StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return StatusCode::kUnavailable;
    case SQLITE_ERROR:
      return StatusCode::kInvalidArgument;
    case SQLITE_INTERRUPT:
      return StatusCode::kCancelled;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return StatusCode::kPermissionDenied;
    default:
      return StatusCode::kFailedPrecondition;
  }
}

// The last error of `db` (or `fallback_rc` when it has none) as a Status.
// A write refused for want of space (ENOSPC) or by a file-size limit (EFBIG)
// comes back as SQLITE_FULL or as a bare "disk I/O error" (SQLITE_IOERR_WRITE,
// often with the errno already lost); those say what probably happened and
// are kResourceExhausted.
Status ErrorOf(sqlite3* db, int fallback_rc) {
  const int rc = sqlite3_extended_errcode(db) ? sqlite3_extended_errcode(db) : fallback_rc;
  std::string msg = sqlite3_errmsg(db);
  if ((rc & 0xff) == SQLITE_FULL || rc == SQLITE_IOERR_WRITE) {
    const int err = sqlite3_system_errno(db);
    struct rlimit limit {};
    const bool fsize_limited =
        getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY;
    if (err == EFBIG || (err == 0 && fsize_limited)) {
      msg += ": a write hit this process's file size limit (RLIMIT_FSIZE " +
             std::to_string(static_cast<unsigned long long>(limit.rlim_cur)) +
             " bytes): the disk is full for it";
    } else if (err == ENOSPC || (rc & 0xff) == SQLITE_FULL) {
      msg += ": the disk is full";
    } else {
      msg += ": a write failed (disk full, file size limit or device error)";
    }
    return Status(StatusCode::kResourceExhausted, msg);
  }
  Status s(CodeFor(rc), msg);
  return (rc & 0xff) == SQLITE_CONSTRAINT ? std::move(s).WithKind(kConstraintViolation) : s;
}

// Finalizes a statement on scope exit.
struct StmtGuard {
  sqlite3_stmt* stmt = nullptr;
  ~StmtGuard() { sqlite3_finalize(stmt); }
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(DatabaseUrl url, sqlite3* db, std::chrono::milliseconds busy_timeout,
                   const char* vfs)
      : Connection(std::move(url)), db_(db), default_busy_(busy_timeout), vfs_(vfs) {}
  ~SqliteConnection() override {
    if (in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }

  Backend backend() const override { return Backend::kSqlite; }

  Status SetStatementLimits(std::optional<std::chrono::milliseconds> lock_wait,
                            std::optional<std::chrono::milliseconds> run_time) override {
    sqlite3_busy_timeout(db_, static_cast<int>(lock_wait.value_or(default_busy_).count()));
    run_time_ = run_time.value_or(std::chrono::milliseconds(0));
    if (run_time_.count() > 0) {
      sqlite3_progress_handler(db_, 1000, &SqliteConnection::PastDeadline, this);
    } else {
      sqlite3_progress_handler(db_, 0, nullptr, nullptr);
    }
    return Status::Ok();
  }

  StatusOr<int64_t> Execute(std::string_view sql, const Params& params) override {
    StartClock();
    StmtGuard g;
    CAIRN_RETURN_IF_ERROR(Prepare(sql, params, &g.stmt));
    int rc;
    while ((rc = sqlite3_step(g.stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return Error(rc, sql);
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  StatusOr<std::vector<Row>> Query(std::string_view sql, const Params& params) override {
    std::vector<Row> rows;
    CAIRN_RETURN_IF_ERROR(ForEachRow(sql, params, [&](const Row& r) {
      rows.push_back(r);
      return true;
    }));
    return rows;
  }

  Status ForEachRow(std::string_view sql, const Params& params,
                    const std::function<bool(const Row&)>& fn) override {
    StartClock();
    StmtGuard g;
    CAIRN_RETURN_IF_ERROR(Prepare(sql, params, &g.stmt));
    const int ncol = sqlite3_column_count(g.stmt);
    Row row;
    int rc;
    while ((rc = sqlite3_step(g.stmt)) == SQLITE_ROW) {
      row.values.clear();
      row.values.reserve(ncol);
      for (int i = 0; i < ncol; ++i) row.values.push_back(Column(g.stmt, i));
      if (!fn(row)) return Status::Ok();
    }
    if (rc != SQLITE_DONE) return Error(rc, sql);
    return Status::Ok();
  }

  Status ExecuteScript(std::string_view script, int64_t* executed,
                       ScriptFailure* failure) override {
    if (executed) *executed = 0;
    // SQLite copies the text it is given unless it ends in a NUL counted in
    // its length: passing the rest of an unterminated script to every
    // prepare would copy it once per statement (quadratic). One terminated
    // copy, and the NUL counted, prepares in place.
    const std::string terminated(script);
    const char* base = terminated.data();
    const char* p = base;
    const char* end = base + terminated.size();
    size_t index = 0;
    while (p < end) {
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v2(db_, p, static_cast<int>(end - p) + 1, &raw, &tail);
      StmtGuard g{raw};
      if (rc != SQLITE_OK) return ScriptError(rc, terminated, p, end, index, failure);
      if (raw == nullptr) {  // only whitespace or comments remained
        p = tail;
        continue;
      }
      StartClock();
      while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE) return ScriptError(rc, terminated, p, tail, index, failure);
      ++index;
      if (executed) ++*executed;
      p = tail;
    }
    return Status::Ok();
  }

  Status BackupTo(const std::string& path) override { return Copy(path, /*to_file=*/true); }
  Status RestoreFrom(const std::string& path) override { return Copy(path, /*to_file=*/false); }

 protected:
  std::string_view BeginStatement() const override { return "BEGIN IMMEDIATE"; }

  void Interrupt() override { sqlite3_interrupt(db_); }

 private:
  // The online backup API between this database and the file `path`, in the
  // direction `to_file` says. Retries while another connection holds a lock,
  // up to the busy timeout.
  Status Copy(const std::string& path, bool to_file) {
    if (in_transaction()) return FailedPreconditionError("backup or restore inside a transaction");
    sqlite3* file = nullptr;
    int flags = to_file ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    int rc = sqlite3_open_v2(path.c_str(), &file, flags, vfs_);
    auto close_file = [&] { sqlite3_close_v2(file); };
    if (rc != SQLITE_OK) {
      std::string msg = file ? sqlite3_errmsg(file) : "out of memory";
      close_file();
      return UnavailableError("cannot open '" + path + "': " + msg);
    }
    sqlite3_busy_timeout(file, static_cast<int>(default_busy_.count()));
    sqlite3* dest = to_file ? file : db_;
    sqlite3* src = to_file ? db_ : file;
    sqlite3_backup* b = sqlite3_backup_init(dest, "main", src, "main");
    if (b == nullptr) {
      Status s(CodeFor(sqlite3_extended_errcode(dest)),
               std::string("backup of '") + path + "': " + sqlite3_errmsg(dest));
      close_file();
      return s;
    }
    const auto deadline = std::chrono::steady_clock::now() + default_busy_;
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (std::chrono::steady_clock::now() > deadline) break;
      sqlite3_sleep(10);
    }
    sqlite3_backup_finish(b);
    Status s;
    if (rc != SQLITE_DONE)
      s = Status(CodeFor(rc), std::string(to_file ? "backup to '" : "restore from '") + path +
                                  "': " + sqlite3_errstr(rc));
    close_file();
    return s;
  }

  // The run-time limit: each statement gets `run_time_` from its first step.
  void StartClock() { deadline_ = std::chrono::steady_clock::now() + run_time_; }
  static int PastDeadline(void* self) {
    return std::chrono::steady_clock::now() > static_cast<SqliteConnection*>(self)->deadline_;
  }

  // Skips whitespace and comments so a failure points at the statement itself.
  static const char* SkipSpace(const char* p, const char* end) {
    while (p < end) {
      if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
        ++p;
      } else if (p + 1 < end && p[0] == '-' && p[1] == '-') {
        while (p < end && *p != '\n') ++p;
      } else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
        p += 2;
        while (p + 1 < end && !(p[0] == '*' && p[1] == '/')) ++p;
        p = p + 1 < end ? p + 2 : end;
      } else {
        break;
      }
    }
    return p;
  }

  Status ScriptError(int rc, std::string_view script, const char* p, const char* stmt_end,
                     size_t index, ScriptFailure* failure) {
    Status error = ErrorOf(db_, rc);
    const std::string& msg = error.message();
    const char* start = SkipSpace(p, stmt_end);
    if (failure) {
      failure->statement_index = index;
      failure->offset = static_cast<size_t>(start - script.data());
      const char* e = stmt_end;
      if (rc != SQLITE_OK || e <= start) {
        // On a prepare error there is no tail: the statement runs to the ';'
        // that completes it, not one inside a string, identifier or comment.
        const char* limit = script.data() + script.size();
        e = limit;
        for (const char* q = start; q < limit; ++q) {
          if (*q == ';' && sqlite3_complete(std::string(start, q + 1).c_str())) {
            e = q;
            break;
          }
        }
      }
      std::string_view text(start, static_cast<size_t>(e - start));
      while (!text.empty() &&
             (text.back() == ';' || std::isspace(static_cast<unsigned char>(text.back()))))
        text.remove_suffix(1);
      failure->statement = std::string(text);
      failure->message = msg;
    }
    return error;
  }

  Status Prepare(std::string_view sql, const Params& params, sqlite3_stmt** out) {
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), out, &tail);
    if (rc != SQLITE_OK) return Error(rc, sql);
    if (*out == nullptr) return InvalidArgumentError("empty statement");
    for (size_t i = 0; i < params.size(); ++i) {
      // `$N` is a named parameter in SQLite; look it up so `$2 ... $1` binds right.
      std::string name = "$" + std::to_string(i + 1);
      int idx = sqlite3_bind_parameter_index(*out, name.c_str());
      if (idx == 0) {
        if (static_cast<int>(i + 1) > sqlite3_bind_parameter_count(*out)) continue;
        idx = static_cast<int>(i + 1);
      }
      const Value& v = params[i];
      if (v.is_null())
        rc = sqlite3_bind_null(*out, idx);
      else if (v.is_int())
        rc = sqlite3_bind_int64(*out, idx, v.AsInt());
      else if (v.is_double())
        rc = sqlite3_bind_double(*out, idx, v.AsDouble());
      else if (v.is_bytes()) {
        const std::string& b = v.AsBytes();
        rc = sqlite3_bind_blob64(*out, idx, b.data(), b.size(), SQLITE_TRANSIENT);
      } else {
        std::string t = v.AsText();
        rc = sqlite3_bind_text64(*out, idx, t.data(), t.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return Error(rc, sql);
    }
    return Status::Ok();
  }

  static Value Column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return Value(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(stmt, i));
      case SQLITE_TEXT: {
        auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        return Value(std::string(t, static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
      }
      case SQLITE_BLOB: {
        auto* b = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        return Value(
            Bytes{std::string(b ? b : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i)))});
      }
      default:
        return Value();
    }
  }

  Status Error(int rc, std::string_view sql) {
    (void)sql;
    return ErrorOf(db_, rc);
  }

  sqlite3* db_;
  std::chrono::milliseconds default_busy_;
  const char* vfs_;  // the Env's VFS shim (sqlite_env_vfs.h), or nullptr: SQLite's default
  std::chrono::milliseconds run_time_{0};
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

namespace {

// Process-wide SQLite settings, made once before the library initializes
// (sqlite3_config works only then). Memory statistics off: with them on,
// every allocation SQLite makes takes a global mutex, and cairn is a
// multi-threaded process, where glibc cannot skip uncontended locks as it
// does for the single-threaded sqlite3 shell; parsing a large INSERT makes
// thousands of allocations (docs/sqlite.md, "Allocation statistics"). cairn
// never reads the statistics (sqlite3_memory_used, sqlite3_status64, heap
// limits), which are all that the setting turns off.
void ConfigureSqliteOnce() {
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;  // SQLITE_MISUSE if SQLite was initialized first: then it stays on
}

// Puts the file in the journal mode the URL asks for (WAL by default) with
// synchronous=FULL, so that every commit is durable with one fsync of the
// write-ahead log instead of the rollback journal's four (docs/sqlite.md).
// The mode comes from a fixed list checked by ParseDatabaseUrl. A file that
// cannot change mode now (read-only, or another process holds it open in
// rollback mode) stays in its own mode: correctness does not depend on it.
Status SetJournalMode(sqlite3* db, const DatabaseUrl& url) {
  if (url.sqlite_path == ":memory:") return Status::Ok();
  if (url.sqlite_journal_mode != "keep") {
    const std::string pragma = "PRAGMA journal_mode=" + url.sqlite_journal_mode;
    int rc = sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && (rc & 0xff) != SQLITE_READONLY &&
        (rc & 0xff) != SQLITE_BUSY) {
      return Status(CodeFor(rc), "cannot set journal_mode=" + url.sqlite_journal_mode +
                                     " on SQLite database '" + url.sqlite_path +
                                     "': " + sqlite3_errmsg(db));
    }
  }
  sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  return Status::Ok();
}

StatusOr<std::unique_ptr<Connection>> OpenSqlite(const DatabaseUrl& url,
                                                 const OpenOptions& options) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_missing) {
    flags |= SQLITE_OPEN_CREATE;
  } else if (options.missing_as_empty) {
    struct stat st;
    if (::stat(url.sqlite_path.c_str(), &st) != 0 && errno == ENOENT)
      flags |= SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY;  // named as the file; nothing on disk
  }
  // A non-default Env sees SQLite's file operations through a VFS shim; the
  // default path gets none (no cost).
  const char* vfs =
      options.env != nullptr && options.env != Env::Default() ? EnvVfsName(options.env) : nullptr;
  int rc = sqlite3_open_v2(url.sqlite_path.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    struct stat st;
    if (!options.create_missing && ::stat(url.sqlite_path.c_str(), &st) != 0 && errno == ENOENT)
      return NotFoundError("SQLite database '" + url.sqlite_path +
                           "' does not exist (this command never creates one)");
    return UnavailableError("cannot open SQLite database '" + url.sqlite_path + "': " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  // Fail now, not at the first write, if the file is not a database.
  char* err = nullptr;
  rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    sqlite3_close_v2(db);
    return Status(CodeFor(rc) == StatusCode::kInvalidArgument ? StatusCode::kDataLoss : CodeFor(rc),
                  "cannot read SQLite database '" + url.sqlite_path + "': " + msg);
  }
  if (Status s = SetJournalMode(db, url); !s.ok()) {
    sqlite3_close_v2(db);
    return s;
  }
  return std::unique_ptr<Connection>(new SqliteConnection(url, db, options.busy_timeout, vfs));
}

bool RegisterSqlite() {
  bool ok = true;
  for (const char* scheme : {"sqlite", "sqlite3", "file"})
    ok = RegisterBackend(scheme, &OpenSqlite).ok() && ok;
  return ok;
}

}  // namespace
}  // namespace cairn::db

// SQLite registers itself when this file's code is loaded
// (cairn/db/backend_registry.h). Nothing refers to this file by name, and a
// linker leaves out an archive member nobody refers to, initializer and
// all: ledger/CMakeLists.txt has every program that links cairn_db ask for
// this symbol (--undefined), which keeps it.
extern "C" const bool cairn_db_sqlite_registered = cairn::db::RegisterSqlite();
