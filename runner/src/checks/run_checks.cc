// The checks before a migrate's first write, as policies (cairn/runner/checks.h).
#include <algorithm>
#include <cctype>
#include <string_view>

#include "cairn/runner/checks.h"

namespace cairn::runner {

Status ApplyDriftPolicy(DriftPolicy policy, const DriftReport& drift) {
  if (!drift.drifted || policy == DriftPolicy::kWarn) return Status::Ok();
  std::string message = "schema drift: the live schema (" + drift.live_fingerprint +
                        ") differs from the ledger's (" + drift.recorded_fingerprint +
                        "); nothing was migrated (see `cairn drift`)";
  for (const std::string& line : drift.differences) message += "\n  " + line;
  return FailedPreconditionError(message).WithKind(kDriftRefused);
}

const std::vector<std::string>& DefaultProtectedEnvironments() {
  static const std::vector<std::string> kNames = {"production", "prod", "prd", "live"};
  return kNames;
}

bool NeedsPreflight(const std::string& environment,
                    const std::vector<std::string>& protected_names) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string env = lower(environment);
  return !env.empty() && std::any_of(protected_names.begin(), protected_names.end(),
                                     [&](const std::string& n) { return lower(n) == env; });
}

Status ApplyPreflightPolicy(const PreflightPolicy& policy, const ReviewedPlan& plan) {
  if (!NeedsPreflight(policy.environment, policy.protected_environments) ||
      plan.migrations.empty() || policy.confirmed)
    return Status::Ok();
  if (policy.ask) return policy.ask(plan);
  return FailedPreconditionError(policy.environment +
                                 ": refusing to migrate without confirmation: " + policy.unattended)
      .WithKind(kNotConfirmed);
}

std::string ChangedAfterApplied(const MigratePlan::ChangedFile& changed,
                                std::string_view consequence) {
  std::string line = changed.path + ": migration " + changed.id +
                     " was changed after it was applied (applied " + changed.applied_checksum +
                     ", file now " + changed.file_checksum + ")";
  if (!consequence.empty()) line += ": " + std::string(consequence);
  return line + "; restore the file, or record the change with `cairn accept-checksum " +
         changed.id + " --reason WHY`";
}

void ApplyFolderPolicy(const FolderPolicy& policy, const MigratePlan& planned,
                       std::vector<std::string>* refusals, std::vector<std::string>* warnings) {
  for (const MigratePlan::ChangedFile& c : planned.changed)
    refusals->push_back(ChangedAfterApplied(c));
  if (!policy.allow_out_of_order) {
    for (const MigratePlan::BelowVersion& b : planned.below_version)
      refusals->push_back(b.path + ": migration " + b.id +
                          " is numbered below the current version " + planned.version +
                          " (out of order); renumber it or pass --allow-out-of-order");
  }
  for (const std::string& line : planned.missing_files) {
    if (policy.refuse_missing_files)
      refusals->push_back("--strict: " + line);
    else
      warnings->push_back(line);
  }
}

Status CheckPlanHash(const std::optional<std::string>& expected, const std::string& actual,
                     const std::function<ReviewedPlan()>& describe) {
  if (!expected) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(std::string want, NormalizePlanHash(*expected));
  if (want == actual) return Status::Ok();
  ReviewedPlan plan = describe();
  plan.hash = actual;
  return PlanChangedError(want, plan);
}

}  // namespace cairn::runner
