// cairn accept-checksum: accept a changed file of an applied migration, as a
// new ledger event (history is never edited).
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/repair.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

struct AcceptFlags {
  std::string id;
  std::string reason;
};

CommandAction SetupAcceptChecksum(CLI::App* cmd) {
  auto f = std::make_shared<AcceptFlags>();
  cmd->add_option("id", f->id, "the applied migration whose file changed")->required();
  cmd->add_option("--reason", f->reason, "why the change is acceptable (recorded)")->required();
  AddJsonFlag(cmd);
  return [f](CliContext& ctx) -> int {
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    auto report = runner::AcceptChecksum(*runner, f->id, f->reason);
    if (!report.ok()) return Fail(report.status());
    if (JsonDocument* doc = ActiveJson()) {
      doc->Field("migration_id", f->id);
      doc->Field("accepted", report->appended);
      doc->Field("old_checksum", report->old_checksum);
      doc->Field("new_checksum", report->new_checksum);
      return kExitOk;
    }
    if (!report->appended)
      std::printf("nothing to accept: %s already matches its applied checksum %s\n", f->id.c_str(),
                  report->old_checksum.c_str());
    else
      std::printf("accepted %s: %s -> %s\n", f->id.c_str(), report->old_checksum.c_str(),
                  report->new_checksum.c_str());
    return kExitOk;
  };
}

// "accept-checksum" is not an identifier, so register without the macro.
[[maybe_unused]] const bool kRegistered = RegisterCommand(
    {"accept-checksum", "accept the changed file of an applied migration (recorded, with a reason)",
     65, SetupAcceptChecksum});

}  // namespace
}  // namespace cairn::cli
