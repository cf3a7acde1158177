// Migration folders of other tools (dbmate, golang-migrate, Flyway, diesel,
// sqlx, goose, Atlas, Liquibase)
// read as they are, and `cairn adopt`, which imports those tools' tracking
// tables into the ledger. The layouts, ids, checksums and the repeatable
// scripts' rules are specified in docs/formats.md.
//
//   UseFormat("db/migrations", Format::kFlyway);      // --format flyway
//   auto files = LoadMigrations("db/migrations");     // reads V1__x.sql, ...
//   CAIRN_ASSIGN_OR_RETURN(AdoptReport r, Adopt(*runner, Format::kFlyway, "switch to cairn"));
//
// Invariants:
//  - Files are only read, never written or renamed.
//  - LoadMigrations and ScanMigrations (migration.h) consult the format chosen
//    for their directory; with none chosen, a folder that does not read as
//    cairn's layout (an error, or no migration at all) is examined and, when
//    it is another tool's, read as that. A cairn folder costs nothing extra.
//  - Adopt only reads the other tool's table; it writes nothing but ledger
//    events, all in one transaction, and nothing at all when it refuses.
#ifndef CAIRN_RUNNER_FORMATS_H_
#define CAIRN_RUNNER_FORMATS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/runner/migration.h"

namespace cairn::runner {

class Runner;

enum class Format {
  kAuto,
  kCairn,
  kDbmate,
  kGolangMigrate,
  kFlyway,
  kDiesel,
  kSqlx,
  kGoose,
  kAtlas,
  kLiquibase,
};

// "cairn", "dbmate", "golang-migrate", "flyway", "diesel", "sqlx", "goose",
// "atlas", "liquibase" (kAuto: "auto").
std::string_view FormatName(Format format);
// The inverse; kInvalidArgument naming `name` and the valid names.
StatusOr<Format> ParseFormat(std::string_view name);
// The names ParseFormat accepts, for --help and option checks.
std::vector<std::string> FormatNames();

// Chooses the layout of `dir` for the rest of the process (the CLI's
// --format). kAuto (the default for every directory) restores detection.
// Thread-safe.
void UseFormat(const std::string& dir, Format format);
// What UseFormat chose for `dir`, kAuto when nothing was chosen.
Format ChosenFormat(const std::string& dir);

// The layout `dir`'s contents show (the rules of docs/formats.md): kCairn
// when no other tool's file is there. kInvalidArgument naming one file of
// each when two formats' files are mixed; directory errors as LoadMigrations.
StatusOr<Format> DetectFormat(const std::string& dir);

// Reads `dir` in `format` (not kAuto; kCairn is LoadMigrations' own reader).
// Sorted by id. Errors name the file (and line where there is one): a file
// matching no rule of the format, a down/undo file without its up, two files
// with one id, bad section markers or options.
StatusOr<std::vector<Migration>> LoadFormat(const std::string& dir, Format format);

// Flyway's checksum of a script: CRC32 over the UTF-8 bytes of each line
// without its line break, a leading BOM removed; as the signed 32-bit number
// Flyway stores.
int32_t FlywayChecksum(std::string_view contents);

// Hook for LoadMigrations / ScanMigrations (migration.cc, scan.cc): the
// foreign format to read `dir` in instead of cairn's, or nullopt to keep
// cairn's result. `cairn_failed_or_empty` says whether cairn's reader failed
// or found nothing; an explicitly chosen format is returned either way. An
// error is a detection error (mixed formats) that should replace cairn's.
StatusOr<std::optional<Format>> ForeignFormatFor(const std::string& dir,
                                                 bool cairn_failed_or_empty);

struct AdoptReport {
  std::string source;                  // the tool's name, as recorded
  std::vector<std::string> baselined;  // ids recorded now, in order (empty: nothing to adopt)
  std::vector<std::string> skipped;    // applied by the tool and already in the ledger
  // Flyway repeatables whose file changed since Flyway ran them: left
  // pending, so migrate runs them.
  std::vector<std::string> changed_repeatables;
  std::string run_id;  // groups the MigrationBaselined events; empty when nothing written
};

// Reads `format`'s tracking table on the runner's target and records what it
// shows applied as MigrationBaselined events (docs/formats.md, "cairn adopt").
// Refusals, nothing written:
//  - kFailedPrecondition of kind kAdoptRefused: a dirty golang-migrate row, a failed Flyway row, or
//  an
//    applied version with no file in the directory (each names the version);
//  - kNotFound: the tracking table does not exist;
//  - kInvalidArgument: format is kAuto or kCairn;
//  - file errors as LoadFormat.
// Idempotent: ids the ledger already shows applied are skipped.
StatusOr<AdoptReport> Adopt(Runner& runner, Format format, const std::string& reason);

// The kind of Adopt's refusals of the other tool's state (the CLI's exit 20).
inline constexpr ErrorKind kAdoptRefused{"runner.AdoptRefused"};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_FORMATS_H_
