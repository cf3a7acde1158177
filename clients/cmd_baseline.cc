// cairn baseline: adopt a database that already has the schema up to an id.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/repair.h"
#include "cli.h"

namespace cairn::cli {
namespace {

struct BaselineFlags {
  std::string to;
  std::string reason;
};

CommandAction SetupBaseline(CLI::App* cmd) {
  auto f = std::make_shared<BaselineFlags>();
  cmd->add_option("--to", f->to, "the last migration id the database already has")->required();
  cmd->add_option("--reason", f->reason, "why, recorded in the ledger");
  return [f](CliContext& ctx) -> int {
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    runner::BaselineOptions options;
    options.to = f->to;
    options.reason = f->reason;
    auto report = runner::Baseline(*runner, options);
    if (!report.ok()) return Fail(report.status());
    for (const auto& id : report->baselined) std::printf("baselined %s\n", id.c_str());
    std::printf("version (none) -> %s (baseline, %zu migration(s) recorded as applied)\n",
                f->to.c_str(), report->baselined.size());
    return runner::kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(baseline, "record that the database already has migrations up to --to", 60,
                       SetupBaseline);

}  // namespace cairn::cli
