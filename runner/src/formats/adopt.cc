// `cairn adopt`: reads another tool's tracking table and records what it
// shows applied as MigrationBaselined events (docs/formats.md).
#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "../schema/catalog.h"
#include "atlas.h"
#include "cairn/runner/formats.h"
#include "cairn/runner/repair.h"
#include "cairn/runner/runner.h"
#include "cairn/store/state.h"
#include "dispatch.h"
#include "liquibase.h"

namespace cairn::runner {
namespace {

constexpr std::string_view kRefused = "adopt refused: ";

Status Refuse(const std::string& what) {
  return FailedPreconditionError(std::string(kRefused) + what + "; nothing was written")
      .WithKind(kAdoptRefused);
}

// "2024-01-02 03:04:05[.123456]" (either backend's text of a timestamp
// without time zone, taken as UTC) in micros since the epoch; 0 if unreadable.
int64_t ParseTimestamp(const std::string& text) {
  std::tm tm{};
  int frac_start = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d%*c%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &frac_start) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t micros = static_cast<int64_t>(::timegm(&tm)) * 1000000;
  if (frac_start > 0 && static_cast<size_t>(frac_start) < text.size() && text[frac_start] == '.') {
    int64_t scale = 100000;
    for (size_t i = frac_start + 1; i < text.size() && scale > 0 && std::isdigit(text[i]); ++i) {
      micros += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  return micros;
}

// What the other tool's table says.
struct ToolHistory {
  // Applied versions as the tool writes them, with its time and checksum.
  std::map<std::string, BaselineOptions::Original, ledger::MigrationIdLess> applied;
  // golang-migrate and a Flyway baseline: every file up to this version.
  std::optional<std::string> up_to;
  BaselineOptions::Original up_to_original;
  // Flyway repeatables: script file name -> the checksum of its latest run.
  std::map<std::string, BaselineOptions::Original> repeatables;
};

StatusOr<ToolHistory> ReadDbmateOrDiesel(db::Connection& conn, const std::string& table,
                                         bool has_time) {
  ToolHistory h;
  const std::string sql = "SELECT CAST(version AS TEXT)" +
                          std::string(has_time ? ", CAST(run_on AS TEXT)" : "") + " FROM " +
                          db::QuoteIdentifier(table);
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql));
  for (const db::Row& r : rows) {
    BaselineOptions::Original o;
    if (has_time) o.applied_at_micros = ParseTimestamp(r[1].AsText());
    h.applied[r[0].AsText()] = o;
  }
  return h;
}

StatusOr<ToolHistory> ReadGolangMigrate(db::Connection& conn) {
  ToolHistory h;
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query("SELECT CAST(version AS TEXT), CASE WHEN dirty THEN 1 ELSE 0 END FROM " +
                 db::QuoteIdentifier("schema_migrations")));
  for (const db::Row& r : rows) {
    const std::string version = r[0].AsText();
    if (r[1].AsInt() != 0)
      return Refuse("golang-migrate's schema_migrations marks version " + version +
                    " dirty (it failed half way); repair the database, clear the flag with "
                    "`migrate force " +
                    version + "`, then adopt");
    if (!h.up_to || ledger::CompareMigrationIds(version, *h.up_to) > 0) h.up_to = version;
  }
  return h;
}

StatusOr<ToolHistory> ReadFlyway(db::Connection& conn) {
  ToolHistory h;
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query("SELECT installed_rank, version, type, script, checksum, "
                 "CAST(installed_on AS TEXT), CASE WHEN success THEN 1 ELSE 0 END FROM " +
                 db::QuoteIdentifier("flyway_schema_history") + " ORDER BY installed_rank"));
  for (const db::Row& r : rows) {
    const std::string version = r[1].AsText(), type = r[2].AsText(), script = r[3].AsText();
    BaselineOptions::Original o;
    o.applied_at_micros = ParseTimestamp(r[5].AsText());
    if (!r[4].is_null()) o.checksum = "crc32:" + std::to_string(r[4].AsInt());
    if (r[6].AsInt() == 0)
      return Refuse("flyway_schema_history row " + std::to_string(r[0].AsInt()) + " (" +
                    (version.empty() ? script : "version " + version) +
                    ") has success = false; run `flyway repair` or fix the database, then adopt");
    if (type == "SCHEMA" || type == "DELETE") continue;
    if (type == "BASELINE") {
      h.up_to = version;
      h.up_to_original = o;
    } else if (type.rfind("UNDO_", 0) == 0) {
      h.applied.erase(version);
    } else if (r[1].is_null() || version.empty()) {
      h.repeatables[script] = o;  // rows come in rank order: the latest wins
    } else {
      h.applied[version] = o;
    }
  }
  return h;
}

// sqlx's checksum of the file at `path`: SHA-384 of its bytes, in hex.
StatusOr<std::string> Sha384OfFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InvalidArgumentError(path + ": cannot open");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha384(), nullptr);
  std::string buf(1 << 20, '\0');
  ssize_t n = 0;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) EVP_DigestUpdate(ctx, buf.data(), n);
  ::close(fd);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  if (n < 0) return InvalidArgumentError(path + ": cannot read");
  return internal::HexBytes(md, len);
}

// _sqlx_migrations: one row per applied version (sqlx's `skip` too, with
// execution_time -1); success = false is sqlx's "dirty" state.
StatusOr<ToolHistory> ReadSqlx(db::Connection& conn) {
  ToolHistory h;
  const bool pg = conn.backend() == db::Backend::kPostgres;
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query(std::string("SELECT CAST(version AS TEXT), ") +
                 (pg ? "encode(checksum, 'hex'), CAST(installed_on AT TIME ZONE 'UTC' AS TEXT)"
                     : "lower(hex(checksum)), CAST(installed_on AS TEXT)") +
                 ", CASE WHEN success THEN 1 ELSE 0 END FROM " +
                 db::QuoteIdentifier("_sqlx_migrations") + " ORDER BY version"));
  for (const db::Row& r : rows) {
    const std::string version = r[0].AsText();
    if (r[3].AsInt() == 0)
      return Refuse("_sqlx_migrations row for version " + version +
                    " has success = false (sqlx calls the database dirty: that migration failed "
                    "part way); repair the database and the row, then adopt");
    BaselineOptions::Original o;
    o.checksum = "sha384:" + r[1].AsText();
    o.applied_at_micros = ParseTimestamp(r[2].AsText());
    h.applied[version] = o;
  }
  return h;
}

// goose_db_version is a log: goose adds a row (is_applied true) when it
// applies a version and another (is_applied false) when it rolls one back;
// the latest row of each version (the highest id) decides. Version 0 is the
// row goose writes when it creates the table.
StatusOr<ToolHistory> ReadGoose(db::Connection& conn) {
  ToolHistory h;
  CAIRN_ASSIGN_OR_RETURN(
      auto rows, conn.Query("SELECT CAST(version_id AS TEXT), CASE WHEN is_applied THEN 1 ELSE 0 "
                            "END, CAST(tstamp AS TEXT) FROM " +
                            db::QuoteIdentifier("goose_db_version") + " ORDER BY id"));
  for (const db::Row& r : rows) {
    const std::string version = r[0].AsText();
    if (version == "0") continue;
    if (r[1].AsInt() == 0) {
      h.applied.erase(version);
      continue;
    }
    BaselineOptions::Original o;
    o.applied_at_micros = ParseTimestamp(r[2].AsText());
    h.applied[version] = o;
  }
  return h;
}

}  // namespace

StatusOr<AdoptReport> Adopt(Runner& runner, Format format, const std::string& reason) {
  if (format == Format::kAuto || format == Format::kCairn)
    return InvalidArgumentError("adopt: " + runner.options().dir +
                                " is in cairn's own layout; pass --format "
                                "dbmate|golang-migrate|flyway|diesel|sqlx|goose|atlas|liquibase");
  const std::string& dir = runner.options().dir;
  UseFormat(dir, format);  // Baseline reads the directory through LoadMigrations
  CAIRN_ASSIGN_OR_RETURN(std::vector<Migration> files, LoadFormat(dir, format));

  db::Connection& conn = runner.connection();
  std::string table = format == Format::kFlyway   ? "flyway_schema_history"
                      : format == Format::kDiesel ? "__diesel_schema_migrations"
                      : format == Format::kSqlx   ? "_sqlx_migrations"
                      : format == Format::kGoose  ? "goose_db_version"
                      : format == Format::kAtlas  ? "atlas_schema_revisions"
                                                  : "schema_migrations";
  if (format == Format::kLiquibase) table = internal::LiquibaseTable(conn);
  bool exists = true;  // Atlas's table may live in a schema of its own: its reader looks
  if (format != Format::kAtlas) {
    CAIRN_ASSIGN_OR_RETURN(exists, catalog::TableExists(conn, table));
  }
  if (!exists)
    return NotFoundError("adopt --format " + std::string(FormatName(format)) +
                         ": the target has no " + table + " table; nothing to adopt from");
  ToolHistory h;
  switch (format) {
    case Format::kDbmate: {
      CAIRN_ASSIGN_OR_RETURN(h, ReadDbmateOrDiesel(conn, table, false));
      break;
    }
    case Format::kDiesel: {
      CAIRN_ASSIGN_OR_RETURN(h, ReadDbmateOrDiesel(conn, table, true));
      break;
    }
    case Format::kGolangMigrate: {
      CAIRN_ASSIGN_OR_RETURN(h, ReadGolangMigrate(conn));
      break;
    }
    case Format::kSqlx: {
      CAIRN_ASSIGN_OR_RETURN(h, ReadSqlx(conn));
      break;
    }
    case Format::kGoose: {
      CAIRN_ASSIGN_OR_RETURN(h, ReadGoose(conn));
      break;
    }
    case Format::kAtlas: {
      CAIRN_ASSIGN_OR_RETURN(h.applied, internal::ReadAtlasRevisions(conn, files));
      break;
    }
    case Format::kLiquibase: {
      CAIRN_ASSIGN_OR_RETURN(auto rows, internal::ReadLiquibaseHistory(conn, dir));
      for (const auto& r : rows)
        h.applied[r.cairn_id] = {ParseTimestamp(r.date_executed), r.checksum};
      break;
    }
    default: {
      CAIRN_ASSIGN_OR_RETURN(h, ReadFlyway(conn));
      break;
    }
  }

  // Which files the tool applied, and what it recorded for each.
  std::map<std::string, const Migration*, ledger::MigrationIdLess> by_id;
  for (const Migration& m : files) by_id[m.id] = &m;
  BaselineOptions b;
  b.source = std::string(FormatName(format));
  b.reason = reason;
  std::set<std::string, ledger::MigrationIdLess> applied;
  if (h.up_to) {
    if (!by_id.count(*h.up_to))
      return Refuse(table + " records version " + *h.up_to + " but no migration file in " + dir +
                    " has that version");
    for (const Migration& m : files) {
      if (m.repeatable || ledger::CompareMigrationIds(m.id, *h.up_to) > 0) continue;
      applied.insert(m.id);
      if (m.id == by_id.find(*h.up_to)->first) b.originals[m.id] = h.up_to_original;
    }
  }
  for (const auto& [version, original] : h.applied) {
    auto it = by_id.find(version);
    if (it == by_id.end())
      return Refuse(table + " records version " + version + " but no migration file in " + dir +
                    " has that version");
    // sqlx refuses to run when an applied file changed (VersionMismatch).
    if (format == Format::kSqlx) {
      CAIRN_ASSIGN_OR_RETURN(std::string sha, Sha384OfFile(it->second->path));
      if ("sha384:" + sha != original.checksum)
        return Refuse("version " + version + ": " + it->second->path +
                      " changed since sqlx applied it (its SHA-384 differs from "
                      "_sqlx_migrations.checksum; sqlx would refuse to run)");
    }
    applied.insert(it->first);
    b.originals[it->first] = original;
  }
  AdoptReport report;
  report.source = b.source;
  for (const Migration& m : files) {
    if (!m.repeatable) continue;
    auto it = h.repeatables.find(m.file);
    if (it == h.repeatables.end()) continue;
    CAIRN_ASSIGN_OR_RETURN(int32_t crc, internal::FlywayChecksumOfFile(m.path));  // in blocks
    if ("crc32:" + std::to_string(crc) == it->second.checksum) {
      applied.insert(m.id);
      b.originals[m.id] = it->second;
    } else {
      report.changed_repeatables.push_back(m.id);
    }
  }

  CAIRN_ASSIGN_OR_RETURN(ledger::StreamState state,
                         ledger::ReplayStream(runner.store(), runner.stream()));
  for (const Migration& m : files) {
    if (!applied.count(m.id)) continue;
    if (state.IsApplied(m.id)) {
      report.skipped.push_back(m.id);
    } else {
      b.ids.push_back(m.id);
    }
  }
  if (b.ids.empty()) return report;
  b.to = b.ids.back();
  CAIRN_ASSIGN_OR_RETURN(BaselineReport br, Baseline(runner, b));
  report.baselined = br.baselined;
  report.run_id = br.run_id;
  spdlog::info("adopted {} migration(s) from {}", report.baselined.size(), report.source);
  return report;
}

}  // namespace cairn::runner
