// Internal: the per-migration directives of docs/migration-files.md and the
// detection of statements that cannot run inside a transaction.
#ifndef CAIRN_RUNNER_SRC_SOURCE_DIRECTIVES_H_
#define CAIRN_RUNNER_SRC_SOURCE_DIRECTIVES_H_

#include <optional>
#include <string>
#include <string_view>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/migration.h"

namespace cairn::runner {

// Parses `line` if it is one of the option directives (no-transaction,
// lock-timeout, statement-timeout, lock-retries) into `m`. Returns nullopt for
// any other line, OK when parsed, or an error whose message names the
// problem (the caller adds file and line). Option directives belong in the
// header, before '-- cairn:up' (`in_header`).
std::optional<Status> ParseOptionDirective(std::string_view line, bool in_header, Migration* m);

// Why `section` of `m` must run outside a transaction on `backend`: the
// directive, or the first statement that PostgreSQL or SQLite refuses inside
// one ("CREATE INDEX CONCURRENTLY at line 4"). Empty when it can run inside.
// `server_version` is PostgreSQL's server_version_num (0 for SQLite).
std::string NoTransactionReason(const Migration& m, const Section& section, db::Backend backend,
                                int server_version);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SRC_SOURCE_DIRECTIVES_H_
