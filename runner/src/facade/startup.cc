#include "cairn/runner/startup.h"

#include <spdlog/spdlog.h>

namespace cairn::runner {

Status MigrateOnStartup(const std::string& database_url, const StartupOptions& options) {
  RunnerOptions ro;
  ro.dir = options.dir;
  ro.stream = options.stream;
  ro.lock_timeout = options.lock_timeout;
  ro.command_line = options.application;
  CAIRN_ASSIGN_OR_RETURN(auto runner, Runner::Open(database_url, ro));
  MigrateOptions mo;
  mo.tx = options.tx;
  mo.environment = options.environment;
  mo.drift = options.drift;
  if (NeedsPreflight(options.environment)) {
    PreflightPolicy preflight;
    preflight.environment = options.environment;
    preflight.confirmed = options.confirmed;
    preflight.unattended =
        "an application starting cannot ask; review the plan (`cairn plan`) and set "
        "StartupOptions::confirmed";
    mo.preflight = std::move(preflight);
  }
  CAIRN_ASSIGN_OR_RETURN(RunReport report, runner->Migrate(mo));
  if (options.report != nullptr) *options.report = report;
  if (report.outcome == v1::RUN_OUTCOME_FAILED) {
    const Failure& f = *report.failure;
    return FailedPreconditionError(f.file + ":" + std::to_string(f.line) + ": migration " +
                                   f.migration_id + " failed: " + f.message +
                                   " (recorded in the ledger, run " + report.run_id + ")");
  }
  spdlog::info("schema of {} is at version {}", runner->stream(),
               report.version_after.empty() ? "(none)" : report.version_after);
  return Status::Ok();
}

}  // namespace cairn::runner
