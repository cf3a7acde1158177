// The throttling flags shared by `migrate` and `rollback`
// (docs/data-migrations.md, "Throttling and progress").
#ifndef CAIRN_CLIENTS_BATCH_FLAGS_H_
#define CAIRN_CLIENTS_BATCH_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "cairn/runner/batch_options.h"
#include "cairn/runner/runner.h"
#include "cli.h"

namespace cairn::cli {

struct BatchFlags {
  runner::BatchOptions options;
  std::string progress = "auto";

  // Adds --batch-size, --pause-ms, --target-batch-ms and --progress to `cmd`.
  void Add(CLI::App* cmd);
  // The options for a run (-q turns progress off), and SIGINT/SIGTERM set to
  // stop after the current batch.
  runner::BatchOptions Prepare(const CliContext& ctx) const;
};

// The exit code of a run that returned a report.
int ExitForRun(const runner::RunReport& report);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_BATCH_FLAGS_H_
