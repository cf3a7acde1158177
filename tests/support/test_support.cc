#include "tests/support/test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "cairn/base/hash.h"

namespace cairn::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "cairn-test-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  if (p == nullptr) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << contents;
  if (!f) ADD_FAILURE() << "cannot write " << path;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool PostgresAvailable() {
  const char* url = std::getenv("CAIRN_TEST_PG_URL");
  return url != nullptr && *url != '\0';
}

std::string BackendParamName(const ::testing::TestParamInfo<db::Backend>& info) {
  return info.param == db::Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::unique_ptr<TestDatabase> TestDatabase::Create(db::Backend backend) {
  std::unique_ptr<TestDatabase> t(new TestDatabase());
  t->backend_ = backend;
  if (backend == db::Backend::kSqlite) {
    t->dir_ = std::make_unique<TempDir>();
    t->url_ = "sqlite:" + t->dir_->File("target.db");
    // An empty database exists, as on PostgreSQL below (an empty file is an
    // empty SQLite database): read-only commands never create one.
    WriteFile(t->dir_->File("target.db"), "");
    return t;
  }
  if (!PostgresAvailable()) {
    const char* req = std::getenv("CAIRN_REQUIRE_PG");
    if (req != nullptr && std::string(req) == "1") {
      ADD_FAILURE() << "CAIRN_REQUIRE_PG=1 but CAIRN_TEST_PG_URL is not set";
    } else {
      [] {
        GTEST_SKIP() << "PostgreSQL not available: set CAIRN_TEST_PG_URL (scripts/test.sh does)";
      }();
    }
    return nullptr;
  }
  std::string admin_url = std::getenv("CAIRN_TEST_PG_URL");
  auto parsed = db::ParseDatabaseUrl(admin_url);
  if (!parsed.ok()) {
    ADD_FAILURE() << parsed.status().ToString();
    return nullptr;
  }
  auto admin = db::Connection::Open(*parsed);
  if (!admin.ok()) {
    ADD_FAILURE() << admin.status().ToString();
    return nullptr;
  }
  t->pg_name_ = "cairn_test_" + ledger::NewUuid().substr(0, 8) + std::to_string(getpid());
  // A database name cannot be a bound parameter; this one is generated above
  // from hex digits and a pid, never from input.
  auto r = (*admin)->Execute("CREATE DATABASE " + t->pg_name_);
  if (!r.ok()) {
    ADD_FAILURE() << r.status().ToString();
    return nullptr;
  }
  // Replace the database name in the admin URL (which ends in /postgres or similar).
  std::string base = admin_url;
  auto q = base.find('?');
  std::string query = q == std::string::npos ? "" : base.substr(q);
  if (q != std::string::npos) base = base.substr(0, q);
  auto slash = base.find('/', base.find("://") + 3);
  if (slash != std::string::npos) base = base.substr(0, slash);
  t->url_ = base + "/" + t->pg_name_ + query;
  return t;
}

TestDatabase::~TestDatabase() {
  if (pg_name_.empty()) return;
  auto parsed = db::ParseDatabaseUrl(std::getenv("CAIRN_TEST_PG_URL"));
  if (!parsed.ok()) return;
  auto admin = db::Connection::Open(*parsed);
  if (!admin.ok()) return;
  (void)(*admin)->Execute("DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)");
}

std::unique_ptr<db::Connection> TestDatabase::Connect() const {
  auto parsed = db::ParseDatabaseUrl(url_);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return nullptr;
  auto conn = db::Connection::Open(*parsed);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  if (!conn.ok()) return nullptr;
  return std::move(*conn);
}

namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int out_fd, int err_fd) {
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

ProcessResult Reap(pid_t pid) {
  ProcessResult r;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env) {
  Child c(argv, env);
  return c.Wait();
}

Child::Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env)
    : dir_(std::make_unique<TempDir>()) {
  out_path_ = dir_->File("out");
  err_path_ = dir_->File("err");
  int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = Spawn(argv, env, out, err);
  close(out);
  close(err);
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Reap(pid_);
  }
}

void Child::Kill(int sig) {
  if (!reaped_ && pid_ > 0) kill(pid_, sig);
}

ProcessResult Child::Wait() {
  if (!reaped_) {
    status_ = Reap(pid_);
    reaped_ = true;
  }
  ProcessResult r = status_;
  r.out = ReadFileOrDie(out_path_);
  r.err = ReadFileOrDie(err_path_);
  return r;
}

bool Child::Exited() {
  if (reaped_ || pid_ <= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  if (WIFEXITED(status)) status_.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) status_.signal = WTERMSIG(status);
  reaped_ = true;
  return true;
}

std::string CairnBinary() { return CAIRN_BIN; }

ProcessResult RunCairn(const std::string& url, const std::string& dir,
                       const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CairnBinary(), "--database", url, "--dir", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

bool WaitFor(const std::function<bool()>& cond, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

}  // namespace cairn::testing
