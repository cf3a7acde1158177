// Internal: Liquibase changelogs (formatted SQL, and XML or YAML master
// changelogs that include them), read as Liquibase 4.x reads them
// (docs/formats.md, "Liquibase"), and its DATABASECHANGELOG for `cairn adopt`.
#ifndef CAIRN_RUNNER_SRC_FORMATS_LIQUIBASE_H_
#define CAIRN_RUNNER_SRC_FORMATS_LIQUIBASE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/runner/migration.h"

namespace cairn::runner::internal {

// One changeset as Liquibase identifies and checksums it.
struct LiquibaseChangeSet {
  std::string cairn_id;  // its position in the whole changelog, "1", "2", ...
  std::string id, author;
  std::string path;    // the FILENAME Liquibase records (logicalFilePath if set)
  std::string md5sum;  // Liquibase's checksum, "9:<hex>"
  std::vector<std::string> valid_checksums;  // its --validCheckSum lines
  bool ignored = false;                      // ignore:true: neither run nor recorded
};

// The changesets of the changelog in `dir`, in the order Liquibase runs
// them, and (in `migrations`, when not null) each one not ignored as a cairn
// migration. Errors name the file and line.
StatusOr<std::vector<LiquibaseChangeSet>> ReadLiquibase(const std::string& dir,
                                                        std::vector<Migration>* migrations);

// Liquibase's version 9 checksum of a formatted SQL changeset whose SQL (the
// changeset's lines without its directives, trimmed) is `sql`.
std::string LiquibaseCheckSum(std::string_view sql);

// The statements Liquibase sends for a changeset's `sql` (its
// StringUtil.processMultiLineSQL, comments kept); an error where it would end
// a statement inside a BEGIN ... END block or the delimiter is unreadable.
StatusOr<std::vector<std::string>> LiquibaseStatementsOf(
    std::string_view sql, bool split_statements, const std::optional<std::string>& end_delimiter);

// For DetectFormat: whether the line is Liquibase's formatted SQL header
// ("--liquibase formatted sql"), and whether the file at `path` is an XML or
// YAML changelog (a `databaseChangeLog` root).
bool IsLiquibaseHeader(std::string_view line);
bool IsLiquibaseChangelogFile(const std::string& path);

// DATABASECHANGELOG as Liquibase names it on `conn`'s backend.
std::string LiquibaseTable(db::Connection& conn);

// A changeset DATABASECHANGELOG shows applied: its cairn id, DATEEXECUTED as
// text, and the checksum recorded ("liquibase:9:<hex>", "" when MD5SUM is
// null).
struct LiquibaseApplied {
  std::string cairn_id, date_executed, checksum;
};
// Reads DATABASECHANGELOG and matches each row to a changeset of `dir`.
// Refusals (kind kAdoptRefused): a row without its changeset, a FAILED row, a
// changeset whose version 9 checksum differs from MD5SUM (and from its
// --validCheckSum lines).
StatusOr<std::vector<LiquibaseApplied>> ReadLiquibaseHistory(db::Connection& conn,
                                                             const std::string& dir);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_FORMATS_LIQUIBASE_H_
