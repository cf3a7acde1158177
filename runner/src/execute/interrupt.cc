#include "execute/interrupt.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

namespace cairn::runner::internal {
namespace {

std::atomic<int> g_no_cancel{0};

}  // namespace

RunInterrupter::RunInterrupter(db::Connection& conn, bool enabled)
    : conn_(conn), signals_(enabled) {
  if (!enabled || pipe2(fds_, O_CLOEXEC) != 0) return;
  // PostgreSQL: the statement is cancelled from a session of our own
  // (pg_cancel_backend), which needs no state shared with the busy one.
  int64_t pid = 0;
  if (conn_.backend() == db::Backend::kPostgres) {
    auto rows = conn_.Query("SELECT pg_backend_pid()");
    if (rows.ok() && !rows->empty()) pid = (*rows)[0][0].AsInt();
    if (!rows.ok()) spdlog::debug("no backend pid: {}", rows.status().message());
  }
  SetStopWakeFd(fds_[1]);
  thread_ = std::thread([this, pid] {
    char c;
    while (read(fds_[0], &c, 1) < 0 && errno == EINTR) {
    }
    if (quit_ || !StopRequested() || g_no_cancel.load() != 0) return;
    spdlog::debug("stop requested: cancelling the running statement (backend {})", pid);
    if (pid == 0) {
      conn_.Interrupt();
      return;
    }
    auto other = db::Connection::Open(conn_.url());
    if (!other.ok()) {
      spdlog::warn("cannot cancel the running statement: {}", other.status().message());
      return;
    }
    // Again while the run goes on: a failed script may be replayed statement
    // by statement to find the failing one, which would start the cancelled
    // statement again. The ledger's own statements are left alone.
    for (int i = 0; i < 100 && !quit_; ++i) {
      auto done = (*other)->Query(
          "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = $1::int AND state = "
          "'active' AND query NOT LIKE '%cairn\\_ledger%'",
          {db::Value(pid)});
      if (!done.ok()) {
        spdlog::warn("cannot cancel the running statement: {}", done.status().message());
        return;
      }
      pollfd wake{fds_[0], POLLIN, 0};
      (void)poll(&wake, 1, 100);
    }
  });
}

RunInterrupter::~RunInterrupter() {
  if (!thread_.joinable()) return;
  SetStopWakeFd(-1);
  quit_ = true;
  const char c = 0;
  (void)!write(fds_[1], &c, 1);
  thread_.join();
  close(fds_[0]);
  close(fds_[1]);
}

NoStatementCancel::NoStatementCancel() { ++g_no_cancel; }
NoStatementCancel::~NoStatementCancel() { --g_no_cancel; }

const char* StopSignalName(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "a stop request";
}

}  // namespace cairn::runner::internal
