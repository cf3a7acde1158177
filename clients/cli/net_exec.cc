#include "cli/net_exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cairn/base/executable.h"
#include "cli/exit_codes.h"
#include "cli/net_commands.h"

namespace cairn::cli {
namespace {

char** g_argv = nullptr;

}  // namespace

NetworkCommands& Network() {
  static NetworkCommands entries;
  return entries;
}

void SetCommandLine(int /*argc*/, char** argv) { g_argv = argv; }

bool NeedsNetwork(const CLI::App& sub) {
  const CLI::Option* server = sub.get_option_no_throw("--server");
  return server != nullptr && server->count() > 0;
}

int RunInCairnNet() {
  std::string path;
  if (const char* env = std::getenv("CAIRN_NET"); env && *env)
    path = env;
  else
    path = ExecutableDir() + "/cairn-net";
  if (g_argv == nullptr) {
    std::fprintf(stderr, "cairn: error: internal: no command line to hand to %s\n", path.c_str());
    return kExitInternal;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  execv(path.c_str(), g_argv);
  std::fprintf(stderr,
               "cairn: error: this command talks to a cairn server and runs in cairn-net, "
               "which could not be started: %s: %s (install cairn-net beside cairn, or set "
               "$CAIRN_NET)\n",
               path.c_str(), std::strerror(errno));
  return kExitInternal;
}

}  // namespace cairn::cli
