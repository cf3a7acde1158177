#include "cli/plan_output.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace cairn::cli {
namespace {

using nlohmann::json;

void WarnMissingDowns(const runner::ReviewedPlan& plan) {
  for (const auto& m : plan.migrations)
    if (!m.has_down)
      std::fprintf(stderr,
                   "cairn: warning: %s (%s) has no '-- cairn:down' section: it cannot be rolled "
                   "back\n",
                   m.id.c_str(), m.file.c_str());
}

}  // namespace

namespace {

// Prints the plan as it is walked, in the layout of nlohmann's dump(2)
// (keys in order), so that a plan over a file of GBs streams.
class JsonPlanPrinter final : public runner::PlanSink {
 public:
  void BeginMigration(const runner::PlannedMigration& m) override {
    EndMigration();
    std::printf("%s\n    {\n", any_migration_ ? "," : "");
    std::printf("      \"checksum\": %s,\n", json(m.checksum).dump().c_str());
    std::printf("      \"description\": %s,\n", json(m.description).dump().c_str());
    std::printf("      \"file\": %s,\n", json(m.file).dump().c_str());
    std::printf("      \"has_down\": %s,\n", m.has_down ? "true" : "false");
    std::printf("      \"id\": %s,\n", json(m.id).dump().c_str());
    std::printf("      \"statements\": [");
    any_migration_ = open_ = true;
    any_statement_ = false;
  }
  void Statement(const runner::PlannedStatement& st) override {
    std::printf("%s\n        {\n          \"line\": %d,\n          \"sql\": %s\n        }",
                any_statement_ ? "," : "", st.line, json(st.text).dump().c_str());
    any_statement_ = true;
  }
  // Closes the last migration and the list.
  void Finish() {
    EndMigration();
    std::printf(any_migration_ ? "\n  ],\n" : "],\n");
  }

 private:
  void EndMigration() {
    if (!open_) return;
    std::printf(any_statement_ ? "\n      ]\n    }" : "]\n    }");
    open_ = false;
  }
  bool any_migration_ = false, open_ = false, any_statement_ = false;
};

class TextPlanPrinter final : public runner::PlanSink {
 public:
  void BeginMigration(const runner::PlannedMigration& m) override {
    std::printf("\n-- %s %s (%s) %s\n", m.id.c_str(), m.description.c_str(), m.file.c_str(),
                m.checksum.c_str());
    n_ = 0;
  }
  void Statement(const runner::PlannedStatement& st) override {
    std::printf("-- statement %zu, line %d\n%s;\n", ++n_, st.line, st.text.c_str());
  }

 private:
  size_t n_ = 0;
};

}  // namespace

int ShowPlan(runner::Runner& runner, const runner::MigrateOptions& options, bool json_out) {
  auto planned = runner.PlanMigrate(options);
  if (!planned.ok()) return Fail(planned.status());
  const std::vector<runner::Migration>& steps = planned->steps;
  const std::string before = planned->state.CurrentVersion();
  StatusOr<std::string> hash(std::string{});
  if (json_out) {
    std::printf("{\n  \"direction\": \"up\",\n  \"migrations\": [");
    JsonPlanPrinter printer;
    hash = runner::WalkPlan(runner.stream(), v1::DIRECTION_UP, steps, &printer);
    if (!hash.ok()) return Fail(hash.status());
    printer.Finish();
    std::printf("  \"plan_hash\": %s,\n  \"stream\": %s,\n  \"version_before\": %s\n}\n",
                json(*hash).dump().c_str(), json(runner.stream()).dump().c_str(),
                json(before).dump().c_str());
  } else {
    std::printf(
        "plan for stream %s: %zu migration(s), version %s -> %s\n", runner.stream().c_str(),
        steps.size(), before.empty() ? "(none)" : before.c_str(),
        steps.empty() ? (before.empty() ? "(none)" : before.c_str()) : steps.back().id.c_str());
    TextPlanPrinter printer;
    hash = runner::WalkPlan(runner.stream(), v1::DIRECTION_UP, steps, &printer);
    if (!hash.ok()) return Fail(hash.status());
    std::printf("\nplan hash: %s\n", hash->c_str());
  }
  runner::ReviewedPlan plan;
  plan.stream = runner.stream();
  for (const runner::Migration& m : steps)
    plan.migrations.push_back({m.id, m.description, m.file, m.checksum, m.down.has_value(), {}});
  plan.hash = *hash;
  WarnMissingDowns(plan);
  if (options.expected_plan_hash) {
    auto want = runner::NormalizePlanHash(*options.expected_plan_hash);
    if (!want.ok()) return Fail(want.status());
    if (*want != plan.hash) return Fail(runner::PlanChangedError(*want, plan));
  }
  return kExitOk;
}

int ProductionPreflight(runner::Runner& runner, const runner::MigrateOptions& options,
                        const std::vector<std::string>& protected_environments,
                        const std::string& why, bool yes) {
  auto planned = runner.PlanMigrate(options);
  if (!planned.ok()) return Fail(planned.status());
  runner::ReviewedPlan plan = runner::MakeReviewedPlan(runner.stream(), v1::DIRECTION_UP,
                                                       planned->steps, /*with_statements=*/false);
  std::printf("pre-flight: environment %s (%s), target %s (%s)\n", options.environment.c_str(),
              why.c_str(), runner.stream().c_str(), runner.connection().url().redacted.c_str());
  std::printf("pre-flight: %zu pending migration(s), plan hash %s\n", plan.migrations.size(),
              plan.hash.c_str());
  for (const auto& m : plan.migrations)
    std::printf("  %s %s%s\n", m.id.c_str(), m.description.c_str(),
                m.has_down ? "" : "  [no down section]");
  WarnMissingDowns(plan);
  std::fflush(stdout);
  // The policy MigrateOnStartup applies too (cairn/runner/checks.h); here
  // someone can be asked when standard input is a terminal.
  runner::PreflightPolicy policy;
  policy.environment = options.environment;
  policy.protected_environments = protected_environments;
  policy.confirmed = yes;
  policy.unattended = "standard input is not a terminal; pass --yes after reviewing the plan";
  if (isatty(STDIN_FILENO)) {
    policy.ask = [&runner](const runner::ReviewedPlan&) -> Status {
      std::fprintf(stderr, "type the target's name (%s) to apply these migrations: ",
                   runner.stream().c_str());
      std::string answer;
      if (std::getline(std::cin, answer) && answer == runner.stream()) return Status::Ok();
      return FailedPreconditionError("confirmation did not match '" + runner.stream() +
                                     "'; nothing was applied")
          .WithKind(runner::kNotConfirmed);
    };
  }
  Status confirmed = runner::ApplyPreflightPolicy(policy, plan);
  return confirmed.ok() ? kExitOk : Fail(confirmed);
}

}  // namespace cairn::cli
