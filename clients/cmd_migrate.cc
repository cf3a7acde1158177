// cairn migrate, cairn rollback.
#include <memory>
#include <optional>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli.h"
#include "cli_output.h"

namespace cairn::cli {
namespace {

// Warns on drift (docs/schema-model.md); with `strict`, refuses (kExitDrift).
int CheckDriftBeforeMigrate(runner::Runner& r, bool strict) {
  auto d = runner::CheckDrift(r);
  if (!d.ok()) return Fail(d.status());
  if (!d->drifted) return runner::kExitOk;
  const char* level = strict ? "error" : "warning";
  std::fprintf(stderr,
               "cairn: %s: schema drift: the live schema (%s) differs from the ledger's (%s)\n",
               level, d->live_fingerprint.c_str(), d->recorded_fingerprint.c_str());
  for (const std::string& line : d->differences)
    std::fprintf(stderr, "cairn: %s:   %s\n", level, line.c_str());
  if (!strict) return runner::kExitOk;
  std::fprintf(stderr, "cairn: error: --strict: nothing was migrated (see `cairn drift`)\n");
  return runner::kExitDrift;
}

struct MigrateFlags {
  std::optional<std::string> to;
  bool allow_out_of_order = false;
  bool strict = false;
};

CommandAction SetupMigrate(CLI::App* cmd) {
  auto f = std::make_shared<MigrateFlags>();
  cmd->add_option("--to", f->to, "apply up to and including this migration id");
  cmd->add_flag("--allow-out-of-order", f->allow_out_of_order,
                "apply pending files numbered below the current version");
  cmd->add_flag("--strict", f->strict, "refuse to run when the schema has drifted from the ledger");
  return [f](CliContext& ctx) -> int {
    runner::RunnerOptions options = ctx.RunnerOptionsFromGlobals();
    options.allow_out_of_order = f->allow_out_of_order;
    int rc;
    auto runner = ctx.OpenRunner(options, &rc);
    if (!runner) return rc;
    if (int drift = CheckDriftBeforeMigrate(*runner, f->strict); drift != runner::kExitOk)
      return drift;
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
