#include "cairn/db/database.h"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace cairn::db {

Status Connection::BackupTo(const std::string& path) {
  return UnimplementedError(std::string(BackendName(backend())) +
                            ": no online backup through the connection");
}

Status Connection::RestoreFrom(const std::string& path) {
  return UnimplementedError(std::string(BackendName(backend())) +
                            ": no restore through the connection");
}

std::string_view BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgresql";
}

int64_t Value::AsInt() const {
  if (auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (auto* d = std::get_if<double>(&v_)) return static_cast<int64_t>(*d);
  const std::string* s = std::get_if<std::string>(&v_);
  if (s == nullptr) return 0;
  int64_t out = 0;
  std::from_chars(s->data(), s->data() + s->size(), out);
  return out;
}

double Value::AsDouble() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v_)) return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string Value::AsText() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  if (auto* i = std::get_if<int64_t>(&v_)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v_)) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, r.ptr);
  }
  if (auto* b = std::get_if<Bytes>(&v_)) return b->data;
  return "";
}

const std::string& Value::AsBytes() const {
  static const std::string kEmpty;
  if (auto* b = std::get_if<Bytes>(&v_)) return b->data;
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  return kEmpty;
}

std::string Value::ReleaseBytes() {
  std::string out;
  if (auto* b = std::get_if<Bytes>(&v_))
    out = std::move(b->data);
  else if (auto* s = std::get_if<std::string>(&v_))
    out = std::move(*s);
  v_ = std::monostate();
  return out;
}

StatusOr<std::unique_ptr<Transaction>> Connection::Begin() {
  if (in_transaction_) return FailedPreconditionError("a transaction is already open");
  if (Status s = StartTransaction(); !s.ok()) return s.Annotate("cannot begin transaction");
  in_transaction_ = true;
  ++transaction_serial_;
  return std::unique_ptr<Transaction>(new Transaction(*this));
}

Status Connection::StartTransaction() { return Execute(BeginStatement()).status(); }

Status Connection::EndTransaction(std::string_view verb) { return Execute(verb).status(); }

Transaction::~Transaction() {
  if (open_) (void)Rollback();
}

Status Transaction::Commit() {
  if (!open_) return FailedPreconditionError("transaction is not open");
  if (Status s = conn_.EndTransaction("COMMIT"); !s.ok()) {
    // A failed COMMIT leaves nothing committed; make sure the session is clean.
    (void)Rollback();
    return s.Annotate("commit failed");
  }
  open_ = false;
  conn_.in_transaction_ = false;
  return Status::Ok();
}

Status Transaction::Rollback() {
  if (!open_) return Status::Ok();
  open_ = false;
  conn_.in_transaction_ = false;
  return conn_.EndTransaction("ROLLBACK");
}

namespace {

// A prepared transaction's name as an SQL string literal. PREPARE TRANSACTION
// and COMMIT/ROLLBACK PREPARED take no parameters, so the name is restricted
// to characters that need no escaping.
StatusOr<std::string> GidLiteral(std::string_view gid) {
  bool ok = !gid.empty() && gid.size() <= 200;
  for (char c : gid)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == ':' || c == '-');
  if (!ok)
    return InvalidArgumentError("invalid prepared transaction name '" + std::string(gid) + "'");
  return "'" + std::string(gid) + "'";
}

Status TwoPhase(Connection& conn, std::string_view verb, std::string_view gid) {
  if (conn.backend() != Backend::kPostgres)
    return UnimplementedError("prepared transactions need PostgreSQL");
  if (conn.in_transaction())
    return FailedPreconditionError(std::string(verb) + " cannot run inside a transaction");
  CAIRN_ASSIGN_OR_RETURN(std::string literal, GidLiteral(gid));
  return conn.Execute(std::string(verb) + " " + literal).status();
}

}  // namespace

Status Connection::CommitPrepared(std::string_view gid) {
  return TwoPhase(*this, "COMMIT PREPARED", gid);
}

Status Connection::RollbackPrepared(std::string_view gid) {
  return TwoPhase(*this, "ROLLBACK PREPARED", gid);
}

Status Transaction::Prepare(std::string_view gid) {
  if (!open_) return FailedPreconditionError("transaction is not open");
  if (conn_.backend() != Backend::kPostgres)
    return UnimplementedError("prepared transactions need PostgreSQL");
  auto literal = GidLiteral(gid);
  if (!literal.ok()) return literal.status();
  auto r = conn_.Execute("PREPARE TRANSACTION " + *literal);
  if (!r.ok()) {
    (void)Rollback();
    return r.status().Annotate("prepare failed");
  }
  // The session is out of the transaction whether PREPARE kept it or (after
  // an earlier error in it) rolled it back.
  open_ = false;
  conn_.in_transaction_ = false;
  return Status::Ok();
}

namespace {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// `url` with its password (user:PASSWORD@host, ?password=) replaced by "***",
// for messages and for anything recorded.
std::string RedactPassword(std::string_view url) {
  std::string redacted(url);
  if (auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    const size_t start = scheme_end + 3;
    // Like libpq, the user info ends at the last '@' before the first '/':
    // a '?' there is part of the user name or password, not a query.
    std::string_view authority = url.substr(start, url.find('/', start) - start);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      if (auto colon = authority.substr(0, at).find(':'); colon != std::string_view::npos)
        redacted.replace(start + colon + 1, at - colon - 1, "***");
    }
  }
  // ... and a password given as a query parameter.
  for (size_t p = redacted.find("password=", redacted.find('?')); p != std::string::npos;
       p = redacted.find("password=", p + 1)) {
    if (redacted.find('?') == std::string::npos || p < redacted.find('?')) break;
    size_t start = p + 9, end = redacted.find('&', start);
    redacted.replace(start, (end == std::string::npos ? redacted.size() : end) - start, "***");
  }
  return redacted;
}

StatusOr<DatabaseUrl> ParseSqlite(std::string_view url, std::string_view rest) {
  DatabaseUrl out;
  out.backend = Backend::kSqlite;
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);  // sqlite://rel, sqlite:///abs
  // A trailing ?journal_mode=X is an option, not part of the path; any other
  // '?' stays in the file name as before.
  constexpr std::string_view kJournal = "?journal_mode=";
  if (auto q = rest.rfind(kJournal); q != std::string_view::npos) {
    std::string mode(rest.substr(q + kJournal.size()));
    for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (mode != "wal" && mode != "delete" && mode != "truncate" && mode != "persist" &&
        mode != "keep") {
      return InvalidArgumentError("database URL '" + std::string(url) + "': journal_mode '" + mode +
                                  "' is not one of wal, delete, truncate, persist, keep");
    }
    out.sqlite_journal_mode = mode;
    rest = rest.substr(0, q);
  }
  if (rest.empty()) {
    return InvalidArgumentError("database URL '" + std::string(url) +
                                "': missing file path after 'sqlite:'");
  }
  out.sqlite_path = std::string(rest);
  std::string_view name = rest;
  if (auto slash = name.find_last_of('/'); slash != std::string_view::npos)
    name.remove_prefix(slash + 1);
  if (name == ":memory:") {
    out.database_name = "memory";
  } else {
    if (name.empty()) {
      return InvalidArgumentError("database URL '" + std::string(url) +
                                  "': path names a directory, not a file");
    }
    if (auto dot = name.find('.'); dot != std::string_view::npos && dot > 0)
      name = name.substr(0, dot);
    out.database_name = std::string(name);
  }
  out.redacted = std::string(url);
  return out;
}

StatusOr<DatabaseUrl> ParsePostgres(std::string_view url, std::string_view rest) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("database URL '" + RedactPassword(url) + "': " + std::string(why));
  };
  DatabaseUrl out;
  out.backend = Backend::kPostgres;
  if (rest.substr(0, 2) != "//") return bad("expected '//' after the scheme");
  rest.remove_prefix(2);
  // User info first, as libpq reads it (and RedactPassword redacts it): up to
  // the last '@' before the first '/', even when a '?' comes before it.
  std::string_view userinfo;
  if (auto at = rest.substr(0, rest.find('/')).rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    if (userinfo.empty()) return bad("empty user name before '@'");
  }
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest, path;
  if (auto s = rest.find('/'); s != std::string_view::npos) {
    authority = rest.substr(0, s);
    path = rest.substr(s + 1);
  }
  std::string_view hostport = authority;
  // Host may be empty (libpq then uses the Unix socket), a name, or [IPv6].
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad("unterminated '[' in host");
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after ']'");
      port = after.substr(1);
      if (port.empty()) return bad("empty port after ':'");
    }
  } else if (auto colon = hostport.find(':'); colon != std::string_view::npos) {
    port = hostport.substr(colon + 1);
    if (port.empty()) return bad("empty port after ':'");
    if (hostport.find(',') == std::string_view::npos && !IsDigits(port))
      return bad("port '" + std::string(port) + "' is not a number");
  }
  if (!port.empty() && IsDigits(port)) {
    int p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || p < 1 || p > 65535)
      return bad("port '" + std::string(port) + "' is out of range 1-65535");
  }
  for (char c : hostport) {
    if (c == ' ' || c == '/' || c == '\\') return bad("invalid character in host");
  }
  std::string dbname = PercentDecode(path);
  std::string user;
  if (!userinfo.empty()) user = PercentDecode(userinfo.substr(0, userinfo.find(':')));
  // Query parameters may name the database or user too (libpq accepts both).
  for (std::string_view q = query; !q.empty();) {
    auto amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return bad("query parameter '" + std::string(kv) + "' is not key=value");
    if (kv.substr(0, eq) == "dbname") dbname = PercentDecode(kv.substr(eq + 1));
    if (kv.substr(0, eq) == "user" && user.empty()) user = PercentDecode(kv.substr(eq + 1));
  }
  if (dbname.empty()) dbname = !user.empty() ? user : "postgres";
  out.database_name = dbname;
  out.conninfo = std::string(url);
  out.redacted = RedactPassword(url);
  return out;
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
  return out;
}

StatusOr<DatabaseUrl> ParseDatabaseUrl(std::string_view url) {
  if (url.empty()) {
    return InvalidArgumentError(
        "no database given: pass --database URL or set DATABASE_URL "
        "(sqlite:PATH or postgres://HOST/DB)");
  }
  auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError("database URL '" + std::string(url) +
                                "': missing scheme (expected sqlite:PATH, postgres://... "
                                "or postgresql://...)");
  }
  std::string_view scheme = url.substr(0, colon), rest = url.substr(colon + 1);
  if (scheme == "sqlite" || scheme == "sqlite3" || scheme == "file") return ParseSqlite(url, rest);
  if (scheme == "postgres" || scheme == "postgresql") return ParsePostgres(url, rest);
  return InvalidArgumentError("database URL '" + RedactPassword(url) + "': unknown scheme '" +
                              std::string(scheme) + "' (expected sqlite, postgres or postgresql)");
}

}  // namespace cairn::db
