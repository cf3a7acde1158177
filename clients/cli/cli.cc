#include "cli/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "build_info.h"
#include "cairn/runner/formats.h"
#include "cairn/runner/plan.h"
#include "cairn/store/identity.h"
#include "cairn/store/records.h"
#include "cli/cli_output.h"
#include "cli/json_output.h"
#include "cli/net_commands.h"
#include "completion_scripts.h"

namespace cairn::cli {
namespace {

std::vector<CommandSpec>& Registry() {
  static std::vector<CommandSpec> commands;
  return commands;
}

// The help of the global --format that every command repeats.
constexpr const char* kCommandFormatHelp = "layout of --dir (as the global --format)";

// --- usage errors: one line, with a suggestion -------------------------------

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'X'?)" for the closest candidate, or "" when none is close:
// within a third of the word's length (at least 1 edit), or a prefix of it.
// Single letters (`-x`) get no guess: every other letter is one edit away.
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.size() <= 2) return "";
  std::string best;
  size_t best_distance = std::max<size_t>(1, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance || (best.empty() && c.rfind(word, 0) == 0)) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// --json was on the command line, for `command` ("" when none was named):
// a usage error is then reported as a JSON document too (docs/json.md).
bool g_json_requested = false;
std::string g_json_command;

int UsageError(const std::string& message) {
  std::fprintf(stderr, "cairn: error: %s\n", message.c_str());
  if (g_json_requested && ActiveJson() == nullptr) {
    JsonDocument& doc = StartJson(g_json_command);
    doc.SetError(JsonError(kExitUsage, message));
    doc.Finish(kExitUsage);
  }
  return kExitUsage;
}

// The option named by `arg` ("--name", "--name=value", "-n", "-nVALUE") in
// `app`, or null.
const CLI::Option* FindOption(const CLI::App& app, const std::string& arg) {
  if (arg.rfind("--", 0) == 0) {
    std::string name = arg.substr(0, arg.find('='));
    for (const CLI::Option* opt : app.get_options())
      for (const std::string& l : opt->get_lnames())
        if ("--" + l == name) return opt;
  } else if (arg.size() >= 2 && arg[0] == '-') {
    for (const CLI::Option* opt : app.get_options())
      for (const std::string& s : opt->get_snames())
        if (s.size() == 1 && s[0] == arg[1]) return opt;
  }
  return nullptr;
}

std::vector<std::string> OptionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

// True when `arg` is an option of `app` that takes a value in the next
// argument (`--dir DIR`, not `--dir=DIR` or a flag).
bool TakesNextValue(const CLI::App& app, const std::string& arg) {
  const CLI::Option* opt = FindOption(app, arg);
  if (opt == nullptr || opt->get_type_size() == 0) return false;
  if (arg.rfind("--", 0) == 0) return arg.find('=') == std::string::npos;
  return arg.size() == 2;  // -dVALUE carries its value
}

// The commands of `app` (get_subcommands() alone lists only the parsed one).
std::vector<const CLI::App*> Commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

// The command of `app` named `name`, or null.
const CLI::App* FindCommand(const CLI::App& app, const std::string& name) {
  for (const CLI::App* c : Commands(app))
    if (c->get_name() == name) return c;
  return nullptr;
}

std::string UnknownCommand(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names;
  for (const CLI::App* c : Commands(app)) names.push_back(c->get_name());
  return "unknown command '" + word + "'" + DidYouMean(word, names) + "; see 'cairn help'";
}

// Finds the first argument CLI11 cannot place, to name it in the error: an
// unknown command or an unknown option of the command (or of the globals).
// Returns "" when every word is known (the error is something else).
std::string DiagnoseArguments(const CLI::App& app, int argc, char** argv) {
  const CLI::App* sub = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (!arg.empty() && arg[0] == '-' && arg.size() > 1) {
      const CLI::App& scope = sub != nullptr && FindOption(*sub, arg) ? *sub : app;
      if (FindOption(scope, arg) == nullptr) {
        std::vector<std::string> names = OptionNames(app);
        if (sub != nullptr) {
          std::vector<std::string> own = OptionNames(*sub);
          names.insert(names.begin(), own.begin(), own.end());
        }
        std::string name = arg.substr(0, arg.find('='));
        return "unknown option '" + name + "'" +
               (sub != nullptr ? " for '" + sub->get_name() + "'" : std::string()) +
               DidYouMean(name, names) + "; see 'cairn help" +
               (sub != nullptr ? " " + sub->get_name() : std::string()) + "'";
      }
      if (TakesNextValue(scope, arg)) ++i;
      continue;
    }
    if (sub == nullptr) {
      sub = FindCommand(app, arg);
      if (sub == nullptr) return UnknownCommand(app, arg);
    }
  }
  return "";
}

// A command's help followed by the global options, which may follow it.
std::string HelpWithGlobals(const CLI::App& app, const CLI::App* sub) {
  if (sub == nullptr) return app.help();
  std::vector<const CLI::Option*> globals;
  for (const CLI::Option* opt : app.get_options())
    if (opt != app.get_help_ptr() && opt->get_lnames() != std::vector<std::string>{"version"})
      globals.push_back(opt);
  CLI::Formatter formatter;
  return sub->help() +
         formatter.make_group("Global options (before or after the command)", false, globals);
}

// --- the man page: the same table as --help, in roff ------------------------

// `text` escaped for roff: backslashes and hyphens, and a line that would
// start with a control character.
std::string Roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    if (c == '\n') out += "\\&";
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

// One option as a .TP item: "-d, --database URL" and its description.
void RoffOption(const CLI::Option& opt, std::string* out) {
  std::string names;
  for (const std::string& s : opt.get_snames()) names += (names.empty() ? "" : ", ") + ("-" + s);
  for (const std::string& l : opt.get_lnames()) names += (names.empty() ? "" : ", ") + ("--" + l);
  if (names.empty()) names = opt.get_name();  // a positional argument
  *out += ".TP\n\\fB" + Roff(names) + "\\fR";
  if (opt.get_type_size() != 0 && !opt.get_type_name().empty())
    *out += " \\fI" + Roff(opt.get_type_name()) + "\\fR";
  *out += "\n" + Roff(opt.get_description()) + "\n";
}

// The GLOBAL OPTIONS and COMMANDS sections of cairn(1), generated at build
// time (cmake/CairnManPage.cmake) from the command table that --help shows,
// so the page lists every command and flag there is.
std::string ManSections(const CLI::App& app) {
  std::string out = ".SH GLOBAL OPTIONS\n";
  for (const CLI::Option* opt : app.get_options())
    if (opt != app.get_help_ptr()) RoffOption(*opt, &out);
  out += ".SH COMMANDS\n";
  for (const CLI::App* sub : Commands(app)) {
    out += ".SS " + Roff(sub->get_name()) + "\n" + Roff(sub->get_description()) + "\n";
    for (const CLI::Option* opt : sub->get_options()) {
      // The global --format every command repeats is listed once above.
      if (opt == sub->get_help_ptr() || opt->get_description() == kCommandFormatHelp) continue;
      RoffOption(*opt, &out);
    }
  }
  return out;
}

void PrintVersion() {
  std::printf("cairn %s (commit %s)\n", CAIRN_BUILD_VERSION, CAIRN_BUILD_GIT_COMMIT);
  std::printf("SQLite %s\n", sqlite3_libversion());
  std::printf("libpq %s, libpqxx %s (cairn-pg.so, built against)\n", CAIRN_BUILD_LIBPQ_VERSION,
              CAIRN_BUILD_LIBPQXX_VERSION);
  std::printf("gRPC %s (cairn-net, built against)\n", CAIRN_BUILD_GRPC_VERSION);
}

// The CLI's log sink: "cairn: warning: ...", coloured only on a terminal and
// never under NO_COLOR (https://no-color.org). Errors the runner logs are
// left out unless --verbose: the CLI reports every failure itself (Fail,
// PrintRun), once.
class CliLogSink : public spdlog::sinks::sink {
 public:
  explicit CliLogSink(bool verbose) : verbose_(verbose) {
    const char* no_color = std::getenv("NO_COLOR");
    bool colour = (no_color == nullptr || *no_color == '\0') && isatty(STDERR_FILENO);
    inner_ = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
        colour ? spdlog::color_mode::always : spdlog::color_mode::never);
  }
  void log(const spdlog::details::log_msg& msg) override {
    if (msg.level == spdlog::level::warn)
      if (JsonDocument* doc = ActiveJson())
        doc->Warn(std::string(msg.payload.data(), msg.payload.size()));
    if (msg.level >= spdlog::level::err && !verbose_) return;
    inner_->log(msg);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }

 private:
  bool verbose_;
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> inner_;
};

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
  const int exit_code = ExitFor(s, connecting);
  if (JsonDocument* doc = ActiveJson()) doc->SetError(JsonError(s, exit_code));
  return exit_code;
}

runner::RunnerOptions CliContext::RunnerOptionsFromGlobals() const {
  runner::RunnerOptions options;
  options.dir = dir;
  options.stream = stream;
  options.new_stream = new_stream;
  options.command_line = command_line;
  return options;
}

runner::RunnerOptions CliContext::ReadOnlyRunnerOptions() const {
  runner::RunnerOptions options = RunnerOptionsFromGlobals();
  options.open.create_missing = false;
  return options;
}

std::unique_ptr<runner::Runner> CliContext::OpenMissingAsEmpty(runner::RunnerOptions options,
                                                               std::string_view what,
                                                               int* exit_code) const {
  options.open.missing_as_empty = true;
  auto runner = OpenRunner(options, exit_code);
  if (!runner) return runner;
  if (const db::DatabaseUrl& url = runner->connection().url();
      url.backend == db::Backend::kSqlite && url.sqlite_path != ":memory:" &&
      !std::filesystem::exists(url.sqlite_path))
    spdlog::warn("SQLite database '{}' does not exist yet: {} (nothing was created)",
                 url.sqlite_path, what);
  return runner;
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
  CLI::App app{"cairn: database migrations recorded in a tamper-evident ledger", "cairn"};
  app.require_subcommand(1);
  // Global options may also follow the command (`cairn status -d sqlite:x.db`),
  // as in dbmate and Flyway; a command's own option of the same name wins.
  app.fallthrough();
  CliContext ctx;
  // Which settings the command line gave: the rest come from the
  // environment, .env and cairn.toml (docs/config.md, ResolveSettings).
  SettingInputs given;
  auto mark = [](std::optional<std::string>* slot) {
    return [slot](const std::string& value) { *slot = value; };
  };
  app.add_option("--database,-d", ctx.database,
                 "sqlite:PATH or postgres://... (default: $DATABASE_URL, .env, cairn.toml)")
      ->each(mark(&given.database));
  app.add_option("--dir", ctx.dir, "migrations directory (default: cairn.toml's, or migrations)")
      ->each(mark(&given.dir));
  app.add_option("--stream", ctx.stream,
                 "ledger stream name (default: the ledger's own stream; for a new ledger, the "
                 "database's name)")
      ->each(mark(&given.stream));
  app.add_flag("--new-stream", ctx.new_stream,
               "--stream names a stream the ledger does not hold yet, on purpose");
  app.add_option("--lock-timeout", ctx.lock_timeout,
                 "how long migrate/rollback wait for another runner (e.g. 30s; 0: fail at once; "
                 "default: cairn.toml's, or 60s)")
      ->each(mark(&given.lock_timeout));
  app.add_option("--env", ctx.environment,
                 "environment: cairn.toml's [env.NAME] (default: $CAIRN_ENV); a protected one "
                 "(production, prod, ...) gets the pre-flight")
      ->each(mark(&given.environment));
  std::string config_file;
  app.add_option("--config", config_file,
                 "project settings (default: cairn.toml here or in a parent; docs/config.md)")
      ->each(mark(&given.config));
  std::string format;
  auto format_check = CLI::IsMember(runner::FormatNames());
  app.add_option("--format", format,
                 "layout of --dir: cairn, dbmate, golang-migrate, flyway, diesel, sqlx, goose, "
                 "atlas or liquibase "
                 "(default: cairn.toml's, or the other tool's layout detected; docs/formats.md)")
      ->check(format_check)
      ->each(mark(&given.format));
  app.add_flag("--verbose,-v", ctx.verbose, "log each step in detail");
  app.add_flag("--quiet,-q", ctx.quiet,
               "a successful migrate or rollback prints nothing; only errors are logged");

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
      sub->add_option("--format", format, kCommandFormatHelp)
          ->check(format_check)
          ->each(mark(&given.format));
  }
  // `cairn --version` / `cairn version`, `cairn help [COMMAND]`.
  bool version_flag = false;  // handled before parsing; here for --help
  app.add_flag("--version", version_flag, "print cairn's version, commit and library versions");
  CLI::App* version_cmd = app.add_subcommand("version", "print the version (as --version)");
  CLI::App* help_cmd = app.add_subcommand("help", "print the usage, or a command's help");
  CLI::App* completion_cmd = app.add_subcommand(
      "completion", "print the shell completion script (bash: source <(cairn completion bash))");
  std::string completion_shell;
  completion_cmd->add_option("shell", completion_shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  std::string help_topic;
  help_cmd->add_option("command", help_topic, "the command to explain");
  bool man_sections = false;  // cmake/CairnManPage.cmake builds cairn(1) with it
  help_cmd->add_flag("--man", man_sections,
                     "print the options and commands as sections of the man page (roff)");

  // --json anywhere (before `--`), and the command it is for.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg == "--json") g_json_requested = true;
    if (g_json_command.empty() && FindCommand(app, arg) != nullptr) g_json_command = arg;
  }
  // --version among the global options, before any command.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      PrintVersion();
      return kExitOk;
    }
    if (arg.empty() || arg[0] != '-' || arg == "--") break;
    if (TakesNextValue(app, arg)) ++i;
  }
  if (argc == 1) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return UsageError("a command is required; see 'cairn help'");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    const CLI::App* sub = nullptr;
    for (const CLI::App* s : app.get_subcommands()) sub = s;
    std::printf("%s", HelpWithGlobals(app, sub).c_str());
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::string why = DiagnoseArguments(app, argc, argv);
    if (why.empty()) {
      why = e.what();
      const CLI::App* sub = nullptr;
      for (const CLI::App* s : app.get_subcommands()) sub = s;
      why += sub != nullptr ? "; see 'cairn help " + sub->get_name() + "'" : "; see 'cairn help'";
    }
    return UsageError(why);
  }
  if (version_cmd->parsed() || version_flag) {  // --version after a command too
    PrintVersion();
    return kExitOk;
  }
  if (completion_cmd->parsed()) {
    std::fputs(completion_shell == "bash"  ? kCompletionBash
               : completion_shell == "zsh" ? kCompletionZsh
                                           : kCompletionFish,
               stdout);
    return kExitOk;
  }
  if (help_cmd->parsed()) {
    if (man_sections) {
      std::fputs(ManSections(app).c_str(), stdout);
      return kExitOk;
    }
    if (help_topic.empty()) {
      // app.help() would describe the parsed command, `help` itself.
      std::printf(
          "%s",
          app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal).c_str());
      return kExitOk;
    }
    const CLI::App* sub = FindCommand(app, help_topic);
    if (sub == nullptr) return UsageError(UnknownCommand(app, help_topic));
    std::printf("%s", HelpWithGlobals(app, sub).c_str());
    return kExitOk;
  }
  // The project's settings fill in what the command line did not give.
  auto settings = ResolveSettings(given);
  if (!settings.ok()) return UsageError(settings.status().message());
  ctx.settings = *settings;
  ctx.database = settings->database.value;
  ctx.dir = settings->dir.value;
  ctx.stream = settings->stream.value;
  ctx.lock_timeout = settings->lock_timeout.value;
  ctx.environment = settings->environment.value;
  format = settings->format.value;
  if (!format.empty() && !runner::ParseFormat(format).ok())
    return UsageError(settings->format.source + ": format '" + format +
                      "' is not one of cairn, dbmate, golang-migrate, flyway, diesel");
  if (ctx.new_stream && ctx.stream.empty()) {
    std::fprintf(stderr,
                 "cairn: error: --new-stream needs --stream NAME (the new stream's name)\n");
    return kExitUsage;
  }
  // Parsed here, so a usage error is reported without starting cairn-net.
  if (!Network().linked) {
    for (auto& [sub, action] : actions)
      if (sub->parsed() && NeedsNetwork(*sub)) return RunInCairnNet();
  }

  auto logger =
      std::make_shared<spdlog::logger>("cairn", std::make_shared<CliLogSink>(ctx.verbose));
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("cairn: %^%l%$: %v");
  SetQuietOutput(ctx.quiet);
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
    if (!sub->parsed()) continue;
    // --json: one document on stdout (docs/json.md); subscribe's is a stream
    // of one event per line instead.
    const CLI::Option* json_flag = sub->get_option_no_throw("--json");
    if (json_flag != nullptr && json_flag->count() > 0 && sub->get_name() != "subscribe")
      StartJson(sub->get_name());
    const int exit_code = action(ctx);
    if (JsonDocument* doc = ActiveJson()) doc->Finish(exit_code);
    return exit_code;
  }
  return kExitUsage;
}

}  // namespace cairn::cli
