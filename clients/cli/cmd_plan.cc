// cairn plan: what migrate would run, statement by statement, and its hash.
#include <memory>
#include <optional>
#include <string>

#include "cli/cli.h"
#include "cli/plan_output.h"

namespace cairn::cli {
namespace {

struct PlanFlags {
  std::optional<std::string> to;
  bool allow_out_of_order = false;
  bool json = false;
};

CommandAction SetupPlan(CLI::App* cmd) {
  auto f = std::make_shared<PlanFlags>();
  cmd->add_option("--to", f->to, "plan up to and including this migration id");
  cmd->add_flag("--allow-out-of-order", f->allow_out_of_order,
                "include pending files numbered below the current version");
  cmd->add_flag("--json", f->json, "print the plan as JSON");
  return [f](CliContext& ctx) -> int {
    runner::RunnerOptions options = ctx.ReadOnlyRunnerOptions();
    options.allow_out_of_order = f->allow_out_of_order;
    // A first deployment's plan: a SQLite file that does not exist yet is
    // planned as an empty database, and still not created.
    int rc;
    auto runner = ctx.OpenMissingAsEmpty(options, "planned against an empty database", &rc);
    if (!runner) return rc;
    runner::MigrateOptions migrate;
    migrate.to = f->to;
    return ShowPlan(*runner, migrate, f->json);
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(plan, "print what migrate would run, with a plan hash", 12, SetupPlan);

}  // namespace cairn::cli
