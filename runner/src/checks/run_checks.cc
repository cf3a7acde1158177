// The checks before a migrate's first write, as policies (cairn/runner/checks.h).
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

bool NeedsPreflight(const std::string& environment) { return environment == "production"; }

Status ApplyPreflightPolicy(const PreflightPolicy& policy, const ReviewedPlan& plan) {
  if (!NeedsPreflight(policy.environment) || plan.migrations.empty() || policy.confirmed)
    return Status::Ok();
  if (policy.ask) return policy.ask(plan);
  return FailedPreconditionError(policy.environment +
                                 ": refusing to migrate without confirmation: " + policy.unattended)
      .WithKind(kNotConfirmed);
}

}  // namespace cairn::runner
