// Reviewed plans: exactly what a migrate run would execute, statement by
// statement, and a hash that names it (format in docs/plans.md).
//
//   CAIRN_ASSIGN_OR_RETURN(MigratePlan planned, runner->PlanMigrate({}));
//   ReviewedPlan plan = MakeReviewedPlan(runner->stream(), v1::DIRECTION_UP, planned.steps);
//   std::cout << plan.hash;          // 64 lowercase hex digits
//
//   MigrateOptions opts;
//   opts.expected_plan_hash = reviewed_hash;   // Migrate refuses if the plan changed
//
// A plan hash mismatch is a kFailedPrecondition Status of kind kPlanChanged;
// the CLI turns it into kExitPlanChanged (10).
#ifndef CAIRN_RUNNER_PLAN_H_
#define CAIRN_RUNNER_PLAN_H_

#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/runner/migration.h"
#include "cairn/store/state.h"
#include "cairn/v1/events.pb.h"

namespace cairn::runner {

// What Migrate would run, computed without writing anything.
struct MigratePlan {
  std::vector<Migration> files;  // every migration file, by id
  ledger::StreamState state;     // the replayed ledger
  std::vector<Migration> steps;  // the pending migrations, in run order
  // Applied in the ledger, no file in the folder: one line each, naming the
  // migration (another folder may be migrating this database).
  std::vector<std::string> missing_files;
  // Facts the plan stage finds and the checks judge (cairn/runner/checks.h,
  // FolderPolicy): applied migrations whose file changed since (repeatable
  // scripts excluded: they run again), and pending files numbered below
  // the current version.
  struct ChangedFile {
    std::string path, id, applied_checksum, file_checksum;
  };
  struct BelowVersion {
    std::string path, id;
  };
  std::vector<ChangedFile> changed;
  std::vector<BelowVersion> below_version;
  std::string version;  // the current version when planned
};

struct PlannedStatement {
  int line = 0;      // 1-based line of the statement's first character in the file
  std::string text;  // canonical text as hashed (docs/plans.md), without the ';'
};

struct PlannedMigration {
  std::string id, description, file, checksum;
  bool has_down = false;
  std::vector<PlannedStatement> statements;
};

struct ReviewedPlan {
  std::string stream;
  v1::Direction direction = v1::DIRECTION_UP;
  std::vector<PlannedMigration> migrations;
  std::string hash;  // SHA-256 of CanonicalPlanBytes, lowercase hex
};

// Receives a plan as WalkPlan goes through it, so that a plan over files of
// GBs is printed or hashed without being held in memory.
class PlanSink {
 public:
  virtual ~PlanSink() = default;
  // A migration of the plan (its `statements` empty), before its statements.
  virtual void BeginMigration(const PlannedMigration& m) { (void)m; }
  virtual void Statement(const PlannedStatement& s) { (void)s; }
};

// Goes through the plan for running `steps` (in that order) on `stream`: up
// sections for DIRECTION_UP, down sections for DIRECTION_DOWN (a step
// without a down section contributes no statements), passing each migration
// and statement to `sink` (may be null). Returns the plan's hash (lowercase
// hex). Sections kept in their files are read back in blocks; an error
// reading one (the file changed since it was parsed) is returned.
StatusOr<std::string> WalkPlan(std::string_view stream, v1::Direction direction,
                               const std::vector<Migration>& steps, PlanSink* sink);

// The whole plan in memory: WalkPlan's migrations, with their statements
// when `with_statements`. Fills `hash`. (A read error leaves the plan as far
// as it got; the same error comes again when the section runs.)
ReviewedPlan MakeReviewedPlan(std::string_view stream, v1::Direction direction,
                              const std::vector<Migration>& steps, bool with_statements = true);

// The canonical serialization of docs/plans.md that the hash covers.
std::string CanonicalPlanBytes(const ReviewedPlan& plan);

// "sha256:ABC.." or "abc..." -> "abc..."; kInvalidArgument unless 64 hex digits.
StatusOr<std::string> NormalizePlanHash(std::string_view given);

// The error Migrate returns when the plan's hash is not `expected`: of kind
// kPlanChanged.
inline constexpr ErrorKind kPlanChanged{"runner.PlanChanged"};
Status PlanChangedError(std::string_view expected, const ReviewedPlan& actual);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_PLAN_H_
