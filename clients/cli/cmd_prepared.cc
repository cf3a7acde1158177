// cairn commit RUN, cairn abort RUN: end a run prepared by `migrate --prepare`.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

CommandSetup SetupEnd(bool commit) {
  return [commit](CLI::App* cmd) -> CommandAction {
    auto run_id = std::make_shared<std::string>();
    cmd->add_option("run", *run_id, "the run id printed by `migrate --prepare`")->required();
    AddJsonFlag(cmd);
    return [run_id, commit](CliContext& ctx) -> int {
      int rc;
      auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
      if (!runner) return rc;
      auto report = commit ? runner->CommitPrepared(*run_id) : runner->AbortPrepared(*run_id);
      if (!report.ok()) return Fail(report.status());
      if (JsonDocument* doc = ActiveJson()) {
        doc->Field("run_id", *run_id);
        doc->Field(commit ? "committed" : "aborted",
                   commit ? report->applied : std::vector<std::string>());
        doc->Field("version_before", report->version_before);
        doc->Field("version_after", report->version_after);
        return kExitOk;
      }
      if (commit) {
        for (const auto& id : report->applied) std::printf("committed %s\n", id.c_str());
        std::printf("version %s -> %s (run %s)\n",
                    report->version_before.empty() ? "(none)" : report->version_before.c_str(),
                    report->version_after.empty() ? "(none)" : report->version_after.c_str(),
                    run_id->c_str());
      } else {
        std::printf("aborted run %s: nothing of it was applied; version is %s\n", run_id->c_str(),
                    report->version_after.empty() ? "(none)" : report->version_after.c_str());
      }
      return kExitOk;
    };
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(commit, "commit a run prepared by `migrate --prepare` (PostgreSQL)", 25,
                       SetupEnd(true));
CAIRN_REGISTER_COMMAND(abort, "abort a run prepared by `migrate --prepare` (PostgreSQL)", 26,
                       SetupEnd(false));

}  // namespace cairn::cli
