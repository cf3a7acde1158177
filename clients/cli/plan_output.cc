#include "cli/plan_output.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

using nlohmann::json;

void WarnMissingDowns(const runner::ReviewedPlan& plan) {
  for (const auto& m : plan.migrations) {
    if (m.has_down) continue;
    const std::string warning =
        m.id + " (" + m.file + ") has no '-- cairn:down' section: it cannot be rolled back";
    std::fprintf(stderr, "cairn: warning: %s\n", warning.c_str());
    if (JsonDocument* doc = ActiveJson()) doc->Warn(warning);
  }
}

}  // namespace

namespace {

// Adds the plan to the --json document as it is walked, so that a plan
// over a file of GBs streams (docs/json.md).
class JsonPlanPrinter final : public runner::PlanSink {
 public:
  explicit JsonPlanPrinter(JsonDocument& doc) : doc_(doc) {}
  void BeginMigration(const runner::PlannedMigration& m) override {
    EndMigration();
    doc_.BeginObject();
    doc_.Field("checksum", m.checksum);
    doc_.Field("description", m.description);
    doc_.Field("file", m.file);
    doc_.Field("has_down", m.has_down);
    doc_.Field("id", m.id);
    doc_.BeginArray("statements");
    open_ = true;
  }
  void Statement(const runner::PlannedStatement& st) override {
    doc_.Element({{"line", st.line}, {"sql", st.text}});
  }
  // Closes the last migration.
  void Finish() { EndMigration(); }

 private:
  void EndMigration() {
    if (!open_) return;
    doc_.End();  // statements
    doc_.End();  // the migration
    open_ = false;
  }
  JsonDocument& doc_;
  bool open_ = false;
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
  if (JsonDocument* doc = json_out ? ActiveJson() : nullptr) {
    doc->Field("stream", runner.stream());
    doc->Field("direction", "up");
    doc->Field("version_before", before);
    doc->BeginArray("migrations");
    JsonPlanPrinter printer(*doc);
    hash = runner::WalkPlan(runner.stream(), v1::DIRECTION_UP, steps, &printer);
    if (!hash.ok()) return Fail(hash.status());
    printer.Finish();
    doc->End();
    doc->Field("plan_hash", *hash);
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
  // Under --json standard output holds the document only.
  std::FILE* out = ActiveJson() != nullptr ? stderr : stdout;
  std::fprintf(out, "pre-flight: environment %s (%s), target %s (%s)\n",
               options.environment.c_str(), why.c_str(), runner.stream().c_str(),
               runner.connection().url().redacted.c_str());
  std::fprintf(out, "pre-flight: %zu pending migration(s), plan hash %s\n", plan.migrations.size(),
               plan.hash.c_str());
  for (const auto& m : plan.migrations)
    std::fprintf(out, "  %s %s%s\n", m.id.c_str(), m.description.c_str(),
                 m.has_down ? "" : "  [no down section]");
  WarnMissingDowns(plan);
  std::fflush(out);
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
