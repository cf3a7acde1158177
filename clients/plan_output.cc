#include "plan_output.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"

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

std::string EnvironmentName(const std::optional<std::string>& flag) {
  if (flag) return *flag;
  const char* env = std::getenv("CAIRN_ENV");
  return env ? env : "";
}

int ShowPlan(runner::Runner& runner, const runner::MigrateOptions& options, bool json_out) {
  auto planned = runner.PlanMigrate(options);
  if (!planned.ok()) return Fail(planned.status());
  runner::ReviewedPlan plan =
      runner::MakeReviewedPlan(runner.stream(), v1::DIRECTION_UP, planned->steps);
  const std::string before = planned->state.CurrentVersion();
  if (json_out) {
    json j = {{"stream", plan.stream},
              {"direction", "up"},
              {"version_before", before},
              {"plan_hash", plan.hash},
              {"migrations", json::array()}};
    for (const auto& m : plan.migrations) {
      json jm = {{"id", m.id},
                 {"description", m.description},
                 {"file", m.file},
                 {"checksum", m.checksum},
                 {"has_down", m.has_down},
                 {"statements", json::array()}};
      for (const auto& s : m.statements)
        jm["statements"].push_back({{"line", s.line}, {"sql", s.text}});
      j["migrations"].push_back(jm);
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("plan for stream %s: %zu migration(s), version %s -> %s\n", plan.stream.c_str(),
                plan.migrations.size(), before.empty() ? "(none)" : before.c_str(),
                plan.migrations.empty() ? (before.empty() ? "(none)" : before.c_str())
                                        : plan.migrations.back().id.c_str());
    for (const auto& m : plan.migrations) {
      std::printf("\n-- %s %s (%s) %s\n", m.id.c_str(), m.description.c_str(), m.file.c_str(),
                  m.checksum.c_str());
      size_t n = 0;
      for (const auto& s : m.statements)
        std::printf("-- statement %zu, line %d\n%s;\n", ++n, s.line, s.text.c_str());
    }
    std::printf("\nplan hash: %s\n", plan.hash.c_str());
  }
  WarnMissingDowns(plan);
  if (options.expected_plan_hash) {
    auto want = runner::NormalizePlanHash(*options.expected_plan_hash);
    if (!want.ok()) return Fail(want.status());
    if (*want != plan.hash) return Fail(runner::PlanChangedError(*want, plan));
  }
  return runner::kExitOk;
}

int ProductionPreflight(runner::Runner& runner, const runner::MigrateOptions& options, bool yes) {
  auto planned = runner.PlanMigrate(options);
  if (!planned.ok()) return Fail(planned.status());
  runner::ReviewedPlan plan =
      runner::MakeReviewedPlan(runner.stream(), v1::DIRECTION_UP, planned->steps);
  std::printf("pre-flight: environment %s, target %s (%s)\n", options.environment.c_str(),
              runner.stream().c_str(), runner.connection().url().redacted.c_str());
  std::printf("pre-flight: %zu pending migration(s), plan hash %s\n", plan.migrations.size(),
              plan.hash.c_str());
  for (const auto& m : plan.migrations)
    std::printf("  %s %s%s\n", m.id.c_str(), m.description.c_str(),
                m.has_down ? "" : "  [no down section]");
  WarnMissingDowns(plan);
  std::fflush(stdout);
  if (plan.migrations.empty() || yes) return runner::kExitOk;
  if (!isatty(STDIN_FILENO)) {
    std::fprintf(stderr,
                 "cairn: error: %s: refusing to migrate without confirmation: standard input is "
                 "not a terminal; pass --yes after reviewing the plan\n",
                 options.environment.c_str());
    return runner::kExitNotConfirmed;
  }
  std::fprintf(stderr,
               "type the target's name (%s) to apply these migrations: ", runner.stream().c_str());
  std::string answer;
  if (!std::getline(std::cin, answer) || answer != runner.stream()) {
    std::fprintf(stderr, "cairn: error: confirmation did not match '%s'; nothing was applied\n",
                 runner.stream().c_str());
    return runner::kExitNotConfirmed;
  }
  return runner::kExitOk;
}

}  // namespace cairn::cli
