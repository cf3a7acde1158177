// cairn adopt: import another tool's tracking table (dbmate, golang-migrate,
// Flyway, diesel) into the ledger as baseline events (docs/formats.md).
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/formats.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

CommandAction SetupAdopt(CLI::App* cmd) {
  auto reason = std::make_shared<std::string>();
  cmd->add_option("--reason", *reason, "why, recorded with each imported migration");
  AddJsonFlag(cmd);
  return [reason](CliContext& ctx) -> int {
    // --format, or the layout the folder shows.
    runner::Format format = runner::ChosenFormat(ctx.dir);
    if (format == runner::Format::kAuto) {
      auto detected = runner::DetectFormat(ctx.dir);
      if (!detected.ok()) return Fail(detected.status());
      format = *detected;
    }
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    auto report = runner::Adopt(*runner, format, *reason);
    if (!report.ok()) return Fail(report.status());
    if (JsonDocument* doc = ActiveJson()) {
      doc->Field("source", report->source);
      doc->Field("adopted", report->baselined);
      doc->Field("skipped", report->skipped);
      doc->Field("changed_repeatables", report->changed_repeatables);
      return kExitOk;
    }
    for (const std::string& id : report->skipped)
      std::printf("already in the ledger %s\n", id.c_str());
    for (const std::string& id : report->baselined) std::printf("adopted %s\n", id.c_str());
    for (const std::string& id : report->changed_repeatables)
      std::printf("changed since %s ran it, migrate will run it again: %s\n",
                  report->source.c_str(), id.c_str());
    if (report->baselined.empty())
      std::printf("nothing to adopt from %s\n", report->source.c_str());
    else
      std::printf("adopted %zu migration(s) from %s\n", report->baselined.size(),
                  report->source.c_str());
    return kExitOk;
  };
}

CAIRN_REGISTER_COMMAND(adopt,
                       "import another tool's migration history (dbmate, golang-migrate, "
                       "flyway, diesel, sqlx, goose, atlas, liquibase) as baseline events",
                       64, SetupAdopt);

}  // namespace
}  // namespace cairn::cli
