// Helpers for the Ledger service tests: a `cairn serve` child process on a
// free loopback port, tokens, migration files, and a subscriber that records
// what it receives on a background thread.
#ifndef CAIRN_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
#define CAIRN_TESTS_SERVICE_SERVICE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clients/client/ledger_client.h"
#include "tests/support/test_support.h"

namespace cairn::testing {

inline constexpr const char* kReaderToken = "reader-token-0123456789";
inline constexpr const char* kWriterToken = "writer-token-0123456789";
inline constexpr const char* kExporterToken = "exporter-token-0123456789";
inline constexpr const char* kAllToken = "all-roles-token-0123456789";

// Writes a token file with one token per role (and one with all three).
inline std::string WriteTokens(const TempDir& dir) {
  std::string path = dir.File("tokens.txt");
  WriteFile(path, std::string("# test tokens\n") + "rita reader " + kReaderToken + "\n" +
                      "wanda writer " + kWriterToken + "\n" + "ed exporter " + kExporterToken +
                      "\n" + "alice reader,writer,exporter " + kAllToken + "\n");
  return path;
}

// Writes migrations 0001..000n, each creating table tN, into `dir`.
inline void WriteMigrations(const std::string& dir, int n) {
  for (int i = 1; i <= n; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "/%04d_table_%d.sql", i, i);
    WriteFile(dir + name, "-- cairn:up\nCREATE TABLE t" + std::to_string(i) +
                              " (id INTEGER PRIMARY KEY);\n-- cairn:down\nDROP TABLE t" +
                              std::to_string(i) + ";\n");
  }
}

// Fills `tdb` with two streams of real runs, as the readers' tests compare
// them: "campus" from `dir` (migrations 0001..000n applied, the last two
// rolled back, then a failing 000(n+1)_bad.sql, left in `dir`; its path is
// returned) and "other" from `other` (one migration); and writes a signing
// key pair `dir`/key, key.pub. Use with ASSERT_NO_FATAL_FAILURE.
inline void WriteTwoStreamLedger(const TestDatabase& tdb, const TempDir& dir, const TempDir& other,
                                 int n, std::string* bad_file) {
  auto campus = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--stream", "campus"});
    return RunCairn(tdb.url(), dir.path(), args);
  };
  WriteMigrations(dir.path(), n);
  ASSERT_EQ(campus({"migrate"}).exit_code, 0);
  ASSERT_EQ(campus({"rollback", "--steps", "2"}).exit_code, 0);
  char name[64];
  std::snprintf(name, sizeof name, "%04d_bad.sql", n + 1);
  *bad_file = dir.File(name);
  WriteFile(*bad_file, "-- cairn:up\nCREATE TABLE nope (;\n");
  ASSERT_EQ(campus({"migrate"}).exit_code, 1);
  WriteFile(other.File("0001_other.sql"), "-- cairn:up\nCREATE TABLE other_t (id INTEGER);\n");
  ASSERT_EQ(
      RunCairn(tdb.url(), other.path(), {"--stream", "other", "--new-stream", "migrate"}).exit_code,
      0);
  ProcessResult k = RunProcess({CairnBinary(), "keygen", "--out", dir.File("key")});
  ASSERT_EQ(k.exit_code, 0) << k.err;
}

// A `cairn serve` process. Start() waits until it accepts calls.
class ServerProcess {
 public:
  // `args` after `cairn serve` (targets, tokens, TLS).
  explicit ServerProcess(std::vector<std::string> args) : args_(std::move(args)) {}

  // Starts on `port` (0: a free one) and waits for the ready file.
  bool Start(int port = 0) {
    ready_ = dir_.File("ready." + std::to_string(++starts_));
    std::vector<std::string> argv = {CairnBinary(),  "serve",
                                     "--listen",     "127.0.0.1:" + std::to_string(port),
                                     "--ready-file", ready_};
    argv.insert(argv.end(), args_.begin(), args_.end());
    child_ = std::make_unique<Child>(argv);
    bool ok = WaitFor([&] { return ::access(ready_.c_str(), F_OK) == 0; }, 30000);
    if (!ok) {
      child_->Kill(SIGKILL);
      ProcessResult r = child_->Wait();
      ADD_FAILURE() << "cairn serve did not start: " << r.err;
      return false;
    }
    port_ = std::stoi(ReadFileOrDie(ready_));
    return true;
  }
  void Kill(int sig = SIGKILL) {
    if (!child_) return;
    child_->Kill(sig);
    last_ = child_->Wait();
    child_.reset();
  }
  bool Alive() const { return child_ && ::kill(child_->pid(), 0) == 0; }
  // Sends `sig` without waiting (SIGSTOP, SIGCONT).
  void Signal(int sig) {
    if (child_) ::kill(child_->pid(), sig);
  }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const ProcessResult& last_result() const { return last_; }

  std::unique_ptr<client::LedgerClient> Client(const std::string& token,
                                               client::ClientOptions o = {}) const {
    o.address = address();
    o.token = token;
    auto c = client::LedgerClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

 private:
  std::vector<std::string> args_;
  TempDir dir_;
  std::string ready_;
  int starts_ = 0;
  int port_ = 0;
  std::unique_ptr<Child> child_;
  ProcessResult last_;
};

// A subscription running on its own thread, recording every record.
class Collector {
 public:
  Collector(std::unique_ptr<client::LedgerClient> client, client::SubscribeParams params,
            int delay_us_per_record = 0)
      : client_(std::move(client)), delay_us_(delay_us_per_record) {
    if (params.stats == nullptr) params.stats = &stats_;
    thread_ = std::thread([this, params] {
      client::SubscribeHandlers h;
      h.on_record = [this](const v1::LedgerRecord& r) {
        if (delay_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us_));
        std::unique_lock<std::mutex> lock(mu_);
        released_.wait(lock, [this] { return !held_; });
        records_.push_back(r);
        return true;
      };
      h.on_caught_up = [this](const v1::CaughtUp&) {
        caught_up_ = true;
        return true;
      };
      h.on_checkpoint = [this](const v1::Checkpoint&) {
        ++checkpoints_;
        return true;
      };
      result_ = client_->Subscribe(params, h);
      done_ = true;
    });
  }
  ~Collector() { Stop(); }
  // Hold: the handler blocks before storing the next record, as a consumer
  // that stopped reading; Release lets it go on.
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    released_.notify_all();
  }
  void Stop() {
    Release();
    if (thread_.joinable()) {
      client_->Cancel();
      thread_.join();
    }
  }
  std::vector<v1::LedgerRecord> records() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_.size();
  }
  bool caught_up() const { return caught_up_; }
  int checkpoints() const { return checkpoints_; }
  // Calls started (1 + reconnections), when the params named no stats of their own.
  int64_t connections() const { return stats_.connections.load(); }
  bool done() const { return done_; }
  const Status& result() const { return result_; }

 private:
  std::unique_ptr<client::LedgerClient> client_;
  int delay_us_;
  std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;  // guarded by mu_
  std::vector<v1::LedgerRecord> records_;
  std::atomic<bool> caught_up_{false}, done_{false};
  std::atomic<int> checkpoints_{0};
  client::SubscribeStats stats_;
  Status result_;
  std::thread thread_;
};

// Positions 1..n exactly once, in order, for one stream.
inline void ExpectContiguous(const std::vector<v1::LedgerRecord>& records, int64_t n) {
  ASSERT_EQ(static_cast<int64_t>(records.size()), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(records[i].position(), i + 1) << "at index " << i;
}

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
