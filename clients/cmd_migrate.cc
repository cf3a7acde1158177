// cairn migrate, cairn rollback.
#include <memory>
#include <optional>
#include <string>

#include "batch_flags.h"
#include "cli.h"
#include "cli_output.h"

namespace cairn::cli {
namespace {

struct MigrateFlags {
  std::optional<std::string> to;
  bool allow_out_of_order = false;
  BatchFlags batch;
};

CommandAction SetupMigrate(CLI::App* cmd) {
  auto f = std::make_shared<MigrateFlags>();
  cmd->add_option("--to", f->to, "apply up to and including this migration id");
  cmd->add_flag("--allow-out-of-order", f->allow_out_of_order,
                "apply pending files numbered below the current version");
  f->batch.Add(cmd);
  return [f](CliContext& ctx) -> int {
    runner::RunnerOptions options = ctx.RunnerOptionsFromGlobals();
    options.allow_out_of_order = f->allow_out_of_order;
    options.batch = f->batch.Prepare(ctx);
    int rc;
    auto runner = ctx.OpenRunner(options, &rc);
    if (!runner) return rc;
    runner::MigrateOptions migrate;
    migrate.to = f->to;
    auto report = runner->Migrate(migrate);
    if (!report.ok()) return Fail(report.status());
    PrintRun(*report, /*up=*/true);
    return ExitForRun(*report);
  };
}

struct RollbackFlags {
  int steps = 1;
  std::optional<std::string> to;
  BatchFlags batch;
};

CommandAction SetupRollback(CLI::App* cmd) {
  auto f = std::make_shared<RollbackFlags>();
  auto* steps = cmd->add_option("--steps,-n", f->steps, "how many migrations to revert")
                    ->capture_default_str();
  cmd->add_option("--to", f->to, "revert everything applied after this id (0: all)")
      ->excludes(steps);
  f->batch.Add(cmd);
  return [f](CliContext& ctx) -> int {
    int rc;
    runner::RunnerOptions options = ctx.RunnerOptionsFromGlobals();
    options.batch = f->batch.Prepare(ctx);
    auto runner = ctx.OpenRunner(options, &rc);
    if (!runner) return rc;
    runner::RollbackOptions rollback;
    rollback.steps = f->steps;
    rollback.to = f->to;
    auto report = runner->Rollback(rollback);
    if (!report.ok()) return Fail(report.status());
    PrintRun(*report, /*up=*/false);
    return ExitForRun(*report);
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(migrate, "apply pending migrations", 10, SetupMigrate);
CAIRN_REGISTER_COMMAND(rollback, "revert applied migrations, newest first", 20, SetupRollback);

}  // namespace cairn::cli
