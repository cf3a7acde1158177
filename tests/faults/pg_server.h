// A dedicated, throwaway PostgreSQL server for tests that must stop and
// start it (the suite-wide server from scripts/pg-harness.sh is shared and
// must stay up). Same approach as the harness: initdb into a temp dir, trust
// auth, a free 127.0.0.1 port, the unix socket in the temp dir, and, when run
// as root, the server running as the `postgres` system user.
#ifndef CAIRN_TESTS_FAULTS_PG_SERVER_H_
#define CAIRN_TESTS_FAULTS_PG_SERVER_H_

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace cairn::testing {

class PgServer {
 public:
  // Finds the server binaries: $CAIRN_PG_BINDIR (exported by the harness),
  // else the highest /usr/lib/postgresql/*/bin. Empty when there are none.
  static std::string FindBinDir() {
    if (const char* env = std::getenv("CAIRN_PG_BINDIR"); env && *env) return env;
    std::string best;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      std::string bin = e.path().string() + "/bin";
      if (access((bin + "/pg_ctl").c_str(), X_OK) == 0 && bin > best) best = bin;
    }
    return best;
  }

  // Creates the cluster (initdb). Check ok() and error() afterwards.
  PgServer() {
    bindir_ = FindBinDir();
    if (bindir_.empty()) {
      error_ = "no PostgreSQL server binaries (install the postgresql package)";
      return;
    }
    if (geteuid() == 0) {
      struct passwd* pw = getpwnam("postgres");
      if (pw == nullptr) {
        error_ = "running as root but there is no postgres system user";
        return;
      }
      if (chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        error_ = "cannot chown " + dir_.path();
        return;
      }
    }
    ProcessResult r = Run({bindir_ + "/initdb", "-D", dir_.File("data"), "--auth=trust", "-U",
                           "postgres", "--encoding=UTF8", "--no-locale"});
    if (r.exit_code != 0) error_ = "initdb failed: " + r.out + r.err;
  }

  ~PgServer() {
    if (started_)
      Run({bindir_ + "/pg_ctl", "-D", dir_.File("data"), "-w", "stop", "-m", "immediate"});
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Starts the server; the first start picks a free port, later ones reuse it.
  bool Start() {
    if (port_ == 0) port_ = FreePort();
    ProcessResult r = Run({bindir_ + "/pg_ctl", "-D", dir_.File("data"), "-l", dir_.File("log"),
                           "-w", "-t", "60", "-o",
                           "-p " + std::to_string(port_) + " -k " + dir_.path() +
                               " -c listen_addresses=127.0.0.1 -c fsync=off",
                           "start"});
    started_ = r.exit_code == 0;
    if (!started_)
      error_ = "pg_ctl start failed: " + r.out + r.err + ReadFileOrDie(dir_.File("log"));
    return started_;
  }

  // Stops the server at once, like a crash or a power cut: clients lose
  // their connections and open transactions roll back at the next start.
  bool StopImmediately() {
    ProcessResult r =
        Run({bindir_ + "/pg_ctl", "-D", dir_.File("data"), "-w", "stop", "-m", "immediate"});
    started_ = false;
    return r.exit_code == 0;
  }

  std::string Url(const std::string& database) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

 private:
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
    close(fd);
    return port;
  }

  // Runs a server binary from inside the temp dir (the server user may not
  // reach our working directory), as `postgres` when we are root.
  ProcessResult Run(const std::vector<std::string>& cmd) {
    std::vector<std::string> argv = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir_.path()};
    if (geteuid() == 0) argv.insert(argv.end(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    return RunProcess(argv);
  }

  TempDir dir_;
  std::string bindir_;
  std::string error_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_FAULTS_PG_SERVER_H_
