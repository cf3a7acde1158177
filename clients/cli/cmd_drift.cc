// cairn drift: the live schema against the ledger's last fingerprint.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

// drift --json: the comparison as fields (docs/json.md).
int DriftJson(JsonDocument& doc, const runner::DriftReport& d, const std::string& stream) {
  doc.Field("stream", stream);
  doc.Field("state", d.unknown     ? "unknown"
                     : !d.recorded ? "not_recorded"
                     : d.drifted   ? "drifted"
                                   : "no_drift");
  doc.Field("live_fingerprint", d.live_fingerprint);
  doc.Field("recorded_fingerprint", d.recorded_fingerprint);
  doc.Field("recorded_position", d.recorded_position);
  doc.Field("listed", d.listed);
  doc.Field("differences", d.differences);
  if (!d.unknown && d.recorded && d.drifted)
    return JsonFail(kExitDrift, "the live schema (" + d.live_fingerprint +
                                    ") differs from the ledger's (" + d.recorded_fingerprint + ")");
  return kExitOk;
}

CommandAction SetupDrift(CLI::App* cmd) {
  AddJsonFlag(cmd);
  return [](CliContext& ctx) -> int {
    int rc;
    auto runner = ctx.OpenRunner(ctx.ReadOnlyRunnerOptions(), &rc);
    if (!runner) return rc;
    auto d = runner::CheckDrift(*runner);
    if (!d.ok()) return Fail(d.status());
    if (JsonDocument* doc = ActiveJson()) return DriftJson(*doc, *d, runner->stream());
    if (d->unknown) {
      std::printf(
          "the ledger's last run did not finish: the recorded schema is unknown until the next "
          "run (live %s)\n",
          d->live_fingerprint.c_str());
      return kExitOk;
    }
    if (!d->recorded) {
      std::printf("no schema fingerprint recorded yet: nothing to compare (live %s)\n",
                  d->live_fingerprint.c_str());
      return kExitOk;
    }
    if (!d->drifted) {
      std::printf("no drift: the live schema matches the ledger (%s, position %lld)\n",
                  d->live_fingerprint.c_str(), static_cast<long long>(d->recorded_position));
      return kExitOk;
    }
    std::printf("drift: the live schema (%s) differs from the ledger's (%s, position %lld)\n",
                d->live_fingerprint.c_str(), d->recorded_fingerprint.c_str(),
                static_cast<long long>(d->recorded_position));
    if (!d->listed)
      std::printf("(the ledger has no snapshot of that schema: differences cannot be listed)\n");
    for (const std::string& line : d->differences) std::printf("  %s\n", line.c_str());
    return kExitDrift;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(drift, "compare the live schema with the ledger's last fingerprint", 45,
                       SetupDrift);

}  // namespace cairn::cli
