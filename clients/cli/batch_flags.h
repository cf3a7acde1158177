// The throttling flags shared by `migrate` and `rollback`
// (docs/data-migrations.md, "Throttling and progress").
#ifndef CAIRN_CLIENTS_CLI_BATCH_FLAGS_H_
#define CAIRN_CLIENTS_CLI_BATCH_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "cairn/runner/batch_options.h"
#include "cairn/runner/runner.h"
#include "cli/cli.h"

namespace cairn::cli {

// Without --batch-size and --target-batch-ms the size adapts towards
// kDefaultTargetBatchMs; --batch-size alone fixes it.
constexpr int64_t kDefaultTargetBatchMs = 50;

struct BatchFlags {
  runner::BatchOptions options;
  int64_t target_batch_ms = -1;  // -1: not given
  std::string progress = "auto";

  // Adds --batch-size, --pause-ms, --target-batch-ms and --progress to `cmd`.
  void Add(CLI::App* cmd);
  // The options for a run (-q turns progress off); SIGINT/SIGTERM stop a
  // batched step after its current batch.
  runner::BatchOptions Prepare(const CliContext& ctx) const;
};

// The exit code of a run that returned a report.
int ExitForRun(const runner::RunReport& report);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_BATCH_FLAGS_H_
