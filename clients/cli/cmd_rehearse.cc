// cairn rehearse: pending migrations up, down, up on a copy of the target.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

// rehearse --json: what was rehearsed and each problem (docs/json.md).
int RehearseJson(JsonDocument& doc, const runner::RehearsalReport& r) {
  doc.Field("copy", r.copy);
  doc.Field("rehearsed", r.rehearsed);
  doc.BeginArray("problems");
  for (const auto& p : r.problems)
    doc.Element({{"migration_id", p.migration_id},
                 {"file", p.file},
                 {"kind", p.kind},
                 {"message", p.message},
                 {"differences", p.differences}});
  doc.End();
  if (r.ok()) return kExitOk;
  const auto& first = r.problems.front();
  return JsonFail(kExitRehearsalFailed,
                  "migration " + first.migration_id + ": " + first.kind + ": " + first.message);
}

CommandAction SetupRehearse(CLI::App* cmd) {
  AddJsonFlag(cmd);
  return [](CliContext& ctx) -> int {
    auto r = runner::Rehearse(ctx.database, ctx.RunnerOptionsFromGlobals());
    if (!r.ok()) return Fail(r.status());
    if (JsonDocument* doc = ActiveJson()) {
      for (const auto& p : r->problems)
        std::fprintf(stderr, "cairn: error: migration %s: %s: %s\n", p.migration_id.c_str(),
                     p.kind.c_str(), p.message.c_str());
      return RehearseJson(*doc, *r);
    }
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
