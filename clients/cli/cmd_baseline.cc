// cairn baseline: adopt a database that already has the schema up to an id.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/migration.h"
#include "cairn/runner/repair.h"
#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

struct BaselineFlags {
  std::string to;
  std::string reason;
  bool detect = false;
};

// --detect (StarPunk's fresh-database detection): applies the migrations one
// by one to a scratch database and baselines the longest prefix whose schema
// equals the live one; when none does, reports the closest and writes nothing.
StatusOr<std::string> DetectBaselineTarget(runner::Runner& runner, const std::string& dir) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<runner::Migration> files, runner::LoadMigrations(dir));
  CAIRN_ASSIGN_OR_RETURN(runner::ExistingSchemaReport r,
                         runner::DetectExistingSchema(runner.connection(), files));
  if (!r.has_tables)
    return FailedPreconditionError(
        "the database has no tables: nothing to baseline; run `cairn migrate`");
  if (r.matched && r.matched_count > 0) return r.matched_id;
  std::string m =
      "no prefix of the migrations in " + dir + " produces the live schema; nothing was recorded";
  if (!r.closest_id.empty())
    m += "\nclosest: the schema after " + r.closest_id + " (" +
         std::to_string(r.differences.size()) + " difference(s) from the live schema):";
  for (const std::string& d : r.differences) m += "\n  " + d;
  return FailedPreconditionError(m);
}

CommandAction SetupBaseline(CLI::App* cmd) {
  auto f = std::make_shared<BaselineFlags>();
  auto* to = cmd->add_option("--to", f->to, "the last migration id the database already has");
  auto* detect = cmd->add_flag("--detect", f->detect,
                               "find the migrations the existing schema already has, by "
                               "applying them to a scratch database, and baseline those");
  to->excludes(detect);
  cmd->add_option("--reason", f->reason, "why, recorded in the ledger");
  AddJsonFlag(cmd);
  return [f](CliContext& ctx) -> int {
    if (f->to.empty() && !f->detect)
      return Fail(InvalidArgumentError("baseline needs --to ID or --detect"));
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    runner::BaselineOptions options;
    options.to = f->to;
    options.reason = f->reason;
    if (f->detect) {
      auto target = DetectBaselineTarget(*runner, ctx.dir);
      if (!target.ok()) return Fail(target.status());
      options.to = *target;
      options.source = "cairn baseline --detect";
      if (options.reason.empty())
        options.reason = "the live schema matches migrations up to " + *target;
      f->to = *target;
    }
    auto report = runner::Baseline(*runner, options);
    if (!report.ok()) return Fail(report.status());
    if (JsonDocument* doc = ActiveJson()) {
      doc->Field("baselined", report->baselined);
      doc->Field("version_after", f->to);
      return kExitOk;
    }
    for (const auto& id : report->baselined) std::printf("baselined %s\n", id.c_str());
    std::printf("version (none) -> %s (baseline, %zu migration(s) recorded as applied)\n",
                f->to.c_str(), report->baselined.size());
    return kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(baseline,
                       "record that the database already has migrations up to --to (or "
                       "--detect them)",
                       60, SetupBaseline);

}  // namespace cairn::cli
