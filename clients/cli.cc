#include "cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cairn/ledger/identity.h"
#include "cairn/ledger/records.h"
#include "cairn/runner/formats.h"
#include "net_exec.h"

namespace cairn::cli {
namespace {

std::vector<CommandSpec>& Registry() {
  static std::vector<CommandSpec> commands;
  return commands;
}

}  // namespace

bool RegisterCommand(CommandSpec spec) {
  Registry().push_back(std::move(spec));
  return true;
}

int Fail(const Status& s, bool connecting) {
  const std::string& m = s.message();
  // One error per line, each prefixed, so scripts can grep them.
  size_t start = 0;
  while (start <= m.size()) {
    size_t nl = m.find('\n', start);
    std::fprintf(stderr, "cairn: error: %s\n", m.substr(start, nl - start).c_str());
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return ExitFor(s, connecting);
}

runner::RunnerOptions CliContext::RunnerOptionsFromGlobals() const {
  runner::RunnerOptions options;
  options.dir = dir;
  options.stream = stream;
  options.new_stream = new_stream;
  options.command_line = command_line;
  return options;
}

std::unique_ptr<runner::Runner> CliContext::OpenRunner(const runner::RunnerOptions& options,
                                                       int* exit_code) const {
  auto runner = runner::Runner::Open(database, options);
  if (!runner.ok()) {
    // An ambiguous or unknown stream is refused before anything runs: its
    // kind, ledger::kStreamRefused, makes it exit 3 rather than 4.
    *exit_code = Fail(runner.status(), /*connecting=*/true);
    return nullptr;
  }
  *exit_code = kExitOk;
  return std::move(*runner);
}

StatusOr<std::string> WhyNoEvents(runner::Runner& runner, int64_t head_position) {
  if (head_position > 0) return std::string();
  const std::string& where = runner.connection().url().redacted;
  CAIRN_ASSIGN_OR_RETURN(bool exists, runner.store().Exists());
  if (!exists)
    return "no ledger in " + where +
           ": it has no cairn_ledger table (nothing was ever migrated here)";
  CAIRN_ASSIGN_OR_RETURN(auto streams, ledger::ListStreamNames(runner.store()));
  if (streams.empty()) return "the ledger in " + where + " holds no events yet";
  std::string names;
  for (const std::string& s : streams) names += (names.empty() ? "" : ", ") + s;
  return "the ledger in " + where + " holds no stream " + runner.stream() +
         " yet (it holds: " + names + ")";
}

int CliMain(int argc, char** argv) {
  SetCommandLine(argc, argv);
  CLI::App app{"cairn: database migrations recorded in a tamper-evident ledger"};
  app.require_subcommand(1);
  // Global options may also follow the command (`cairn status -d sqlite:x.db`),
  // as in dbmate and Flyway; a command's own option of the same name wins.
  app.fallthrough();
  CliContext ctx;
  if (const char* env = std::getenv("DATABASE_URL")) ctx.database = env;
  app.add_option("--database,-d", ctx.database,
                 "sqlite:PATH or postgres://... (default: $DATABASE_URL)");
  app.add_option("--dir", ctx.dir, "migrations directory")->capture_default_str();
  app.add_option("--stream", ctx.stream,
                 "ledger stream name (default: the ledger's own stream; for a new ledger, the "
                 "database's name)");
  app.add_flag("--new-stream", ctx.new_stream,
               "--stream names a stream the ledger does not hold yet, on purpose");
  app.add_option("--lock-timeout", ctx.lock_timeout,
                 "how long migrate/rollback wait for another runner (e.g. 30s; 0: fail at once)")
      ->capture_default_str();
  std::string format;
  app.add_option("--format", format,
                 "layout of --dir: cairn, dbmate, golang-migrate, flyway or diesel "
                 "(default: cairn, or the other tool's layout detected; docs/formats.md)")
      ->check(CLI::IsMember(runner::FormatNames()));
  app.add_flag("--verbose,-v", ctx.verbose, "log each step in detail");
  app.add_flag("--quiet,-q", ctx.quiet, "log only errors");

  std::vector<CommandSpec> commands = Registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const CommandSpec& a, const CommandSpec& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, CommandAction>> actions;
  for (const CommandSpec& spec : commands) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    actions.emplace_back(sub, spec.setup(sub));
    // The global --format may also follow the command (`cairn migrate --format
    // flyway`) unless the command has a --format of its own (export's).
    if (sub->get_option_no_throw("--format") == nullptr)
      sub->add_option("--format", format, "layout of --dir (as the global --format)")
          ->check(CLI::IsMember(runner::FormatNames()));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (ctx.new_stream && ctx.stream.empty()) {
    std::fprintf(stderr,
                 "cairn: error: --new-stream needs --stream NAME (the new stream's name)\n");
    return kExitUsage;
  }
  // Parsed here, so a usage error is reported without starting cairn-net.
  if (CliIsLocal()) {
    for (auto& [sub, action] : actions)
      if (sub->parsed() && NeedsNetwork(*sub)) return RunInCairnNet();
  }

  auto logger = spdlog::stderr_color_mt("cairn");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$ %v");
  spdlog::set_level(ctx.quiet     ? spdlog::level::err
                    : ctx.verbose ? spdlog::level::debug
                                  : spdlog::level::warn);

  // The command line goes into the append-only ledger: never a password.
  std::string redacted_url = ctx.database;
  if (auto parsed = db::ParseDatabaseUrl(ctx.database); parsed.ok())
    redacted_url = parsed->redacted;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!ctx.database.empty() && arg == ctx.database)
      arg = redacted_url;
    else if (arg.rfind("--database=", 0) == 0)
      arg = "--database=" + redacted_url;
    ctx.command_line += (i > 1 ? " " : "") + arg;
  }

  if (!format.empty()) runner::UseFormat(ctx.dir, *runner::ParseFormat(format));
  for (auto& [sub, action] : actions) {
    if (sub->parsed()) return action(ctx);
  }
  return kExitUsage;
}

}  // namespace cairn::cli
