// Schema-aware operations on a target: generating migrations from a desired
// schema file, drift detection against the ledger's fingerprints, rehearsal
// of pending migrations on a copy, and recognising which prefix of the
// migrations an existing (unledgered) database already has.
// Formats: docs/schema-model.md.
//
//   CAIRN_ASSIGN_OR_RETURN(auto runner, Runner::Open(url, options));
//   CAIRN_ASSIGN_OR_RETURN(GenerateResult g, GenerateMigration(*runner, "migrations", "add_email",
//                                                            "schema.sql"));
//   CAIRN_ASSIGN_OR_RETURN(DriftReport d, CheckDrift(*runner));
#ifndef CAIRN_RUNNER_SCHEMA_OPS_H_
#define CAIRN_RUNNER_SCHEMA_OPS_H_

#include <optional>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/checks.h"
#include "cairn/runner/migration.h"
#include "cairn/runner/runner.h"
#include "cairn/schema/diff.h"
#include "cairn/schema/model.h"
#include "cairn/v1/events.pb.h"

namespace cairn::runner {

// The plans between the live database and the schema file at `schema_path`.
struct SchemaChange {
  schema::Plan up;    // live -> desired
  schema::Plan down;  // desired -> live
};
// Errors: kNotFound (cannot read the file), kInvalidArgument ("path:line: ..."
// for a statement or hint of the file).
StatusOr<SchemaChange> DiffWithSchemaFile(Runner& runner, const std::string& schema_path);

struct GenerateResult {
  bool written = false;  // false: no difference, nothing written
  std::string path;      // the new migration file
  SchemaChange change;
};
// Writes the next migration file in `dir` (CreateMigrationFile's numbering;
// never overwrites) with the up and down plans. Refuses
// (kFailedPrecondition, nothing written) while migrations are pending.
StatusOr<GenerateResult> GenerateMigration(Runner& runner, const std::string& dir,
                                           const std::string& name, const std::string& schema_path);

// Compares the live schema with the ledger's newest fingerprint (DriftReport
// and the policies on it: cairn/runner/checks.h). Writes nothing.
StatusOr<DriftReport> CheckDrift(Runner& runner);

struct RehearsalProblem {
  std::string migration_id, file;
  std::string kind;     // "up failed", "down failed", "no down", "down leaves schema changed",
                        // "up after down failed", "up after down differs"
  std::string message;  // e.g. "file:line: message"
  std::vector<std::string> differences;
};
struct RehearsalReport {
  std::string copy;                    // how the copy was made
  std::vector<std::string> rehearsed;  // ids run up, down, up
  std::vector<RehearsalProblem> problems;
  bool ok() const { return problems.empty(); }
};
// Copies the target (SQLite: VACUUM INTO a temporary file; PostgreSQL:
// CREATE DATABASE ... TEMPLATE, or when the target is busy a schema-only
// copy made from its model) and runs each pending migration up, down, up on
// the copy, comparing models. The target is only read; the copy is removed.
StatusOr<RehearsalReport> Rehearse(const std::string& database_url, const RunnerOptions& options);

// StarPunk's fresh-database detection, for a target with tables and no ledger.
struct ExistingSchemaReport {
  std::string live_fingerprint;
  bool has_tables = false;
  // Longest prefix of `migrations` (count; 0 = none applied) whose schema
  // equals the live one, and its last id. Set when matched.
  bool matched = false;
  int matched_count = 0;
  std::string matched_id;
  std::vector<int> all_matching_counts;  // every prefix length that matches, ascending
  // When nothing matches: the prefix with the fewest differences, and them
  // (prefix schema -> live schema, DescribeDifferences lines).
  int closest_count = 0;
  std::string closest_id;
  std::vector<std::string> differences;
  // A migration that failed in the scratch database stops the search.
  std::optional<std::string> error;
};
// Applies `migrations`' up sections one by one to a scratch database of
// `target`'s backend and compares each prefix's schema with the live one.
// Reads `target` only.
StatusOr<ExistingSchemaReport> DetectExistingSchema(db::Connection& target,
                                                    const std::vector<Migration>& migrations);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SCHEMA_OPS_H_
