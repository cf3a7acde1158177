// PostgreSQL backend on libpqxx 6.4. Every libpqxx exception is caught here
// and becomes a Status. Transactions are plain BEGIN/COMMIT statements so the
// same Connection can also run autocommit statements and, later, two-phase
// commit; each call uses a short-lived pqxx::nontransaction.
#include <cctype>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "cairn/db/backend_registry.h"
#include "cairn/db/sql_splitter.h"

namespace cairn::db {
namespace {

constexpr pqxx::oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
                    kOidOid = 26, kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700;

std::string FirstLine(std::string_view s) {
  auto nl = s.find('\n');
  std::string out(s.substr(0, nl));
  while (!out.empty() && (out.back() == '\r' || out.back() == ' ')) out.pop_back();
  if (out.rfind("ERROR:  ", 0) == 0) out.erase(0, 8);
  return out;
}

StatusCode CodeForSqlState(const std::string& state) {
  if (state == "23505") return StatusCode::kAlreadyExists;
  if (state == "40001" || state == "40P01" || state == "55P03") return StatusCode::kAborted;
  if (state == "57014") return StatusCode::kCancelled;
  if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03")
    return StatusCode::kUnavailable;
  if (state.rfind("42", 0) == 0) return StatusCode::kInvalidArgument;
  if (state.rfind("53", 0) == 0) return StatusCode::kResourceExhausted;
  if (state.rfind("XX", 0) == 0) return StatusCode::kDataLoss;
  return StatusCode::kFailedPrecondition;
}

std::string ToHex(const std::string& b) {
  static const char* kDigits = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + b.size() * 2);
  for (unsigned char c : b) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(DatabaseUrl url, std::unique_ptr<pqxx::connection> c)
      : Connection(std::move(url)), c_(std::move(c)) {}
  ~PostgresConnection() override = default;  // the server rolls back an open transaction

  Backend backend() const override { return Backend::kPostgres; }

  StatusOr<int64_t> Execute(std::string_view sql, const Params& params) override {
    int64_t affected = 0;
    Status s = Run([&] {
      pqxx::nontransaction n(*c_);
      pqxx::result r = Exec(n, sql, params);
      affected = r.affected_rows();
    });
    if (!s.ok()) return s;
    return affected;
  }

  StatusOr<std::vector<Row>> Query(std::string_view sql, const Params& params) override {
    std::vector<Row> rows;
    Status s = Run([&] {
      pqxx::nontransaction n(*c_);
      pqxx::result r = Exec(n, sql, params);
      rows.reserve(r.size());
      for (const auto& row : r) rows.push_back(Convert(row));
    });
    if (!s.ok()) return s;
    return rows;
  }

  Status ForEachRow(std::string_view sql, const Params& params,
                    const std::function<bool(const Row&)>& fn) override {
    return Run([&] {
      pqxx::nontransaction n(*c_);
      pqxx::result r = Exec(n, sql, params);
      for (const auto& row : r) {
        if (!fn(Convert(row))) break;
      }
    });
  }

  Status ExecuteScript(std::string_view script, int64_t* executed,
                       ScriptFailure* failure) override {
    if (executed) *executed = 0;
    std::vector<SqlStatement> stmts = SplitSqlStatements(script);
    if (in_transaction() && stmts.size() > 1) {
      // Inside a transaction the whole script goes as one simple query: one
      // round trip instead of one per statement. It runs behind a savepoint
      // so that, should it fail, the statements can be replayed one by one
      // below to name the failing one (PostgreSQL reports no index).
      // The prefixes sent before the script contain no newline, so the
      // server's "LINE n" is line n of the script.
      std::string detail;
      Status s = Run(
          [&] {
            pqxx::nontransaction n(*c_);
            Exec(n,
                 "SAVEPOINT cairn_script; " + std::string(script) +
                     "\n;RELEASE SAVEPOINT cairn_script",
                 {});
          },
          &detail);
      if (s.ok()) {
        if (executed) *executed = static_cast<int64_t>(stmts.size());
        return s;
      }
      if (s.code() == StatusCode::kUnavailable) return s;
      Status back = Run([&] {
        pqxx::nontransaction n(*c_);
        n.exec("ROLLBACK TO SAVEPOINT cairn_script");
      });
      if (!back.ok()) {
        // Nothing ran: the server refused the whole string while parsing it,
        // and names the place in its LINE context.
        if (auto i = StatementAt(script, stmts, detail); i && failure) {
          failure->statement_index = *i;
          failure->offset = stmts[*i].offset;
          failure->statement = std::string(stmts[*i].text);
          failure->message = s.message();
          if (executed) *executed = static_cast<int64_t>(*i);
        }
        return s;
      }
      Status replay = RunEach(stmts, executed, failure);
      if (!replay.ok()) return replay;
      // The replay succeeded where the script failed (a statement whose
      // outcome depends on time or concurrency): report the first failure.
      if (failure) {
        failure->statement_index = 0;
        failure->offset = stmts[0].offset;
        failure->statement = std::string(stmts[0].text);
        failure->message = s.message();
      }
      return s;
    }
    return RunEach(stmts, executed, failure);
  }

  // The statement of `stmts` that the server's error `detail` points at, from
  // its "LINE n: text" context and the caret under it; nullopt without one.
  static std::optional<size_t> StatementAt(std::string_view script,
                                           const std::vector<SqlStatement>& stmts,
                                           const std::string& detail) {
    auto at = detail.find("\nLINE ");
    if (at == std::string::npos || stmts.empty()) return std::nullopt;
    size_t line = 0, p = at + 6;
    while (p < detail.size() && detail[p] >= '0' && detail[p] <= '9')
      line = line * 10 + static_cast<size_t>(detail[p++] - '0');
    if (line == 0 || detail.compare(p, 2, ": ") != 0) return std::nullopt;
    const size_t text_start = p + 2;  // column 0 of the quoted line
    size_t column = 0;
    if (detail.compare(text_start, 3, "...") != 0) {  // a cut line has no usable column
      size_t eol = detail.find('\n', text_start);
      size_t caret = eol == std::string::npos ? eol : detail.find('^', eol);
      if (caret != std::string::npos) column = caret - (eol + 1) - (text_start - (at + 1));
    }
    size_t offset = 0;  // byte offset of the line in the script
    for (size_t l = 1; l < line && offset < script.size(); ++l) {
      size_t nl = script.find('\n', offset);
      if (nl == std::string_view::npos) return std::nullopt;
      offset = nl + 1;
    }
    size_t eol = script.find('\n', offset);
    offset = std::min(offset + column, eol == std::string_view::npos ? script.size() : eol);
    size_t i = 0;
    while (i + 1 < stmts.size() && stmts[i + 1].offset <= offset) ++i;
    return i;
  }

  // Runs `stmts` one round trip each, stopping at the first failure.
  Status RunEach(const std::vector<SqlStatement>& stmts, int64_t* executed,
                 ScriptFailure* failure) {
    for (size_t i = 0; i < stmts.size(); ++i) {
      Status s = Run([&] {
        pqxx::nontransaction n(*c_);
        Exec(n, stmts[i].text, {});
      });
      if (!s.ok()) {
        if (failure) {
          failure->statement_index = i;
          failure->offset = stmts[i].offset;
          failure->statement = std::string(stmts[i].text);
          failure->message = s.message();
        }
        return s;
      }
      if (executed) ++*executed;
    }
    return Status::Ok();
  }

  Status SetStatementLimits(std::optional<std::chrono::milliseconds> lock_wait,
                            std::optional<std::chrono::milliseconds> run_time) override {
    for (auto [name, limit] :
         {std::pair{"lock_timeout", lock_wait}, {"statement_timeout", run_time}}) {
      // Session-wide (not SET LOCAL): the caller restores the default when done.
      Status s = limit ? Execute("SELECT set_config($1, $2, false)",
                                 {Value(name), Value(std::to_string(limit->count()) + "ms")})
                             .status()
                       : Execute(std::string("SET ") + name + " TO DEFAULT", {}).status();
      CAIRN_RETURN_IF_ERROR(s.Annotate(std::string("cannot set ") + name));
    }
    return Status::Ok();
  }

 protected:
  std::string_view BeginStatement() const override { return "BEGIN"; }
  Status StartTransaction() override {
    pending_begin_ = true;
    return Status::Ok();
  }
  Status EndTransaction(std::string_view verb) override {
    if (pending_begin_) {  // nothing ran: there is no transaction on the server
      pending_begin_ = false;
      return Status::Ok();
    }
    return Execute(verb, {}).status();
  }

 private:
  // Every statement goes through here: it first sends a deferred BEGIN, in
  // the same simple query when the statement has no parameters.
  pqxx::result Exec(pqxx::transaction_base& t, std::string_view sql, const Params& params) {
    if (pending_begin_) {
      pending_begin_ = false;
      if (params.empty()) return t.exec("BEGIN; " + std::string(sql));
      t.exec("BEGIN");
    }
    if (params.empty()) return t.exec(std::string(sql));
    std::vector<std::string> text(params.size());
    std::vector<const char*> ptrs(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (v.is_null()) continue;
      text[i] = v.is_bytes() ? ToHex(v.AsBytes()) : v.AsText();
      ptrs[i] = text[i].c_str();
    }
    return t.exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(ptrs));
  }

  static Row Convert(const pqxx::row& row) {
    Row out;
    out.values.reserve(row.size());
    for (const auto& f : row) {
      if (f.is_null()) {
        out.values.emplace_back();
        continue;
      }
      switch (f.type()) {
        case kInt2Oid:
        case kInt4Oid:
        case kInt8Oid:
        case kOidOid:
          out.values.emplace_back(f.as<int64_t>());
          break;
        case kFloat4Oid:
        case kFloat8Oid:
          out.values.emplace_back(f.as<double>());
          break;
        case kBoolOid:
          out.values.emplace_back(static_cast<int64_t>(f.c_str()[0] == 't' ? 1 : 0));
          break;
        case kByteaOid:
          out.values.emplace_back(Bytes{pqxx::binarystring(f).str()});
          break;
        case kNumericOid:
        default:
          out.values.emplace_back(std::string(f.c_str(), f.size()));
      }
    }
    return out;
  }

  // Runs `fn`, turning libpqxx exceptions into a Status (first line of the
  // message); `detail`, if given, receives a server error's whole text.
  template <typename Fn>
  Status Run(Fn&& fn, std::string* detail = nullptr) {
    try {
      fn();
      return Status::Ok();
    } catch (const pqxx::sql_error& e) {
      if (detail) *detail = e.what();
      Status s(CodeForSqlState(e.sqlstate()), FirstLine(e.what()));
      return e.sqlstate().rfind("23", 0) == 0 ? std::move(s).WithKind(kConstraintViolation) : s;
    } catch (const pqxx::broken_connection& e) {
      return UnavailableError("connection to PostgreSQL lost: " + FirstLine(e.what()));
    } catch (const pqxx::in_doubt_error& e) {
      return UnavailableError("commit outcome unknown: " + FirstLine(e.what()));
    } catch (const std::exception& e) {
      return InternalError(FirstLine(e.what()));
    }
  }

  std::unique_ptr<pqxx::connection> c_;
  bool pending_begin_ = false;  // Begin() was called; BEGIN not sent yet
};

}  // namespace

namespace {

// `conninfo` (a postgres:// URL) with application_name=`name` added as a
// percent-encoded query parameter, unless it already names one.
std::string WithApplicationName(const std::string& conninfo, const std::string& name) {
  if (name.empty() || conninfo.find("application_name=") != std::string::npos) return conninfo;
  std::string out = conninfo;
  out += conninfo.find('?') == std::string::npos ? '?' : '&';
  out += "application_name=";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char ch : name) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

StatusOr<std::unique_ptr<Connection>> OpenPostgres(const DatabaseUrl& url,
                                                   const OpenOptions& options) {
  try {
    // The application name travels in the startup packet (a URL parameter,
    // unless the URL sets its own) and both settings in one simple query:
    // one round trip after connecting instead of three.
    auto c = std::make_unique<pqxx::connection>(
        WithApplicationName(url.conninfo, options.application_name));
    {
      pqxx::nontransaction n(*c);
      // PostgreSQL 14+: notice within a second when a killed cairn's socket
      // is gone, so its transaction and locks go with it instead of
      // lingering until a long statement ends. Older servers lack the
      // setting (and would refuse it, with the statement before it).
      n.exec(c->server_version() >= 140000 ? "SET client_min_messages = warning; "
                                             "SET client_connection_check_interval = '1s'"
                                           : "SET client_min_messages = warning");
    }
    return std::unique_ptr<Connection>(new PostgresConnection(url, std::move(c)));
  } catch (const pqxx::broken_connection& e) {
    return UnavailableError("cannot connect to PostgreSQL at " + url.redacted + ": " +
                            FirstLine(e.what()));
  } catch (const std::exception& e) {
    return UnavailableError("cannot connect to PostgreSQL at " + url.redacted + ": " +
                            FirstLine(e.what()));
  }
}

bool RegisterPostgres() {
  bool ok = true;
  for (const char* scheme : {"postgres", "postgresql"})
    ok = RegisterBackend(scheme, &OpenPostgres).ok() && ok;
  return ok;
}

}  // namespace
}  // namespace cairn::db

// PostgreSQL registers itself when this file's code is loaded
// (cairn/db/backend_registry.h): at start-up where it is linked in (kept by
// --undefined=cairn_db_postgres_registered, ledger/CMakeLists.txt), or when
// `cairn` dlopens cairn-pg.so, whose copy calls the executable's registry.
extern "C" const bool cairn_db_postgres_registered = cairn::db::RegisterPostgres();
