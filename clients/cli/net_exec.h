// The `cairn` executable is built without gRPC: loading gRPC and Abseil
// took half of a short command's time (BENCHMARKS.md, "Startup"). What talks
// to a `cairn serve` -- the serve and subscribe commands, and any command
// given --server -- runs in `cairn-net`, the same command line with the
// network code linked in, installed beside `cairn`. The switch is an exec:
// same arguments, same environment, same process id, so exit codes, signals
// and output are cairn-net's own.
#ifndef CAIRN_CLIENTS_CLI_NET_EXEC_H_
#define CAIRN_CLIENTS_CLI_NET_EXEC_H_

#include <CLI/CLI.hpp>

namespace cairn::cli {

// Remembers the process's arguments for RunInCairnNet (CliMain calls it).
void SetCommandLine(int argc, char** argv);

// Whether the parsed subcommand `sub` needs the network code: it was given
// --server. In a program without clients/net (`cairn`; net_commands.h),
// CliMain hands such a command over to cairn-net once its flags are parsed.
bool NeedsNetwork(const CLI::App& sub);

// Replaces this process with cairn-net (found beside the running
// executable, or at $CAIRN_NET) with the same arguments. Returns only on
// failure, after printing one error line: kExitInternal.
int RunInCairnNet();

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_NET_EXEC_H_
