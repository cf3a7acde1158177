// Migration files: discovery, parsing and canonical checksums.
//
// A migration is a file `NNNN_name.sql` (any number of digits, zero-padded as
// you like; numbers compare by value) with two sections:
//
//   -- Optional comments describing the migration.
//   -- cairn:up
//   CREATE TABLE users (id TEXT PRIMARY KEY);
//   -- cairn:down
//   DROP TABLE users;
//
// The up section is required; without a down section the migration cannot be
// rolled back. Any other `-- cairn:` line is an error, as is SQL before the
// up section. Errors name the file and, where there is one, the line:
// "migrations/0003_x.sql:7: unknown directive 'cairn:upp'".
#ifndef CAIRN_RUNNER_MIGRATION_H_
#define CAIRN_RUNNER_MIGRATION_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/env.h"
#include "cairn/base/status.h"

namespace cairn::runner {

// A section's `-- cairn:batch table=T key=K [size=N]` directive
// (docs/data-migrations.md): the section's one statement runs once per key
// range (:after, :upto], each range in its own transaction.
struct BatchSpec {
  std::string table;
  std::string key;
  int64_t size = 1000;
  int line = 0;           // 1-based file line of the directive
  std::string bound_sql;  // the statement with :after -> $1 and :upto -> $2
};

// Where a section's text lies in its file when it is not held in memory
// (files larger than kKeepInMemoryBytes; docs/migration-files.md, "Large
// files"). The text is read back in blocks wherever it is needed.
struct SectionExtent {
  bool on_file = false;
  // The file holding the section when it is not Migration::path (the down
  // file of another tool's two-file layout; docs/formats.md).
  std::string path;
  uint64_t begin = 0, end = 0;  // byte range of the section's lines in the file
  std::string text_sha256;      // SHA-256 of the section's text when it was parsed
  // The file's bytes are the text itself (LF line ends only, no directive
  // line, a final line end), so they are read back without splitting lines.
  bool raw_is_text = false;
};

// What the parse learned of a section's statements, so that running,
// planning and checking it need no second pass over its text.
struct SectionFacts {
  bool known = false;      // set by the parser; hand-made sections have none
  int64_t statements = 0;  // db::SplitSqlStatements's count
  // SHA-256 over str(canonical text) of each statement (docs/plans.md).
  std::string statements_sha256;
  // Statements a server may refuse inside a transaction (VACUUM, ...
  // CONCURRENTLY, ... DATABASE, ...): their file line and upper-cased words.
  std::vector<std::pair<int, std::vector<std::string>>> outside_candidates;
  // Where the text is cut into groups of about 1 MiB of whole statements
  // (never inside a block body): offsets in the text, ascending.
  std::vector<size_t> cuts;
};

struct Section {
  // The section's text: its lines, each followed by '\n'; empty when
  // extent.on_file (use source/section_text.h, which handles both).
  std::string sql;
  int first_line = 0;  // 1-based file line of the section's first line (after the directive)
  std::optional<BatchSpec> batch;
  SectionExtent extent;
  SectionFacts facts;
};

// Files up to this size are read whole and keep their sections in memory.
inline constexpr size_t kKeepInMemoryBytes = 1 << 20;

struct DataMigration;  // data_migration.h

struct Migration {
  std::string id;           // the number as written in the file name, e.g. "0007"
  std::string name;         // "add_submissions_created_at"
  std::string description;  // "add submissions created at"
  std::string file;         // file name, e.g. "0007_add_submissions_created_at.sql"
  std::string path;         // path as opened: DIR/file
  std::string checksum;     // "sha256:" + hex of the canonical text
  Section up;
  std::optional<Section> down;

  // Directives from the file's header (docs/migration-files.md); they apply
  // to both sections.
  bool no_transaction = false;                                 // -- cairn:no-transaction
  std::optional<std::chrono::milliseconds> lock_timeout;       // -- cairn:lock-timeout 5s
  std::optional<std::chrono::milliseconds> statement_timeout;  // -- cairn:statement-timeout 30s
  int lock_retries = 3;  // -- cairn:lock-retries N: retries after the lock timeout fires
  // A Flyway repeatable script (docs/formats.md): runs again whenever its
  // checksum changes, after the versioned migrations; never rolled back.
  bool repeatable = false;
  // A registered C++ step instead of a file (data_migration.h); not owned.
  const DataMigration* step = nullptr;
};

// The file holding `section` of `m`, for messages and events: the down file
// of another tool's two-file layout, else the migration's file.
inline const std::string& FileOf(const Migration& m, const Section& section) {
  return section.extent.path.empty() ? m.path : section.extent.path;
}

// "250ms", "5s", "2m", "1h" (a bare number is seconds). kInvalidArgument
// naming the text otherwise.
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The words of one SQL statement, upper-cased, skipping quoted strings,
// quoted identifiers, dollar-quoted bodies and comments.
std::vector<std::string> SqlWords(std::string_view statement);

// Checksum of a migration file's text that ignores line endings (LF, CRLF,
// CR), trailing whitespace on each line and trailing blank lines.
std::string CanonicalChecksum(std::string_view contents);

// Parses one file. `path` is used in messages.
StatusOr<Migration> ParseMigration(std::string_view path, std::string_view file_name,
                                   std::string_view contents);

// Parses the file at `path` as ParseMigration parses its text, reading it in
// blocks: a file larger than `keep_in_memory` bytes keeps its sections in
// the file (Section::extent), so memory stays bounded by the longest
// statement however large the file is.
StatusOr<Migration> ParseMigrationFile(const std::string& path,
                                       size_t keep_in_memory = kKeepInMemoryBytes);

// Parses the options of a `-- cairn:batch` line (the text after "cairn:batch").
StatusOr<BatchSpec> ParseBatchDirective(std::string_view path, int line, std::string_view options);
// Checks a batched section (one statement using :after and :upto) and sets
// batch->bound_sql. Errors name the file and line.
Status FinishBatchSection(std::string_view path, Section* section);

// Reads every `*.sql` file in `dir` (not recursing), sorted by id. A `.sql`
// file whose name is not NNNN_name.sql, two files with one number, or a file
// that does not parse is an error naming the file(s); other files are ignored.
StatusOr<std::vector<Migration>> LoadMigrations(const std::string& dir);

// What status and planning need of a migration file, without its SQL.
struct MigrationSummary {
  std::string id, name, description, file, path, checksum;  // as in Migration
  bool has_down = false;
};

// The same files, checks and errors as LoadMigrations, but without the SQL,
// and reading and hashing only files whose stat information (inode, size,
// modification and change time) differs from the checksum cache kept in the
// user's cache directory (docs/caches.md); the cache is then updated. For
// commands that run no SQL: anything that executes a migration must use
// LoadMigrations, which always reads the files.
// The cache is read and written through `env`.
StatusOr<std::vector<MigrationSummary>> ScanMigrations(const std::string& dir,
                                                       Env& env = *Env::Default());

// Creates the next migration file in `dir` for `name` (letters, digits, '_'
// or '-'; spaces become '_') with empty up and down sections, numbered one
// past the highest existing number and padded like the existing files (4
// digits in an empty directory). Creates `dir` if missing; never overwrites.
// Returns the new file's path.
// The folder and the file are made through `env`.
StatusOr<std::string> CreateMigrationFile(const std::string& dir, std::string_view name,
                                          Env& env = *Env::Default());

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_MIGRATION_H_
