// cairn migrate, cairn rollback.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli/batch_flags.h"
#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/json_output.h"
#include "cli/lint_gate.h"
#include "cli/plan_output.h"

namespace cairn::cli {
namespace {

// Options shared by migrate and rollback: the transaction mode and how long
// to wait for another runner.
struct RunFlags {
  v1::TransactionMode tx = v1::TRANSACTION_MODE_PER_MIGRATION;
  std::optional<std::string> lock_timeout;

  void Add(CLI::App* cmd) {
    static const std::map<std::string, v1::TransactionMode> kModes = {
        {"per-migration", v1::TRANSACTION_MODE_PER_MIGRATION},
        {"all", v1::TRANSACTION_MODE_ALL},
        {"none", v1::TRANSACTION_MODE_NONE}};
    cmd->add_option("--tx", tx,
                    "transaction mode: per-migration (default), all, none "
                    "(docs/transactions.md)")
        ->transform(CLI::CheckedTransformer(kModes, CLI::ignore_case).description(""))
        ->type_name("per-migration|all|none");
    cmd->add_option("--lock-timeout", lock_timeout,
                    "how long to wait for another runner (e.g. 30s; 0: fail at once)");
  }

  // Runner options from the globals and these flags; nullopt (after printing
  // the error) when --lock-timeout does not parse.
  std::optional<runner::RunnerOptions> Options(const CliContext& ctx) const {
    runner::RunnerOptions options = ctx.RunnerOptionsFromGlobals();
    const std::string& text = lock_timeout ? *lock_timeout : ctx.lock_timeout;
    auto d = runner::ParseDuration(text);
    if (!d.ok()) {
      Fail(d.status().Annotate("--lock-timeout"));
      return std::nullopt;
    }
    options.lock_timeout = *d;
    return options;
  }
};

// The ledger's head position before a run: its events follow it (0 when the
// target has no ledger yet).
int64_t HeadBefore(runner::Runner& r) {
  if (ActiveJson() == nullptr) return 0;
  auto head = r.store().GetHead(r.stream());
  return head.ok() ? head->position : 0;
}

// Prints what the run did (migrate/rollback --json: into the document, with
// the durations and counts read back from the ledger) and returns the exit code.
int ReportRun(runner::Runner& runner, int64_t head_before, const runner::RunReport& r, bool up,
              bool target_given);

// A run that was refused or could not go on: the error, and with --json why
// the run stopped.
int RunRefused(const Status& s) {
  const int exit_code = Fail(s);
  if (JsonDocument* doc = ActiveJson()) doc->Field("stopped", StoppedBy(exit_code));
  return exit_code;
}

int RunExit(const runner::RunReport& r) {
  if (r.compensation_failed) return kExitCompensationFailed;
  return ExitForRun(r);  // failed, interrupted (batch_flags.cc) or ok
}

int ReportRun(runner::Runner& runner, int64_t head_before, const runner::RunReport& r, bool up,
              bool target_given) {
  PrintRun(r, up);
  if (JsonDocument* doc = ActiveJson())
    RunJsonFields(*doc, r, up, RunEvents(runner, head_before, r.run_id), target_given);
  return RunExit(r);
}

// Warns on drift (docs/schema-model.md); with `strict`, refuses (kExitDrift).
int CheckDriftBeforeMigrate(runner::Runner& r, bool strict) {
  auto d = runner::CheckDrift(r);
  if (!d.ok()) return Fail(d.status());
  if (!d->drifted) return kExitOk;
  // The policy MigrateOnStartup applies too (cairn/runner/checks.h).
  const bool refused = !runner::ApplyDriftPolicy(
                            strict ? runner::DriftPolicy::kRefuse : runner::DriftPolicy::kWarn, *d)
                            .ok();
  const char* level = refused ? "error" : "warning";
  std::fprintf(stderr,
               "cairn: %s: schema drift: the live schema (%s) differs from the ledger's (%s)\n",
               level, d->live_fingerprint.c_str(), d->recorded_fingerprint.c_str());
  for (const std::string& line : d->differences)
    std::fprintf(stderr, "cairn: %s:   %s\n", level, line.c_str());
  if (JsonDocument* doc = ActiveJson(); doc != nullptr && !refused)
    doc->Warn("schema drift: the live schema (" + d->live_fingerprint +
              ") differs from the ledger's (" + d->recorded_fingerprint + ")");
  if (!refused) return kExitOk;
  std::fprintf(stderr, "cairn: error: --strict: nothing was migrated (see `cairn drift`)\n");
  return JsonFail(kExitDrift, "--strict: the schema has drifted; nothing was migrated");
}

struct MigrateFlags {
  std::optional<std::string> to;
  bool allow_out_of_order = false;
  // Reviewed plans, pre-flight and backups (docs/plans.md, docs/backups.md).
  bool dry_run = false, json = false, yes = false;
  std::optional<std::string> plan_hash;
  std::string backup_dir;
  bool prepare = false;
  RunFlags run;
  bool strict = false;
  bool lint = false;
  BatchFlags batch;
};

CommandAction SetupMigrate(CLI::App* cmd) {
  auto f = std::make_shared<MigrateFlags>();
  cmd->add_option("--to", f->to, "apply up to and including this migration id");
  cmd->add_flag("--allow-out-of-order", f->allow_out_of_order,
                "apply pending files numbered below the current version");
  cmd->add_flag("--dry-run", f->dry_run, "print the plan (like `cairn plan`) and change nothing");
  cmd->add_flag("--json", f->json,
                "print one JSON document: what was applied and why the run stopped; with "
                "--dry-run, the plan (docs/json.md)");
  cmd->add_option("--plan-hash", f->plan_hash, "run only if the plan still has this hash");
  cmd->add_option("--backup", f->backup_dir, "back the target up into DIR before applying");
  cmd->add_flag("--yes", f->yes,
                "skip the confirmation prompt of a protected --env (production, prod, ...)");
  cmd->add_flag("--prepare", f->prepare,
                "PostgreSQL: apply in one transaction and PREPARE it; `cairn commit RUN` or "
                "`cairn abort RUN` ends it");
  f->run.Add(cmd);
  cmd->add_flag("--strict", f->strict,
                "refuse to run when the schema has drifted from the ledger, or when migrations "
                "the ledger shows as applied have no file in --dir");
  cmd->add_flag("--lint", f->lint,
                "lint the pending migrations first and refuse to run on an error-level finding "
                "(docs/lint.md)");
  f->batch.Add(cmd);
  return [f](CliContext& ctx) -> int {
    auto options = f->run.Options(ctx);
    if (!options) return kExitUsage;
    options->allow_out_of_order = f->allow_out_of_order;
    options->batch = f->batch.Prepare(ctx);
    options->prefetch_files = !f->plan_hash;  // NothingPending reads the folder first
    if (f->prepare && f->run.tx == v1::TRANSACTION_MODE_NONE)
      return Fail(
          InvalidArgumentError("--prepare needs one transaction: it cannot go with --tx none"));
    int rc;
    auto runner = ctx.OpenRunner(*options, &rc);
    if (!runner) return rc;
    runner::MigrateOptions migrate;
    migrate.to = f->to;
    migrate.refuse_missing_files = f->strict;
    // Drift is checked when the run will change the schema (reading the
    // whole catalog would make a no-op migrate grow with the schema), and
    // always with --strict.
    // The cheap nothing-pending answer is computed once and, when it holds,
    // is the answer (a reviewed plan hash is always checked the long way).
    std::optional<runner::RunReport> quick;
    if (!f->plan_hash) quick = runner->NothingPending(migrate);
    if (f->strict || !quick) {
      if (int drift = CheckDriftBeforeMigrate(*runner, f->strict); drift != kExitOk) return drift;
    }
    migrate.expected_plan_hash = f->plan_hash;
    migrate.backup_dir = f->backup_dir;
    migrate.environment = ctx.environment;
    if (f->lint && !quick)
      if (int lint = LintBeforeMigrate(ctx, *runner, migrate); lint != kExitOk) return lint;
    if (f->dry_run) {
      if (JsonDocument* doc = ActiveJson()) doc->Field("dry_run", true);
      return ShowPlan(*runner, migrate, f->json);
    }
    if (quick)  // nothing will run: no pre-flight, no backup, no lock
      return ReportRun(*runner, 0, *quick, /*up=*/true, f->to.has_value());
    if (ctx.settings.IsProtected(migrate.environment)) {
      const std::string why = ctx.settings.ProtectedWhy();
      if (int pre = ProductionPreflight(*runner, migrate, ctx.settings.protected_environments, why,
                                        f->yes);
          pre != kExitOk)
        return pre;
    }
    migrate.tx = f->prepare ? v1::TRANSACTION_MODE_ALL : f->run.tx;
    migrate.prepare = f->prepare;
    const int64_t head_before = HeadBefore(*runner);
    auto report = runner->Migrate(migrate);
    if (!report.ok()) return RunRefused(report.status());
    return ReportRun(*runner, head_before, *report, /*up=*/true, f->to.has_value());
  };
}

struct RollbackFlags {
  bool json = false;  // read through ActiveJson()
  int steps = 1;
  std::optional<std::string> to;
  RunFlags run;
  BatchFlags batch;
};

CommandAction SetupRollback(CLI::App* cmd) {
  auto f = std::make_shared<RollbackFlags>();
  auto* steps = cmd->add_option("--steps,-n", f->steps, "how many migrations to revert")
                    ->capture_default_str();
  cmd->add_option("--to", f->to, "revert everything applied after this id (0: all)")
      ->excludes(steps);
  f->run.Add(cmd);
  f->batch.Add(cmd);
  cmd->add_flag("--json", f->json,
                "print one JSON document: what was reverted and why the run stopped "
                "(docs/json.md)");
  return [f](CliContext& ctx) -> int {
    auto options = f->run.Options(ctx);
    if (!options) return kExitUsage;
    int rc;
    options->batch = f->batch.Prepare(ctx);
    auto runner = ctx.OpenRunner(*options, &rc);
    if (!runner) return rc;
    runner::RollbackOptions rollback;
    rollback.steps = f->steps;
    rollback.to = f->to;
    rollback.tx = f->run.tx;
    const int64_t head_before = HeadBefore(*runner);
    auto report = runner->Rollback(rollback);
    if (!report.ok()) return RunRefused(report.status());
    return ReportRun(*runner, head_before, *report, /*up=*/false, f->to.has_value());
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(migrate, "apply pending migrations", 10, SetupMigrate);
CAIRN_REGISTER_COMMAND(rollback, "revert applied migrations, newest first", 20, SetupRollback);

}  // namespace cairn::cli
