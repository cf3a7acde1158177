// cairn restore: put a backup taken by `migrate --backup` back.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/base/hash.h"
#include "cairn/runner/backup.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

struct RestoreFlags {
  std::string file;
  bool force = false;
};

CommandAction SetupRestore(CLI::App* cmd) {
  auto f = std::make_shared<RestoreFlags>();
  cmd->add_option("file", f->file, "the backup file")->required();
  cmd->add_flag("--force", f->force,
                "restore even though the ledger has history newer than the backup's run");
  AddJsonFlag(cmd);
  return [f](CliContext& ctx) -> int {
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    runner::RestoreOptions options;
    options.file = f->file;
    options.force = f->force;
    auto report = runner::Restore(*runner, options);
    if (!report.ok()) return Fail(report.status());
    if (JsonDocument* doc = ActiveJson()) {
      doc->Field("stream", runner->stream());
      doc->Field("backup", {{"path", report->backup.path}, {"sha256", report->backup.sha256}});
      doc->Field("previous_head", {{"position", report->previous_head.position},
                                   {"hash", cairn::ledger::ToHex(report->previous_head.hash)}});
      return kExitOk;
    }
    std::printf("restored %s from %s (sha256 %s)\n", runner->stream().c_str(),
                report->backup.path.c_str(), report->backup.sha256.c_str());
    std::printf("ledger head before the restore: position %lld hash %s\n",
                static_cast<long long>(report->previous_head.position),
                cairn::ledger::ToHex(report->previous_head.hash).c_str());
    return kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(restore, "restore the target from a backup file", 70, SetupRestore);

}  // namespace cairn::cli
