// cairn migrate, cairn rollback.
#include <memory>
#include <optional>
#include <string>

#include "cli.h"
#include "cli_output.h"
#include "plan_output.h"

namespace cairn::cli {
namespace {

struct MigrateFlags {
  std::optional<std::string> to;
  bool allow_out_of_order = false;
  // Reviewed plans, pre-flight and backups (docs/plans.md, docs/backups.md).
  bool dry_run = false, json = false, yes = false;
  std::optional<std::string> plan_hash, env;
  std::string backup_dir;
};

CommandAction SetupMigrate(CLI::App* cmd) {
  auto f = std::make_shared<MigrateFlags>();
  cmd->add_option("--to", f->to, "apply up to and including this migration id");
  cmd->add_flag("--allow-out-of-order", f->allow_out_of_order,
                "apply pending files numbered below the current version");
  cmd->add_flag("--dry-run", f->dry_run, "print the plan (like `cairn plan`) and change nothing");
  cmd->add_flag("--json", f->json, "with --dry-run: print the plan as JSON");
  cmd->add_option("--plan-hash", f->plan_hash, "run only if the plan still has this hash");
  cmd->add_option("--backup", f->backup_dir, "back the target up into DIR before applying");
  cmd->add_option("--env", f->env, "environment name (default $CAIRN_ENV); production confirms");
  cmd->add_flag("--yes", f->yes, "skip the production confirmation prompt");
  return [f](CliContext& ctx) -> int {
    runner::RunnerOptions options = ctx.RunnerOptionsFromGlobals();
    options.allow_out_of_order = f->allow_out_of_order;
    int rc;
    auto runner = ctx.OpenRunner(options, &rc);
    if (!runner) return rc;
    runner::MigrateOptions migrate;
    migrate.to = f->to;
    migrate.expected_plan_hash = f->plan_hash;
    migrate.backup_dir = f->backup_dir;
    migrate.environment = EnvironmentName(f->env);
    if (f->dry_run) return ShowPlan(*runner, migrate, f->json);
    if (migrate.environment == "production") {
      if (int pre = ProductionPreflight(*runner, migrate, f->yes); pre != runner::kExitOk)
        return pre;
    }
    auto report = runner->Migrate(migrate);
    if (!report.ok()) return Fail(report.status());
    PrintRun(*report, /*up=*/true);
    return report->outcome == v1::RUN_OUTCOME_FAILED ? runner::kExitMigrationFailed
                                                     : runner::kExitOk;
  };
}

struct RollbackFlags {
  int steps = 1;
  std::optional<std::string> to;
};

CommandAction SetupRollback(CLI::App* cmd) {
  auto f = std::make_shared<RollbackFlags>();
  auto* steps = cmd->add_option("--steps,-n", f->steps, "how many migrations to revert")
                    ->capture_default_str();
  cmd->add_option("--to", f->to, "revert everything applied after this id (0: all)")
      ->excludes(steps);
  return [f](CliContext& ctx) -> int {
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    runner::RollbackOptions rollback;
    rollback.steps = f->steps;
    rollback.to = f->to;
    auto report = runner->Rollback(rollback);
    if (!report.ok()) return Fail(report.status());
    PrintRun(*report, /*up=*/false);
    return report->outcome == v1::RUN_OUTCOME_FAILED ? runner::kExitMigrationFailed
                                                     : runner::kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(migrate, "apply pending migrations", 10, SetupMigrate);
CAIRN_REGISTER_COMMAND(rollback, "revert applied migrations, newest first", 20, SetupRollback);

}  // namespace cairn::cli
