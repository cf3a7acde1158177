// The `cairn` command line as a library: every subcommand lives in its own
// cli/cmd_*.cc file and registers itself here -- the command table -- so
// commands can be added without touching the others, and user-built runner
// binaries (data migrations in C++) get the whole CLI by linking the
// `cairn_cli` and `cairn_net` object libraries and calling CliMain. A
// command that can talk to a server puts its network half in clients/net/
// (net_commands.h).
//
//   // cmd_hello.cc
//   CAIRN_REGISTER_COMMAND(hello, "say hello", 90, [](CLI::App* cmd) {
//     auto name = std::make_shared<std::string>();
//     cmd->add_option("name", *name)->required();
//     return [name](CliContext& ctx) { std::printf("hi %s\n", name->c_str()); return 0; };
//   });
//
// Exit codes are defined in cli/exit_codes.h (ExitCode) and listed in README.md;
// a Status becomes an exit code only in ExitFor() (exit_codes.cc).
#ifndef CAIRN_CLIENTS_CLI_CLI_H_
#define CAIRN_CLIENTS_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/runner/runner.h"
#include "cli/exit_codes.h"
#include "cli/project_config.h"

namespace cairn::cli {

// Global options, parsed before any subcommand runs.
struct CliContext {
  std::string database;  // --database / $DATABASE_URL, as given (may hold a password)
  std::string dir = "migrations";
  std::string stream;
  bool new_stream = false;           // --new-stream: --stream may name a stream the ledger lacks
  std::string lock_timeout = "60s";  // --lock-timeout (migrate and rollback may override)
  std::string environment;           // --env / $CAIRN_ENV / .env (docs/config.md)
  // Every effective setting with where it came from (docs/config.md).
  ProjectSettings settings;
  bool verbose = false;
  bool quiet = false;
  // argv with the database URL's password redacted: safe to record.
  std::string command_line;

  // Runner options from the globals; commands add their own before Open.
  runner::RunnerOptions RunnerOptionsFromGlobals() const;
  // The same for commands that only read (status, history, verify, drift,
  // plan, diff, report): a SQLite target that does not exist is an error
  // (exit 4 naming the path), never a new empty file.
  runner::RunnerOptions ReadOnlyRunnerOptions() const;
  // Opens a Runner on --database. On error prints it and sets *exit_code.
  std::unique_ptr<runner::Runner> OpenRunner(const runner::RunnerOptions& options,
                                             int* exit_code) const;
  // For plan and lint, which read a first deployment's target as empty
  // (RunnerOptions::open.missing_as_empty): opens it so, and warns once that
  // the SQLite file does not exist yet, saying what `what` did instead.
  std::unique_ptr<runner::Runner> OpenMissingAsEmpty(runner::RunnerOptions options,
                                                     std::string_view what, int* exit_code) const;
};

// What a command does once parsed. Returns the process exit code.
using CommandAction = std::function<int(CliContext&)>;
// Adds the command's options to `cmd` (storage owned by the returned
// action's captures) and returns the action.
using CommandSetup = std::function<CommandAction(CLI::App* cmd)>;

struct CommandSpec {
  std::string name;
  std::string help;
  int order = 100;  // position in --help; lower first
  CommandSetup setup;
};

// Adds a command to the registry; returns true so it can initialise a static.
bool RegisterCommand(CommandSpec spec);

#define CAIRN_REGISTER_COMMAND(name, help, order, setup)           \
  static const bool cairn_cli_registered_##name [[maybe_unused]] = \
      ::cairn::cli::RegisterCommand({#name, help, order, setup})

// Prints each line of the status message as "cairn: error: ..." on stderr
// and returns ExitFor(s, connecting). `connecting` marks errors from opening
// the target (kExitDatabase unless the error's kind has its own row).
int Fail(const Status& s, bool connecting = false);

// Why the target's stream has no events, in one line ("" when it has some):
// the database has no ledger, its ledger is empty, or (--new-stream) the
// stream is not in it yet. For status, history and verify.
StatusOr<std::string> WhyNoEvents(runner::Runner& runner, int64_t head_position);

// Parses argv, sets up logging and runs the chosen command.
int CliMain(int argc, char** argv);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_CLI_H_
