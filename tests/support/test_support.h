// Test support: temp dirs, real databases for both backends, child processes.
//
// PostgreSQL tests need a running server named by CAIRN_TEST_PG_URL (the test
// script starts one). Each TestDatabase on PostgreSQL is a fresh database
// created on that server and dropped afterwards. Without the variable the
// PostgreSQL cases are skipped with a reason, unless CAIRN_REQUIRE_PG=1 (set
// by scripts/test.sh and CI), where they fail instead.
#ifndef CAIRN_TESTS_SUPPORT_TEST_SUPPORT_H_
#define CAIRN_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cairn/db/database.h"

namespace cairn::testing {

// A directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFileOrDie(const std::string& path);

// A throwaway database of one backend.
class TestDatabase {
 public:
  // Returns null and records a skip or failure when the backend is unavailable
  // (call from a test body and `if (!db) return;`).
  static std::unique_ptr<TestDatabase> Create(db::Backend backend);
  ~TestDatabase();

  db::Backend backend() const { return backend_; }
  const std::string& url() const { return url_; }   // for --database
  std::unique_ptr<db::Connection> Connect() const;  // asserts on failure

 private:
  TestDatabase() = default;
  db::Backend backend_ = db::Backend::kSqlite;
  std::string url_;
  std::string pg_name_;
  std::unique_ptr<TempDir> dir_;
};

// True when the PostgreSQL cases can run.
bool PostgresAvailable();

std::string BackendParamName(const ::testing::TestParamInfo<db::Backend>& info);

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

// Runs `argv` (argv[0] a path) with extra environment variables, waits, and
// returns its exit status and output.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {});

// A child process running in the background; killed (SIGKILL) and reaped
// on destruction if still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  ~Child();
  pid_t pid() const { return pid_; }
  void Kill(int sig);
  // Waits for exit; returns the result like RunProcess (output is captured to files).
  ProcessResult Wait();
  // True once the process has exited (reaps it without blocking; Wait then
  // returns at once).
  bool Exited();

 private:
  pid_t pid_ = -1;
  ProcessResult status_;  // exit status, once reaped
  std::string out_path_, err_path_;
  std::unique_ptr<TempDir> dir_;
  bool reaped_ = false;
};

// Path of the built `cairn` executable.
std::string CairnBinary();

// Runs `cairn --database URL --dir DIR args...`.
ProcessResult RunCairn(const std::string& url, const std::string& dir,
                       const std::vector<std::string>& args);

// Polls `cond` every 10 ms until it returns true or `timeout_ms` passes.
bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 30000);

}  // namespace cairn::testing

namespace cairn::db {
inline void PrintTo(Backend b, std::ostream* os) { *os << BackendName(b); }
}  // namespace cairn::db

#endif  // CAIRN_TESTS_SUPPORT_TEST_SUPPORT_H_
