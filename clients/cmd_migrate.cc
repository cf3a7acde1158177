// cairn migrate, cairn rollback.
#include <memory>
#include <optional>
#include <string>

#include "cli.h"
#include "cli_output.h"

namespace cairn::cli {
namespace {

struct MigrateFlags {
  std::optional<std::string> to;
  bool allow_out_of_order = false;
};

CommandAction SetupMigrate(CLI::App* cmd) {
  auto f = std::make_shared<MigrateFlags>();
  cmd->add_option("--to", f->to, "apply up to and including this migration id");
  cmd->add_flag("--allow-out-of-order", f->allow_out_of_order,
                "apply pending files numbered below the current version");
  return [f](CliContext& ctx) -> int {
    runner::RunnerOptions options = ctx.RunnerOptionsFromGlobals();
    options.allow_out_of_order = f->allow_out_of_order;
    int rc;
    auto runner = ctx.OpenRunner(options, &rc);
    if (!runner) return rc;
    runner::MigrateOptions migrate;
    migrate.to = f->to;
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
