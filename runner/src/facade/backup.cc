#include "cairn/runner/backup.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <vector>

#include "cairn/base/hash.h"

namespace cairn::runner {
namespace {

namespace fs = std::filesystem;

// A PostgreSQL URL without its password, and the password (percent-decoded).
struct PgTarget {
  std::string url;
  std::string password;
};

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 &&
        std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

PgTarget SplitPassword(const std::string& url) {
  PgTarget t;
  size_t scheme = url.find("://");
  size_t auth = scheme == std::string::npos ? 0 : scheme + 3;
  size_t auth_end = url.find_first_of("/?", auth);
  if (auth_end == std::string::npos) auth_end = url.size();
  size_t at = url.rfind('@', auth_end);
  std::string out = url;
  if (at != std::string::npos && at >= auth) {
    size_t colon = url.find(':', auth);
    if (colon != std::string::npos && colon < at) {
      t.password = PercentDecode(std::string_view(url).substr(colon + 1, at - colon - 1));
      out = url.substr(0, colon) + url.substr(at);
    }
  }
  // A password=... query parameter moves to the environment too.
  size_t q = out.find('?');
  if (q != std::string::npos) {
    std::string kept;
    size_t start = q + 1;
    while (start <= out.size()) {
      size_t amp = out.find('&', start);
      std::string param = out.substr(start, amp == std::string::npos ? amp : amp - start);
      if (param.rfind("password=", 0) == 0)
        t.password = PercentDecode(param.substr(9));
      else if (!param.empty())
        kept += (kept.empty() ? "" : "&") + param;
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
    out = out.substr(0, q) + (kept.empty() ? "" : "?" + kept);
  }
  t.url = out;
  return t;
}

// Runs `argv` (argv[0] looked up on PATH) through `env` with PGPASSWORD set
// to `password` (empty, as good as unset to libpq, when there is none: the
// child never sees this process's own); its stdout is discarded, its stderr
// returned in the error.
Status RunTool(Env& env, const std::vector<std::string>& argv, const std::string& password) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.set_env.push_back("PGPASSWORD=" + password);
  auto ran = env.RunProcess(spec);
  if (!ran.ok())
    return UnavailableError(ran.status().message() + " (install the PostgreSQL client tools)");
  if (ran->exit_code == 0) return Status::Ok();
  std::string err = std::move(ran->stderr_text);
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  return UnavailableError(argv[0] + " failed (" +
                          (ran->signal == 0 ? "exit " + std::to_string(ran->exit_code)
                                            : "signal " + std::to_string(ran->signal)) +
                          "): " + err);
}

std::string SafeName(const std::string& stream) {
  std::string out;
  for (char c : stream)
    out.push_back(
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_');
  return out.empty() ? "target" : out;
}

std::string UtcStamp(Env& env) {
  std::time_t now = std::chrono::system_clock::to_time_t(env.Now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// The RunStarted event that recorded `path` or `sha256`, if any.
struct BackupEntry {
  bool found = false;
  bool hash_differs = false;  // same path recorded with another hash
  std::string recorded_sha256;
  std::string run_id;
  int64_t position = 0;
  bool newer_history = false;  // events after it that its run did not write
};

}  // namespace

StatusOr<std::string> Sha256File(const std::string& path, Env& env) {
  auto file = env.NewRandomAccessFile(path);
  if (!file.ok()) return NotFoundError("cannot read backup file '" + path + "'");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return InternalError("SHA-256 unavailable");
  std::vector<char> buf(1 << 16);
  for (uint64_t at = 0;;) {
    auto got = (*file)->Read(at, buf.size(), buf.data());
    if (!got.ok())
      return UnavailableError("error reading '" + path + "': " + got.status().message());
    if (*got == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), *got);
    at += *got;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return ledger::ToHex(std::string_view(reinterpret_cast<const char*>(md), len));
}

StatusOr<BackupFile> TakeBackup(db::Connection& conn, const std::string& dir,
                                const std::string& stream, Env& env) {
  std::error_code ec;
  if (Status s = env.CreateDirs(dir); !s.ok())
    return UnavailableError("--backup " + dir + ": " + s.message());
  const bool sqlite = conn.backend() == db::Backend::kSqlite;
  std::string name = SafeName(stream) + "-" + UtcStamp(env) + "-" + NewUuid(env).substr(0, 8) +
                     (sqlite ? ".sqlite3" : ".dump");
  std::string path = fs::absolute(fs::path(dir) / name, ec).lexically_normal().string();
  if (ec) return UnavailableError("--backup " + dir + ": " + ec.message());
  if (sqlite) {
    CAIRN_RETURN_IF_ERROR(conn.BackupTo(path).Annotate("backup"));
  } else {
    PgTarget t = SplitPassword(conn.url().conninfo);
    Status s = RunTool(env, {"pg_dump", "--format=custom", "--file=" + path, "--dbname=" + t.url},
                       t.password);
    if (!s.ok()) {
      (void)env.RemoveFile(path);
      return s.Annotate("backup");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(std::string sha, Sha256File(path, env));
  spdlog::info("backup of {} written to {} (sha256 {})", stream, path, sha);
  return BackupFile{path, sha};
}

StatusOr<RestoreReport> Restore(Runner& runner, const RestoreOptions& options) {
  Env& env = *runner.options().env;
  std::error_code ec;
  RestoreReport report;
  report.backup.path = fs::absolute(options.file, ec).lexically_normal().string();
  auto info = env.Stat(report.backup.path);
  if (ec || !info.ok() || !info->is_regular)
    return NotFoundError("restore: no backup file '" + options.file + "'");
  CAIRN_ASSIGN_OR_RETURN(report.backup.sha256, Sha256File(report.backup.path, env));

  // What the current ledger says about this file.
  BackupEntry entry;
  int64_t head = 0;
  std::string head_hash = ledger::GenesisHash();
  CAIRN_RETURN_IF_ERROR(runner.store().Read(runner.stream(), 1, 0, [&](const v1::Event& e) {
    head = e.position();
    head_hash = e.hash();
    if (e.has_run_started() && !e.run_started().backup_path().empty()) {
      const auto& rs = e.run_started();
      if (rs.backup_path() == report.backup.path && rs.backup_sha256() != report.backup.sha256) {
        entry.hash_differs = true;
        entry.recorded_sha256 = rs.backup_sha256();
      }
      if (rs.backup_path() == report.backup.path || rs.backup_sha256() == report.backup.sha256) {
        entry = BackupEntry{true,       entry.hash_differs, entry.recorded_sha256,
                            e.run_id(), e.position(),       false};
        return true;
      }
    }
    if (entry.found && e.run_id() != entry.run_id) entry.newer_history = true;
    return true;
  }));
  report.previous_head = ledger::Head{head, head_hash};
  if (entry.hash_differs) {
    return DataLossError("restore: " + report.backup.path + " has SHA-256 " + report.backup.sha256 +
                         " but the ledger recorded " + entry.recorded_sha256 +
                         " when it was taken: the file changed; nothing was restored");
  }
  report.backup_run_id = entry.run_id;
  report.forced = options.force;
  if (!options.force) {
    if (entry.found && entry.newer_history) {
      return FailedPreconditionError(
          "restore: the ledger of stream " + runner.stream() +
          " has events after the run that took this backup (run " + entry.run_id + ", position " +
          std::to_string(entry.position) + "; head now " + std::to_string(head) +
          "); restoring would discard them; pass --force to restore anyway; nothing was restored");
    }
    if (!entry.found && head > 0) {
      return FailedPreconditionError(
          "restore: the ledger of stream " + runner.stream() +
          " does not record this backup and has " + std::to_string(head) +
          " event(s) that restoring would discard; pass --force to restore anyway; nothing was "
          "restored");
    }
  }

  db::Connection& conn = runner.connection();
  if (conn.backend() == db::Backend::kSqlite) {
    CAIRN_RETURN_IF_ERROR(conn.RestoreFrom(report.backup.path));
  } else {
    // pg_restore --clean drops only what the dump holds; objects created
    // after the backup would survive it. Start from empty schemas.
    {
      CAIRN_ASSIGN_OR_RETURN(auto tx, conn.Begin());
      CAIRN_ASSIGN_OR_RETURN(
          auto schemas,
          conn.Query("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                     "AND nspname <> 'information_schema' ORDER BY nspname"));
      for (const db::Row& r : schemas)
        CAIRN_RETURN_IF_ERROR(
            conn.Execute("DROP SCHEMA " + db::QuoteIdentifier(r[0].AsText()) + " CASCADE")
                .status());
      CAIRN_RETURN_IF_ERROR(conn.Execute("CREATE SCHEMA public").status());
      CAIRN_RETURN_IF_ERROR(tx->Commit());
    }
    PgTarget t = SplitPassword(conn.url().conninfo);
    CAIRN_RETURN_IF_ERROR(RunTool(env,
                                  {"pg_restore", "--clean", "--if-exists", "--no-owner",
                                   "--single-transaction", "--dbname=" + t.url, report.backup.path},
                                  t.password)
                              .Annotate("restore"));
  }

  // Record the restore in the restored ledger. A fresh store: the restored
  // database may not have the ledger tables the old one had.
  auto store = ledger::LedgerStore::For(conn);
  CAIRN_RETURN_IF_ERROR(store->EnsureSchema());
  CAIRN_ASSIGN_OR_RETURN(auto tx, conn.Begin());
  CAIRN_ASSIGN_OR_RETURN(ledger::Head restored, store->GetHead(runner.stream()));
  CAIRN_RETURN_IF_ERROR(store->CheckHead(*tx, runner.stream(), restored.position));
  v1::Event e;
  e.set_stream(runner.stream());
  *e.mutable_actor() = runner.actor();
  auto* b = e.mutable_backup_restored();
  b->set_backup_path(report.backup.path);
  b->set_backup_sha256(report.backup.sha256);
  b->set_previous_head_position(report.previous_head.position);
  b->set_previous_head_hash(report.previous_head.hash);
  b->set_backup_run_id(report.backup_run_id);
  b->set_forced(report.forced);
  CAIRN_ASSIGN_OR_RETURN(auto appended, store->Append(*tx, std::move(e)));
  CAIRN_RETURN_IF_ERROR(tx->Commit());
  report.restored_position = appended.position;
  spdlog::info("restored {} from {}; ledger head was {} before", runner.stream(),
               report.backup.path, report.previous_head.position);
  return report;
}

}  // namespace cairn::runner
