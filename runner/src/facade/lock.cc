#include "cairn/runner/lock.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cairn/base/hash.h"

namespace cairn::runner {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kRunnerLockClass = 1668445550;  // "crun"

// The stream's 32-bit key: the first four bytes of SHA-256(stream), as the
// ledger's stream lock derives its own (in a different key space).
int64_t StreamKey(std::string_view stream) {
  const std::string d = ledger::Sha256(stream);
  uint32_t k = 0;
  for (int i = 0; i < 4; ++i) k = (k << 8) | static_cast<uint8_t>(d[i]);
  return static_cast<int32_t>(k);
}

// Polls `try_once` until it succeeds or `timeout` passes, sleeping 10 ms,
// doubling to at most 500 ms, with jitter so that waiters do not poll in step.
// `describe_holder` is called on failed tries until it names the holder
// (at most three times). Time, sleeps and jitter come from `env`.
StatusOr<milliseconds> PollWithBackoff(Env& env, const std::function<StatusOr<bool>()>& try_once,
                                       const std::function<std::string()>& describe_holder,
                                       milliseconds timeout, std::string* holder) {
  const auto start = env.NowMonotonic();
  milliseconds delay(10);
  bool announced = false;
  for (int attempt = 0;; ++attempt) {
    CAIRN_ASSIGN_OR_RETURN(bool got, try_once());
    const auto waited = std::chrono::duration_cast<milliseconds>(env.NowMonotonic() - start);
    if (got) return waited;
    // The holder writes its description just after it takes the lock, so a
    // waiter that polls in between reads nothing: it asks again on its next
    // tries and says whom it waits for once it knows (or after three).
    if (!announced) {
      *holder = describe_holder();
      if (!holder->empty() || attempt >= 2) {
        if (holder->empty()) *holder = "another runner";
        spdlog::info("waiting for {} (up to {} ms)", *holder, timeout.count());
        announced = true;
      }
    }
    if (waited >= timeout) {
      if (holder->empty()) *holder = "another runner";
      return DeadlineExceededError("gave up waiting for the runner lock after " +
                                   std::to_string(waited.count()) + " ms (--lock-timeout " +
                                   std::to_string(timeout.count()) + "ms): held by " + *holder);
    }
    milliseconds sleep = std::min(delay, timeout - waited);
    uint32_t jitter = 0;
    env.FillRandom(&jitter, sizeof jitter);
    sleep =
        milliseconds(sleep.count() / 2 + static_cast<int64_t>(jitter % (sleep.count() / 2 + 1)));
    // At least 1 ms: never a spin (and a clock that moves only by sleeps
    // still reaches the deadline).
    env.SleepFor(std::max(sleep, milliseconds(1)));
    delay = std::min(delay * 2, milliseconds(500));
  }
}

class PostgresRunnerLock final : public RunnerLock {
 public:
  PostgresRunnerLock(db::Connection& conn, int64_t key, Env& env)
      : conn_(conn), key_(key), env_(env) {}
  ~PostgresRunnerLock() override { (void)Release(); }

  Status Lock(milliseconds timeout) {
    // Waiters read this from pg_stat_activity to say whom they wait for. It
    // is set before the lock is tried, so that a waiter never sees the
    // holder between taking the lock and naming itself (only the session
    // holding the lock is ever reported).
    std::string name = "cairn " + ThisRunnerDescription();
    if (name.size() > 63) name.resize(63);
    CAIRN_RETURN_IF_ERROR(
        conn_.Execute("SELECT set_config('application_name', $1, false)", {name}).status());
    auto waited = PollWithBackoff(
        env_,
        [&]() -> StatusOr<bool> {
          CAIRN_ASSIGN_OR_RETURN(auto rows,
                                 conn_.Query("SELECT pg_try_advisory_lock($1::int4, $2::int4)",
                                             {kRunnerLockClass, key_}));
          return !rows.empty() && rows[0][0].AsInt() != 0;
        },
        [&]() { return Holder(); }, timeout, &holder_);
    if (!waited.ok()) {
      (void)conn_.Execute("SELECT set_config('application_name', 'cairn', false)");
      return waited.status();
    }
    waited_ = *waited;
    held_ = true;
    return Status::Ok();
  }

  Status Release() override {
    if (!held_) return Status::Ok();
    held_ = false;
    (void)conn_.Execute("SELECT set_config('application_name', 'cairn', false)");
    return conn_.Execute("SELECT pg_advisory_unlock($1::int4, $2::int4)", {kRunnerLockClass, key_})
        .status();
  }

 private:
  // The application name (and server pid) of the session holding the lock.
  std::string Holder() {
    auto rows = conn_.Query(
        "SELECT a.application_name, a.pid, coalesce(host(a.client_addr), 'local') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.classid = ($1::int4)::oid AND l.objid = ($2::int4)::oid AND l.objsubid = 2",
        {kRunnerLockClass, key_});
    if (!rows.ok() || rows->empty()) return "";
    const db::Row& r = (*rows)[0];
    std::string app = r[0].AsText();
    if (app.rfind("cairn ", 0) == 0) app.erase(0, 6);
    return app + " (server pid " + r[1].AsText() + ", client " + r[2].AsText() + ")";
  }

  db::Connection& conn_;
  int64_t key_;
  Env& env_;
  bool held_ = false;
};

class FileRunnerLock final : public RunnerLock {
 public:
  FileRunnerLock(std::string path, Env& env) : path_(std::move(path)), env_(env) {}
  ~FileRunnerLock() override { (void)Release(); }

  Status Lock(milliseconds timeout) {
    auto waited = PollWithBackoff(
        env_,
        [&]() -> StatusOr<bool> {
          CAIRN_ASSIGN_OR_RETURN(lock_, env_.TryLockFile(path_));
          if (lock_ != nullptr) return true;
          // A waiter keeps the file open (to read the holder's description;
          // and a waiting runner is seen in /proc as one with the file open).
          if (reader_ == nullptr) {
            auto opened = env_.NewRandomAccessFile(path_);
            if (opened.ok()) reader_ = std::move(*opened);
          }
          return false;
        },
        [&]() { return Holder(); }, timeout, &holder_);
    reader_.reset();
    if (!waited.ok()) return waited.status();
    waited_ = *waited;
    if (Status s = lock_->SetContents(ThisRunnerDescription() + "\n"); !s.ok()) {
      // Only the description for waiters is lost; the lock itself holds.
      spdlog::debug("{}", s.message());
    }
    return Status::Ok();
  }

  Status Release() override {
    lock_.reset();  // empties the file and releases the flock
    return Status::Ok();
  }

 private:
  std::string Holder() const {
    if (reader_ == nullptr) return "";
    char buf[256];
    auto n = reader_->Read(0, sizeof buf, buf);
    if (!n.ok()) return "";
    std::string s(buf, *n);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
    return s;
  }

  std::string path_;
  Env& env_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<RandomAccessFile> reader_;  // while waiting
};

class NoLock final : public RunnerLock {
 public:
  Status Release() override { return Status::Ok(); }
};

}  // namespace

std::string ThisRunnerDescription() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown");
  return "runner pid " + std::to_string(::getpid()) + " on host " + host;
}

StatusOr<std::unique_ptr<RunnerLock>> RunnerLock::Acquire(db::Connection& conn,
                                                          std::string_view stream,
                                                          milliseconds timeout, Env& env) {
  if (conn.in_transaction())
    return FailedPreconditionError("the runner lock must be taken outside a transaction");
  if (conn.backend() == db::Backend::kPostgres) {
    auto lock = std::make_unique<PostgresRunnerLock>(conn, StreamKey(stream), env);
    CAIRN_RETURN_IF_ERROR(lock->Lock(timeout));
    return std::unique_ptr<RunnerLock>(std::move(lock));
  }
  const std::string& path = conn.url().sqlite_path;
  if (path.empty() || path == ":memory:") return std::unique_ptr<RunnerLock>(new NoLock());
  auto lock = std::make_unique<FileRunnerLock>(path + "-cairn.lock", env);
  CAIRN_RETURN_IF_ERROR(lock->Lock(timeout));
  return std::unique_ptr<RunnerLock>(std::move(lock));
}

}  // namespace cairn::runner
