// Throttling and progress for batched data migrations, and the stop request
// that SIGINT/SIGTERM turn into a clean stop after the current batch
// (docs/data-migrations.md, "Throttling and progress" and "Stopping").
#ifndef CAIRN_RUNNER_BATCH_OPTIONS_H_
#define CAIRN_RUNNER_BATCH_OPTIONS_H_

#include <signal.h>

#include <cstdint>

namespace cairn::runner {

enum class ProgressMode { kAuto, kBar, kLog, kOff };

struct BatchOptions {
  int64_t batch_size = 0;       // 0: the directive's size= (C++ loops: 1000)
  int64_t pause_ms = 0;         // sleep between batches, outside any transaction
  int64_t target_batch_ms = 0;  // 0: fixed size; otherwise adapt (see AdaptBatchSize).
                                // The CLI defaults it to 50 unless --batch-size is given.
  ProgressMode progress = ProgressMode::kAuto;
  // While a run executes, the first SIGINT or SIGTERM stops it
  // (StopSignalScope): a batched step after the current batch, an ordinary
  // migration by cancelling its statement and rolling back its transaction
  // (docs/transactions.md, "Interrupted runs"). Otherwise the signals keep
  // their usual effect.
  bool stop_on_signals = false;
};

// The next batch size after a batch of `size` rows whose transaction took
// `took_ms`, aiming at `target_ms`: clamp(round(size * target / max(took, 1)),
// size / 2, size * 2), at least 1 and at most 1,000,000. With target_ms <= 0,
// `size` unchanged.
int64_t AdaptBatchSize(int64_t size, double took_ms, int64_t target_ms);

// While alive (and `enabled`), the first SIGINT or SIGTERM requests a stop
// (the runner finishes the current batch, records RunFinished(INTERRUPTED)
// and returns); the handler is then reset, so a second signal ends the
// process at once. The previous handlers come back on destruction.
class StopSignalScope {
 public:
  explicit StopSignalScope(bool enabled);
  ~StopSignalScope();
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;

 private:
  bool enabled_;
  struct sigaction old_int_ {
  }, old_term_{};
};
// Async-signal-safe: what the handler calls.
void RequestStop();  // as if by SIGINT
bool StopRequested();
// The signal that requested the stop (SIGINT, SIGTERM), 0 when none did.
int StopSignal();
void ClearStopRequest();

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_BATCH_OPTIONS_H_
