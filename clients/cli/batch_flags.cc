#include "cli/batch_flags.h"

#include <csignal>
#include <cstdio>

namespace cairn::cli {

void BatchFlags::Add(CLI::App* cmd) {
  cmd->add_option("--batch-size", options.batch_size,
                  "rows per batch of batched data migrations (default: the directive's size=)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cmd->add_option("--pause-ms", options.pause_ms, "pause between batches, in milliseconds")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}));
  cmd->add_option("--target-batch-ms", target_batch_ms,
                  "adapt the batch size so each batch transaction takes about this long "
                  "(default 50 unless --batch-size is given; 0: fixed size)")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}));
  cmd->add_option("--progress", progress, "progress output: auto, bar, log or off")
      ->check(CLI::IsMember({"auto", "bar", "log", "off"}))
      ->capture_default_str();
}

runner::BatchOptions BatchFlags::Prepare(const CliContext& ctx) const {
  runner::BatchOptions o = options;
  o.target_batch_ms = target_batch_ms >= 0     ? target_batch_ms
                      : options.batch_size > 0 ? 0
                                               : kDefaultTargetBatchMs;
  o.progress = progress == "bar"   ? runner::ProgressMode::kBar
               : progress == "log" ? runner::ProgressMode::kLog
               : progress == "off" ? runner::ProgressMode::kOff
                                   : runner::ProgressMode::kAuto;
  if (ctx.quiet) o.progress = runner::ProgressMode::kOff;
  o.stop_on_signals = true;
  return o;
}

int ExitForRun(const runner::RunReport& report) {
  switch (report.outcome) {
    case v1::RUN_OUTCOME_FAILED:
      return kExitMigrationFailed;
    case v1::RUN_OUTCOME_INTERRUPTED:
      if (report.stop_signal != 0) {  // an ordinary migration: 128 + the signal, as shells do
        std::fprintf(stderr, "cairn: interrupted by %s: %s\n",
                     report.stop_signal == SIGTERM ? "SIGTERM" : "SIGINT",
                     report.interruption.c_str());
        return 128 + report.stop_signal;
      }
      std::fprintf(stderr,
                   "cairn: interrupted after a committed batch; run the command again to "
                   "resume\n");
      return kExitInterrupted;
    default:
      return kExitOk;
  }
}

}  // namespace cairn::cli
