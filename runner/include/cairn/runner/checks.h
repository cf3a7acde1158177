// The checks a migrate makes before its first write, as policies that
// `cairn migrate` and MigrateOnStartup apply alike (docs/design.md, "The
// run pipeline"; the checks stage). Each check is a pure decision on what
// was read: the caller reads (the drift report, the plan, the reviewed
// plan), the policy says go or refuse, and a refusal is an error of its own
// kind. Runner::Migrate applies the folder and plan-hash policies itself,
// so MigrateOnStartup gets them too; drift and pre-flight are applied by
// their callers (`cairn migrate`, MigrateOnStartup) with these functions.
//
//   CAIRN_ASSIGN_OR_RETURN(DriftReport d, CheckDrift(*runner));
//   CAIRN_RETURN_IF_ERROR(ApplyDriftPolicy(DriftPolicy::kRefuse, d));
//   CAIRN_RETURN_IF_ERROR(ApplyPreflightPolicy(preflight, reviewed_plan));
#ifndef CAIRN_RUNNER_CHECKS_H_
#define CAIRN_RUNNER_CHECKS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/runner/plan.h"

namespace cairn::runner {

// The live schema against the ledger's newest fingerprint (docs/schema-model.md).
struct DriftReport {
  bool recorded = false;  // the ledger holds a fingerprint of the current schema
  bool unknown = false;   // a migration changed the schema after the last fingerprint
                          // (an interrupted run): nothing to compare until the next run
  bool drifted = false;   // live fingerprint != recorded
  std::string recorded_fingerprint, live_fingerprint;
  int64_t recorded_position = 0;         // ledger position of the event carrying it
  bool listed = false;                   // differences could be listed (a snapshot was found)
  std::vector<std::string> differences;  // recorded -> live, DescribeDifferences lines
};

// A refusal of ApplyDriftPolicy (the CLI exits kExitDrift, 13).
inline constexpr ErrorKind kDriftRefused{"runner.DriftRefused"};

// What a migrate does when the schema drifted.
enum class DriftPolicy {
  kWarn,    // say so and migrate (`cairn migrate`)
  kRefuse,  // refuse, nothing written (`cairn migrate --strict`, MigrateOnStartup)
};

// OK unless `drift.drifted` and `policy` is kRefuse: then kFailedPrecondition
// of kind kDriftRefused, one line naming both fingerprints, then one line
// per difference.
Status ApplyDriftPolicy(DriftPolicy policy, const DriftReport& drift);

// A refusal of ApplyPreflightPolicy (the CLI exits kExitNotConfirmed, 11).
inline constexpr ErrorKind kNotConfirmed{"runner.NotConfirmed"};

// The production pre-flight (docs/plans.md): a run in the environment named
// "production" applies pending migrations only once someone confirmed the
// plan: in advance (`--yes`, StartupOptions::confirmed) or when asked.
// The environments that get the production pre-flight unless the project
// names its own (cairn.toml's protected_environments, docs/config.md):
// production, prod, prd and live.
const std::vector<std::string>& DefaultProtectedEnvironments();

struct PreflightPolicy {
  std::string environment;  // MigrateOptions::environment
  // The protected names, compared without regard to case.
  std::vector<std::string> protected_environments = DefaultProtectedEnvironments();
  bool confirmed = false;  // confirmed in advance
  // Asks for confirmation of `plan`: OK to go on, an error (of kind
  // kNotConfirmed) to refuse. Empty when no one can be asked.
  std::function<Status(const ReviewedPlan& plan)> ask;
  // Why no one can be asked, for the refusal, e.g. "standard input is not a
  // terminal; pass --yes after reviewing the plan".
  std::string unattended = "no one can confirm the plan; confirm it in advance after reviewing it";
};

// Whether a run in `environment` needs the pre-flight: it is one of
// `protected_names` (compared without regard to case).
bool NeedsPreflight(
    const std::string& environment,
    const std::vector<std::string>& protected_names = DefaultProtectedEnvironments());

// OK when the pre-flight is not needed, `plan` applies nothing, it was
// confirmed in advance, or `ask` confirms it. Otherwise kFailedPrecondition
// of kind kNotConfirmed: "ENV: refusing to migrate without confirmation:
// UNATTENDED", or `ask`'s own refusal.
Status ApplyPreflightPolicy(const PreflightPolicy& policy, const ReviewedPlan& plan);

// What a migrate accepts of the folder against the ledger, judged on the
// facts the plan stage found (MigratePlan::changed, below_version,
// missing_files). A changed applied file is always refused: the way forward
// is to restore the file, or `cairn accept-checksum` after review.
struct FolderPolicy {
  bool allow_out_of_order = false;    // run pending files numbered below the version
  bool refuse_missing_files = false;  // an applied migration without its file refuses
                                      // (`--strict`); otherwise a warning
};

// One line per refusal appended to `refusals` (changed files, then files
// out of order, then missing files when refused), one per warning to
// `warnings`.
void ApplyFolderPolicy(const FolderPolicy& policy, const MigratePlan& planned,
                       std::vector<std::string>* refusals, std::vector<std::string>* warnings);

// The refusal line for an applied migration whose file changed since:
// "PATH: migration ID was changed after it was applied (applied A, file now
// B)[: CONSEQUENCE]; restore the file, or record the change with `cairn
// accept-checksum ID --reason WHY`". Used by migrate and rollback alike.
std::string ChangedAfterApplied(const MigratePlan::ChangedFile& changed,
                                std::string_view consequence = {});

// The reviewed plan (`--plan-hash`, docs/plans.md): OK without `expected`
// or when it names `actual`; kInvalidArgument for a malformed hash;
// otherwise PlanChangedError (kind kPlanChanged) describing the plan that
// `describe` builds (called only then).
Status CheckPlanHash(const std::optional<std::string>& expected, const std::string& actual,
                     const std::function<ReviewedPlan()>& describe);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_CHECKS_H_
