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

}  // namespace cairn::runner
