// cairn rehearse: pending migrations up, down, up on a copy of the target.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"

namespace cairn::cli {
namespace {

CommandAction SetupRehearse(CLI::App* cmd) {
  return [](CliContext& ctx) -> int {
    auto r = runner::Rehearse(ctx.database, ctx.RunnerOptionsFromGlobals());
    if (!r.ok()) return Fail(r.status());
    if (r->rehearsed.empty() && r->problems.empty()) {
      std::printf("nothing to rehearse: no pending migrations\n");
      return kExitOk;
    }
    std::printf("rehearsed on %s\n", r->copy.c_str());
    for (const std::string& id : r->rehearsed) std::printf("ok      %s up, down, up\n", id.c_str());
    for (const auto& p : r->problems) {
      std::fprintf(stderr, "cairn: error: migration %s: %s: %s\n", p.migration_id.c_str(),
                   p.kind.c_str(), p.message.c_str());
      for (const std::string& d : p.differences) std::fprintf(stderr, "  %s\n", d.c_str());
    }
    return r->ok() ? kExitOk : kExitRehearsalFailed;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(rehearse, "run pending migrations up, down, up on a copy of the target", 46,
                       SetupRehearse);

}  // namespace cairn::cli
