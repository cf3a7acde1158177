// RunnerLock: one runner at a time per target, across processes and machines.
//
//   CAIRN_ASSIGN_OR_RETURN(auto lock, RunnerLock::Acquire(conn, "campus", 60s));
//   ... plan and apply; the lock is released when `lock` is destroyed ...
//
// PostgreSQL: a session-level advisory lock, pg_advisory_lock(1668445550,
// key(stream)), on the runner's own connection; the server releases it when
// that connection ends for any reason (exit, crash, SIGKILL, network loss).
// Its key space (1668445550, "crun") is distinct from the ledger's per-append
// transaction lock (1667328370). Waiting polls pg_try_advisory_lock in
// autocommit, so a waiter holds no transaction or snapshot: a holder running
// CREATE INDEX CONCURRENTLY is never blocked by waiters.
//
// SQLite: flock(2) on the side file `<database>-cairn.lock`; the kernel
// releases it when the process dies. The file is never deleted (deleting a
// flock'ed file lets two processes lock two different files). Each Acquire
// opens the file anew, so threads of one process exclude each other too.
// In-memory databases take no lock.
//
// Thread safety: a RunnerLock is used by one thread, like its Connection,
// which must outlive it.
#ifndef CAIRN_RUNNER_LOCK_H_
#define CAIRN_RUNNER_LOCK_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/base/env.h"
#include "cairn/base/status.h"
#include "cairn/db/database.h"

namespace cairn::runner {

class RunnerLock {
 public:
  // Takes the lock for `stream` on `conn`'s target, waiting with backoff up
  // to `timeout` (0: one try). While waiting it logs (info) who holds the
  // lock, when it can tell ("waiting for runner pid N on host H").
  // Errors: kDeadlineExceeded when the timeout passed (the message names the
  // holder, if known); kFailedPrecondition when called inside a transaction;
  // kUnavailable when the connection or the lock file fails.
  // The lock file, the clock, sleeps and jitter go through `env`
  // (cairn/base/env.h).
  static StatusOr<std::unique_ptr<RunnerLock>> Acquire(db::Connection& conn,
                                                       std::string_view stream,
                                                       std::chrono::milliseconds timeout,
                                                       Env& env = *Env::Default());
  virtual ~RunnerLock() = default;
  RunnerLock(const RunnerLock&) = delete;
  RunnerLock& operator=(const RunnerLock&) = delete;

  // How long Acquire waited, and who held the lock when it first looked
  // ("another runner" when it could not tell; empty exactly when it got the
  // lock at the first try).
  std::chrono::milliseconds waited() const { return waited_; }
  const std::string& holder() const { return holder_; }

  // Releases the lock now (the destructor does it otherwise).
  virtual Status Release() = 0;

 protected:
  RunnerLock() = default;
  std::chrono::milliseconds waited_{0};
  std::string holder_;
};

// "runner pid N on host H": how this process describes itself to waiters.
std::string ThisRunnerDescription();

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_LOCK_H_
