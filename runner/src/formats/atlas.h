// Internal: Atlas's versioned migration folders and its revisions table
// (docs/formats.md, "Atlas"). readers.cc registers the reader, adopt.cc the
// table.
#ifndef CAIRN_RUNNER_SRC_FORMATS_ATLAS_H_
#define CAIRN_RUNNER_SRC_FORMATS_ATLAS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/runner/migration.h"
#include "cairn/runner/repair.h"
#include "cairn/store/state.h"

namespace cairn::runner::internal {

// Reads `dir` as `atlas migrate apply` reads it: the *.sql files in name
// order, atlas.sum verified, the file directives, Atlas's statement cut.
// Migrations whose files have at most `keep_in_memory` bytes keep their
// sections in memory. Errors name the file (and line where there is one).
StatusOr<std::vector<Migration>> LoadAtlas(const std::string& dir, size_t keep_in_memory);

// The versions `atlas_schema_revisions` shows applied, each with Atlas's
// executed_at and "h1:" + hash. `files` is the folder (LoadAtlas).
// kFailedPrecondition of kind kAdoptRefused for a partially applied or
// failed revision, a revision without its file, a file Atlas would find
// out of order; kNotFound without the table.
StatusOr<std::map<std::string, BaselineOptions::Original, ledger::MigrationIdLess>>
ReadAtlasRevisions(db::Connection& conn, const std::vector<Migration>& files);

// --- Exposed for tests -----------------------------------------------------

// Atlas's directive regexp `^([ -~]*)atlas:(\w+)(?: +([ -~]*))*` on `text`.
struct AtlasDirective {
  std::string prefix, name, arg;
};
std::optional<AtlasDirective> MatchAtlasDirective(std::string_view text);

// The contents of atlas.sum for the files `names` with contents `bytes`,
// as `atlas migrate hash` writes it.
std::string AtlasSumFile(const std::vector<std::string>& names,
                         const std::vector<std::string>& bytes);

// The statements Atlas's lexer (sql/migrate/lex.go) cuts `text` into with
// the PostgreSQL driver's options, each as Atlas sends it; or the lexer's
// error ("3:7: unclosed quote").
StatusOr<std::vector<std::string>> AtlasStatements(std::string_view text);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_FORMATS_ATLAS_H_
