// Internal: SIGINT/SIGTERM during a run (docs/transactions.md, "Interrupted
// runs"). While a RunInterrupter lives, the first signal requests a stop
// (batch_options.h) and cancels the statement running on the connection, so
// its transaction rolls back at once; the strategies then record
// RunFinished(INTERRUPTED).
#ifndef CAIRN_RUNNER_SRC_EXECUTE_INTERRUPT_H_
#define CAIRN_RUNNER_SRC_EXECUTE_INTERRUPT_H_

#include <atomic>
#include <thread>

#include "cairn/db/database.h"
#include "cairn/runner/batch_options.h"

namespace cairn::runner::internal {

// The write end of a pipe the signal handler writes a byte to (-1: none).
void SetStopWakeFd(int fd);

class RunInterrupter {
 public:
  RunInterrupter(db::Connection& conn, bool enabled);
  ~RunInterrupter();
  RunInterrupter(const RunInterrupter&) = delete;
  RunInterrupter& operator=(const RunInterrupter&) = delete;

 private:
  db::Connection& conn_;
  StopSignalScope signals_;
  int fds_[2] = {-1, -1};
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

// While alive, a stop does not cancel the running statement: batched steps
// stop after their current batch instead (docs/data-migrations.md).
class NoStatementCancel {
 public:
  NoStatementCancel();
  ~NoStatementCancel();
};

// "SIGINT", "SIGTERM", or "a stop request".
const char* StopSignalName(int sig);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_EXECUTE_INTERRUPT_H_
