// The command line's own surface (clients/cli.cc): --version, help, usage
// errors with suggestions, one message per event, -q, colour. The real
// `cairn` binary runs as a child process; the colour cases on a real
// pseudo-terminal.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace fs = std::filesystem;

ProcessResult Cairn(const std::vector<std::string>& args) {
  std::vector<std::string> argv{CairnBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

int CountLines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// A usage error: exit 2, nothing on stdout, exactly one line on stderr.
void ExpectOneUsageLine(const ProcessResult& r, const std::string& line) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "cairn: error: " + line + "\n");
}

std::string WriteMigrations(const TempDir& dir, int count) {
  const std::string migrations = dir.File("migrations");
  fs::create_directories(migrations);
  for (int i = 1; i <= count; ++i)
    std::ofstream(migrations + "/000" + std::to_string(i) + "_t" + std::to_string(i) + ".sql")
        << "-- cairn:up\nCREATE TABLE t" << i << " (id INTEGER PRIMARY KEY);\n"
        << "-- cairn:down\nDROP TABLE t" << i << ";\n";
  return migrations;
}

TEST(ClientsCliUsageTest, VersionInBothForms) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--version"},
                                               {"version"},
                                               {"-d", "sqlite:x.db", "--version"},
                                               {"-d", "sqlite:x.db", "migrate", "--version"}}) {
    ProcessResult r = Cairn(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    EXPECT_THAT(r.out, StartsWith("cairn " CAIRN_PROJECT_VERSION " (commit "));
    EXPECT_THAT(r.out, HasSubstr("\nSQLite 3."));
    EXPECT_THAT(r.out, HasSubstr("\nlibpq "));
    EXPECT_THAT(r.out, HasSubstr("\ngRPC 1."));
    EXPECT_EQ(r.err, "");
  }
  EXPECT_FALSE(fs::exists("x.db"));  // --version opens nothing
}

TEST(ClientsCliUsageTest, HelpListsCommandsAndExplainsOne) {
  ProcessResult r = Cairn({"help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* cmd : {"migrate", "rollback", "status", "version", "help"})
    EXPECT_THAT(r.out, HasSubstr(std::string("\n  ") + cmd + " ")) << cmd;

  // `help CMD` and `CMD --help` say the same, global options included.
  ProcessResult a = Cairn({"help", "rollback"});
  ProcessResult b = Cairn({"rollback", "--help"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_THAT(a.out, HasSubstr("--steps"));
  EXPECT_THAT(a.out, HasSubstr("Global options (before or after the command):"));
  EXPECT_THAT(a.out, HasSubstr("--database"));
  EXPECT_THAT(a.out, HasSubstr("--lock-timeout"));
}

TEST(ClientsCliUsageTest, TxHelpNamesTheModes) {
  ProcessResult r = Cairn({"help", "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("--tx per-migration|all|none"));
  EXPECT_THAT(r.out, Not(HasSubstr("ENUM")));
  // The modes are still checked.
  r = Cairn({"-d", "sqlite::memory:", "migrate", "--tx", "sometimes"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_THAT(r.err, StartsWith("cairn: error: --tx: "));
}

TEST(ClientsCliUsageTest, UnknownCommandsGetASuggestion) {
  ExpectOneUsageLine(Cairn({"statsu"}),
                     "unknown command 'statsu' (did you mean 'status'?); see 'cairn help'");
  ExpectOneUsageLine(Cairn({"-d", "sqlite:x.db", "--dir", "m", "migrat"}),
                     "unknown command 'migrat' (did you mean 'migrate'?); see 'cairn help'");
  ExpectOneUsageLine(Cairn({"help", "rolback"}),
                     "unknown command 'rolback' (did you mean 'rollback'?); see 'cairn help'");
  ExpectOneUsageLine(Cairn({"frobnicate"}), "unknown command 'frobnicate'; see 'cairn help'");
  ProcessResult r = Cairn({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("\ncairn: error: a command is required; see 'cairn help'\n"));
}

TEST(ClientsCliUsageTest, UnknownFlagsInEveryFormGetASuggestion) {
  const std::string rollback_steps =
      "unknown option '--step' for 'rollback' (did you mean '--steps'?); see 'cairn help "
      "rollback'";
  ExpectOneUsageLine(Cairn({"rollback", "--step", "1"}), rollback_steps);
  ExpectOneUsageLine(Cairn({"rollback", "--step=1"}), rollback_steps);
  ExpectOneUsageLine(Cairn({"-d", "sqlite:x.db", "rollback", "--step", "1"}), rollback_steps);
  // A global option misspelt before the command, or after it.
  ExpectOneUsageLine(Cairn({"--databse", "sqlite:x.db", "status"}),
                     "unknown option '--databse' (did you mean '--database'?); see 'cairn help'");
  ExpectOneUsageLine(Cairn({"status", "--databse=sqlite:x.db"}),
                     "unknown option '--databse' for 'status' (did you mean '--database'?); see "
                     "'cairn help status'");
  ExpectOneUsageLine(Cairn({"--verison"}),
                     "unknown option '--verison' (did you mean '--version'?); see 'cairn help'");
  // Short options.
  ExpectOneUsageLine(Cairn({"status", "-x"}),
                     "unknown option '-x' for 'status'; see 'cairn help status'");
  ExpectOneUsageLine(Cairn({"-Z", "status"}), "unknown option '-Z'; see 'cairn help'");
  EXPECT_FALSE(fs::exists("x.db"));
}

TEST(ClientsCliUsageTest, CompletionPrintsTheInstalledScripts) {
  ProcessResult r = Cairn({"completion", "bash"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ReadFileOrDie(CAIRN_SOURCE_ROOT "/scripts/completion/cairn.bash"));
  r = Cairn({"completion", "zsh"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ReadFileOrDie(CAIRN_SOURCE_ROOT "/scripts/completion/_cairn"));
  // Sourced as printed, it completes from the binary's own help.
  r = RunProcess({"/bin/bash", "-c",
                  "source <(\"$0\" completion bash); COMP_WORDS=(\"$0\" rollback --ste); "
                  "COMP_CWORD=2; _cairn; echo \"${COMPREPLY[*]}\"",
                  CairnBinary()});
  EXPECT_EQ(r.out, "--steps\n") << r.err;
  r = Cairn({"completion", "fish"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ReadFileOrDie(CAIRN_SOURCE_ROOT "/scripts/completion/cairn.fish"));
  // fish (installed by scripts/install-deps.sh all) completes commands and
  // a command's options from the binary's help.
  r = RunProcess({"/usr/bin/fish", "--no-config", "-c",
                  "\"$argv[1]\" completion fish | source; complete -C\"$argv[1] rollback --ste\"; "
                  "complete -C\"$argv[1] statu\"",
                  CairnBinary()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "--steps\nstatus\n") << r.err;
  r = Cairn({"completion", "tcsh"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
}

TEST(ClientsCliUsageTest, AFailureIsPrintedOnce) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 1);
  std::ofstream(migrations + "/0002_broken.sql") << "-- cairn:up\nCREATE TABLE oops (;\n"
                                                 << "-- cairn:down\nDROP TABLE oops;\n";
  ProcessResult r = Cairn({"-d", "sqlite:" + dir.File("a.db"), "--dir", migrations, "migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // The failure's message appears on one line only, with the one prefix.
  size_t first = r.err.find("migration 0002 failed");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("migration 0002 failed", first + 1), std::string::npos) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("\nerror ")));
  EXPECT_THAT(r.err, Not(StartsWith("error ")));
}

// A mistyped SQLite path under a read-only command is exit 4 naming the
// path, and no file appears; a command that writes still creates it.
TEST(ClientsCliUsageTest, ReadOnlyCommandsNeverCreateADatabase) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 1);
  const std::string typo = dir.File("campsu.db");
  const std::vector<std::vector<std::string>> commands = {
      {"status"},
      {"status", "--json"},
      {"history"},
      {"verify"},
      {"drift"},
      {"diff"},
      {"report", "--out", dir.File("r.html")},
      {"export", "--format", "jsonl", "--out", dir.File("e.jsonl")}};
  for (const auto& command : commands) {
    std::vector<std::string> args{"-d", "sqlite:" + typo, "--dir", migrations};
    args.insert(args.end(), command.begin(), command.end());
    ProcessResult r = Cairn(args);
    EXPECT_EQ(r.exit_code, 4) << command[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("'" + typo + "' does not exist")) << command[0];
    EXPECT_EQ(CountLines(r.err), 1) << command[0] << ": " << r.err;
    EXPECT_FALSE(fs::exists(typo)) << command[0] << " created " << typo;
  }
  // plan shows a first deployment against an empty database, creating nothing.
  ProcessResult plan = Cairn({"-d", "sqlite:" + typo, "--dir", migrations, "plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("0001"));
  EXPECT_THAT(plan.err, HasSubstr("does not exist yet: planned against an empty database"));
  EXPECT_FALSE(fs::exists(typo));
  // lint likewise: every migration is pending there.
  ProcessResult lint = Cairn({"-d", "sqlite:" + typo, "--dir", migrations, "lint", "--json"});
  EXPECT_EQ(lint.exit_code, 0) << lint.err;
  EXPECT_THAT(lint.err, HasSubstr("does not exist yet: linted as an empty database"));
  EXPECT_EQ(nlohmann::json::parse(lint.out, nullptr, false).value("files", 0), 1) << lint.out;
  EXPECT_FALSE(fs::exists(typo));
  ProcessResult r = Cairn({"-d", "sqlite:" + typo, "--dir", migrations, "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(typo));
  EXPECT_EQ(Cairn({"-d", "sqlite:" + typo, "--dir", migrations, "status"}).exit_code, 0);
}

// Migration numbers compare by value: `--to 2` names 0002_t2.sql.
TEST(ClientsCliUsageTest, ToNamesAMigrationByItsNumbersValue) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 3);
  const std::vector<std::string> target{"-d", "sqlite:" + dir.File("a.db"), "--dir", migrations};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), target.begin(), target.end());
    return Cairn(args);
  };
  ProcessResult up = run({"migrate", "--to", "2"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  ProcessResult plan = run({"plan", "--to", "3"});
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_THAT(plan.out, HasSubstr("0003")) << plan.out;
  ProcessResult status = run({"status", "--json"});
  EXPECT_THAT(status.out, HasSubstr("\"version\": \"0002\"")) << status.out;
  ProcessResult none = run({"migrate", "--to", "2"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  ProcessResult down = run({"rollback", "--to", "1"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  status = run({"status", "--json"});
  EXPECT_THAT(status.out, HasSubstr("\"version\": \"0001\"")) << status.out;
  // A number no file has is still refused, naming it.
  ProcessResult unknown = run({"migrate", "--to", "7"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("--to 7: no migration file has that number"));
}

// The events of a `history --json` document, each as compact JSON.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_object()) << text;
  if (!doc.is_object()) return out;
  for (const nlohmann::json& e : doc["events"]) out.push_back(e.dump());
  return out;
}

TEST(ClientsCliUsageTest, HistoryFiltersByCountTimeAndMigration) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 3);
  const std::vector<std::string> target{"-d", "sqlite:" + dir.File("a.db"), "--dir", migrations};
  auto history = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = target;
    args.push_back("history");
    args.push_back("--json");
    args.insert(args.end(), flags.begin(), flags.end());
    return Cairn(args);
  };
  ASSERT_EQ(Cairn({"-d", "sqlite:" + dir.File("a.db"), "--dir", migrations, "migrate"}).exit_code,
            0);
  const auto all = Lines(history({}).out);
  ASSERT_GE(all.size(), 8u);

  // --limit: the newest N, in order.
  auto newest = Lines(history({"--limit", "2"}).out);
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0], all[all.size() - 2]);
  EXPECT_EQ(newest[1], all.back());

  // --migration by value, combined with --limit.
  auto two = Lines(history({"--migration", "2"}).out);
  ASSERT_FALSE(two.empty());
  EXPECT_LT(two.size(), all.size());
  for (const auto& line : two) EXPECT_THAT(line, HasSubstr("\"migration_id\":\"0002\""));
  auto last_of_two = Lines(history({"--migration", "0002", "--limit", "1"}).out);
  ASSERT_EQ(last_of_two.size(), 1u);
  EXPECT_EQ(last_of_two[0], two.back());

  // --since: a duration ago, a date, an RFC 3339 time with an offset.
  EXPECT_EQ(Lines(history({"--since", "1d"}).out).size(), all.size());
  EXPECT_EQ(Lines(history({"--since", "2000-01-01"}).out).size(), all.size());
  EXPECT_TRUE(Lines(history({"--since", "2999-01-01T00:00:00+02:00"}).out).empty());

  // Malformed values: one usage line naming the flag, exit 2.
  ProcessResult bad = history({"--since", "2026-13-01"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, StartsWith("cairn: error: --since '2026-13-01': expected"));
  EXPECT_EQ(CountLines(bad.err), 1) << bad.err;
  EXPECT_EQ(history({"--limit", "0"}).exit_code, 2);
}

TEST(ClientsCliUsageTest, WarningsHaveOnePrefix) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 2);
  const std::string url = "sqlite:" + dir.File("a.db");
  ASSERT_EQ(Cairn({"-d", url, "--dir", migrations, "migrate"}).exit_code, 0);
  fs::remove(migrations + "/0002_t2.sql");  // applied, and now without its file
  ProcessResult r = Cairn({"-d", url, "--dir", migrations, "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, StartsWith("cairn: warning: "));
  EXPECT_THAT(r.err, HasSubstr("0002"));
  EXPECT_THAT(r.err, Not(HasSubstr("\nwarning ")));
  EXPECT_THAT(r.err, Not(StartsWith("warning ")));
  EXPECT_THAT(r.err, Not(HasSubstr("\x1b[")));  // not a terminal: no colour
}

TEST(ClientsCliUsageTest, QuietIsSilentOnSuccess) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 2);
  const std::string url = "sqlite:" + dir.File("a.db");
  ProcessResult r = Cairn({"-q", "-d", url, "--dir", migrations, "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  r = Cairn({"-d", url, "--dir", migrations, "rollback", "--steps", "1", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out + r.err, "");
  // It did the work: 0001 is applied, 0002 pending.
  r = Cairn({"-d", url, "--dir", migrations, "status", "--json"});
  EXPECT_THAT(r.out, HasSubstr("0002"));
  // Without -q the same run reports what it applied.
  r = Cairn({"-d", url, "--dir", migrations, "migrate"});
  EXPECT_THAT(r.out, HasSubstr("applied 0002"));
}

// Runs argv on a fresh pseudo-terminal (util-linux `script`: stdin, stdout
// and stderr are the terminal), with `env` added; r.out is what it showed.
ProcessResult RunWithTerminal(const std::vector<std::string>& argv,
                              const std::map<std::string, std::string>& env) {
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "'" : " '") + a + "'";
  return RunProcess({"/usr/bin/script", "--quiet", "--return", "--command", command, "/dev/null"},
                    env);
}

TEST(ClientsCliUsageTest, ColourOnlyOnATerminalAndNeverUnderNoColor) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 2);
  const std::string url = "sqlite:" + dir.File("a.db");
  ASSERT_EQ(Cairn({"-d", url, "--dir", migrations, "migrate"}).exit_code, 0);
  fs::remove(migrations + "/0002_t2.sql");
  // migrate warns about the applied migration without a file (nothing to do).
  const std::vector<std::string> argv{CairnBinary(), "-d", url, "--dir", migrations, "migrate"};
  ProcessResult r = RunWithTerminal(argv, {{"TERM", "xterm"}});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("cairn: \x1b["));  // the level name, coloured
  EXPECT_THAT(r.out, HasSubstr("warning\x1b[m: "));
  r = RunWithTerminal(argv, {{"TERM", "xterm"}, {"NO_COLOR", "1"}});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("cairn: warning: "));
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b[")));
}

// A batched migration's progress, as `--progress auto` picks it: on a
// terminal a bar redrawn in place (carriage returns, no log lines); on a
// pipe a log line per report and never a carriage return. The pause makes
// the 10 batches last over a second, so the bar is redrawn while the run is
// under way, not only at the end.
TEST(ClientsCliUsageTest, ProgressIsABarOnATerminalAndLinesOnAPipe) {
  TempDir dir;
  const std::string migrations = dir.File("migrations");
  fs::create_directories(migrations);
  std::ofstream(migrations + "/0001_items.sql")
      << "-- cairn:up\nCREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);\n"
      << "INSERT INTO items (id, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
      << "SELECT i + 1 FROM n WHERE i < 40) SELECT i, 0 FROM n;\n"
      << "-- cairn:down\nDROP TABLE items;\n";
  std::ofstream(migrations + "/0002_backfill.sql")
      << "-- cairn:up\n-- cairn:batch table=items key=id size=4\n"
      << "UPDATE items SET v = 1 WHERE id > :after AND id <= :upto;\n"
      << "-- cairn:down\n-- cairn:batch table=items key=id size=4\n"
      << "UPDATE items SET v = 0 WHERE id > :after AND id <= :upto;\n";
  const std::string url = "sqlite:" + dir.File("a.db");
  const std::vector<std::string> argv{CairnBinary(), "-d",      url,          "--dir",
                                      migrations,    "migrate", "--pause-ms", "150"};
  ProcessResult r = RunWithTerminal(argv, {{"TERM", "xterm"}});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // The final state of the bar, drawn over the earlier ones.
  EXPECT_THAT(r.out, HasSubstr("[########################] 100.0%  40/40 rows"));
  EXPECT_THAT(r.out, HasSubstr("ETA done"));
  const size_t redraws = std::count(r.out.begin(), r.out.end(), '\r');
  // script(1) turns each newline into CR LF; the bar's own returns are the rest.
  const size_t newlines = std::count(r.out.begin(), r.out.end(), '\n');
  EXPECT_GE(redraws, newlines + 3) << r.out;     // drawn at least three times
  EXPECT_THAT(r.out, Not(HasSubstr("rows (")));  // no log lines on a terminal

  // The same run on a pipe, rolled back and applied again: log lines only.
  ASSERT_EQ(Cairn({"-d", url, "--dir", migrations, "rollback", "--progress", "off"}).exit_code, 0);
  r = Cairn({"-d", url, "--dir", migrations, "migrate", "--pause-ms", "150"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("40/40 rows (100.0%)"));
  EXPECT_THAT(r.err, HasSubstr("ETA done\n"));
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("[#")));
}

// The man page is generated at build time from the command table --help
// shows: it has a section for every command `cairn help` lists, and every
// option of a command's --help.
TEST(ClientsCliUsageTest, GeneratedManPageListsEveryCommand) {
  const std::string page = ReadFileOrDie(CAIRN_MAN_PAGE);
  EXPECT_THAT(page, StartsWith(".\\\" cairn(1)"));
  EXPECT_THAT(page, HasSubstr(".TH CAIRN 1 \"2026\" \"cairn " CAIRN_PROJECT_VERSION "\""));
  EXPECT_THAT(page, Not(HasSubstr("@CAIRN_")));
  ProcessResult help = Cairn({"help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  // CLI11 lists the commands after "Subcommands:", one per line, indented.
  const size_t at = help.out.find("Subcommands:");
  ASSERT_NE(at, std::string::npos) << help.out;
  std::istringstream lines(help.out.substr(at));
  std::vector<std::string> commands;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  ", 0) != 0) continue;
    std::istringstream words(line);
    std::string name;
    words >> name;
    commands.push_back(name);
  }
  ASSERT_GE(commands.size(), 25u) << help.out;
  for (const std::string& command : commands) {
    std::string roff;
    for (char c : command) roff += c == '-' ? std::string("\\-") : std::string(1, c);
    EXPECT_THAT(page, HasSubstr("\n.SS " + roff + "\n")) << command;
  }
  // A command's own options are there too, as --help shows them.
  EXPECT_THAT(page, HasSubstr("\\fB\\-\\-lock\\-timeout\\fR"));
  EXPECT_THAT(page, HasSubstr("\\fB\\-\\-tx\\fR \\fIper\\-migration|all|none\\fR"));
  EXPECT_THAT(page, HasSubstr(".SH EXIT STATUS"));
  // The page is what `cairn help --man` prints, with the template's prose.
  ProcessResult man = Cairn({"help", "--man"});
  ASSERT_EQ(man.exit_code, 0) << man.err;
  EXPECT_THAT(page, HasSubstr(man.out));
}

}  // namespace
}  // namespace cairn::testing
