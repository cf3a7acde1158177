// cairn lint: dangerous PostgreSQL operations in migration files
// (docs/lint.md); and `migrate --lint` (cli/lint_gate.h).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "build_info.h"
#include "cairn/db/database.h"
#include "cairn/runner/lint.h"
#include "cairn/runner/migration.h"
#include "cairn/runner/plan.h"
#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"
#include "cli/json_output.h"
#include "cli/lint_gate.h"

namespace cairn::cli {
namespace {

constexpr int64_t kDefaultLargeRows = 1'000'000;
constexpr int64_t kDefaultLargeBytes = int64_t{1} << 30;  // 1 GiB

struct LintFlags {
  std::vector<std::string> files;
  bool json = false, sarif = false, github = false;
  std::vector<std::string> enable, disable;
  std::optional<int> pg_version;
  std::optional<int64_t> large_rows, large_bytes;
  bool offline = false, rehearse = false;
  std::optional<std::string> pending_from;
};

// The options from cairn.toml's [lint] and the flags (flags win; rule lists
// are merged). `server_version`: the target's, when it was read.
runner::LintOptions Options(const CliContext& ctx, const LintFlags& f,
                            std::optional<int> server_version) {
  const LintSettings& s = ctx.settings.lint;
  runner::LintOptions o;
  o.enable = s.enable;
  o.enable.insert(o.enable.end(), f.enable.begin(), f.enable.end());
  o.disable = s.disable;
  o.disable.insert(o.disable.end(), f.disable.begin(), f.disable.end());
  o.severity = s.severity;
  o.ignore = s.ignore;
  o.ignore_base = s.base_dir;
  if (f.pg_version)
    o.server_version = *f.pg_version * 10000;
  else if (s.pg_version)
    o.server_version = *s.pg_version * 10000;
  else if (server_version)
    o.server_version = *server_version;
  return o;
}

// What the target says: its server version (PostgreSQL) and table sizes.
std::optional<int> ServerVersion(runner::Runner& runner) {
  if (runner.connection().backend() != db::Backend::kPostgres) return std::nullopt;
  auto rows = runner.connection().Query("SELECT current_setting('server_version_num')::int");
  if (!rows.ok() || rows->empty()) return std::nullopt;
  return static_cast<int>((*rows)[0][0].AsInt());
}

Status AddSizes(const CliContext& ctx, const LintFlags& f, runner::Runner& runner,
                runner::LintResult* result) {
  if (runner.connection().backend() != db::Backend::kPostgres) return Status::Ok();
  const LintSettings& s = ctx.settings.lint;
  const int64_t rows = f.large_rows.value_or(s.large_table_rows.value_or(kDefaultLargeRows));
  const int64_t bytes = f.large_bytes.value_or(s.large_table_bytes.value_or(kDefaultLargeBytes));
  return runner::AddTableSizes(runner.connection(), rows, bytes, result);
}

int CountLarge(const runner::LintResult& result) {
  int n = 0;
  for (const auto& x : result.findings) n += x.large_table;
  return n;
}

nlohmann::json FindingJson(const runner::LintFinding& x) {
  nlohmann::json j = {{"file", x.file},          {"line", x.line},         {"column", x.column},
                      {"rule", x.rule},          {"severity", x.severity}, {"message", x.message},
                      {"statement", x.statement}};
  if (!x.table.empty()) {
    j["table"] = {{"name", x.table}, {"large", x.large_table}};
    if (x.table_rows >= 0) j["table"]["rows"] = x.table_rows;
    if (x.table_bytes >= 0) j["table"]["bytes"] = x.table_bytes;
  }
  return j;
}

void PrintResult(const LintFlags& f, const runner::LintResult& result) {
  if (f.sarif) {
    std::fputs(runner::LintSarif(result, CAIRN_BUILD_VERSION).c_str(), stdout);
  } else if (f.github) {
    std::fputs(runner::LintGithubAnnotations(result).c_str(), stdout);
  } else if (f.json) {
    nlohmann::json j = {{"files", result.files},
                        {"silenced", result.silenced},
                        {"ignored_files", result.ignored_files},
                        {"findings", nlohmann::json::array()}};
    for (const auto& x : result.findings) j["findings"].push_back(FindingJson(x));
    if (JsonDocument* doc = ActiveJson()) {  // docs/json.md: the command's fields in the envelope
      for (const auto& [key, value] : j.items()) doc->Field(key, value);
    } else {
      std::printf("%s\n", j.dump(2).c_str());
    }
  } else {
    for (const auto& x : result.findings) std::printf("%s\n", runner::LintTextLine(x).c_str());
    std::printf("%zu finding(s) in %d file(s), %d silenced", result.findings.size(), result.files,
                result.silenced);
    if (int large = CountLarge(result)) std::printf(", %d on large tables", large);
    if (result.ignored_files) std::printf(", %d file(s) ignored", result.ignored_files);
    std::printf("\n");
  }
}

// The line a rehearsal message names ("PATH:LINE: ..."), else `fallback`,
// and the message without that prefix.
std::pair<int, std::string> LineOf(const std::string& message, const std::string& path,
                                   int fallback) {
  if (message.rfind(path + ":", 0) == 0) {
    size_t at = path.size() + 1, end = at;
    while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
    int line = 0;
    const auto parsed = std::from_chars(message.data() + at, message.data() + end, line);
    if (end > at && end < message.size() && message[end] == ':' && parsed.ec == std::errc()) {
      size_t rest = end + 1;
      while (rest < message.size() && message[rest] == ' ') ++rest;
      return {line, message.substr(rest)};
    }
  }
  return {fallback, message};
}

// Rehearsal problems as findings (docs/lint.md): a down section that does
// not reverse its up at its `-- cairn:down` line, one per migration (an up
// that fails after a down that left a table is the same fault); an up
// section that fails on the copy at the failing statement's line; a
// migration without a down section at its `-- cairn:up` line.
std::vector<runner::LintOptions::External> RehearsalFindings(
    const runner::RehearsalReport& report, const std::vector<runner::Migration>& folder) {
  std::vector<runner::LintOptions::External> out;
  std::set<std::string> reported;
  for (const runner::RehearsalProblem& p : report.problems) {
    const runner::Migration* m = nullptr;
    for (const auto& x : folder)
      if (x.id == p.migration_id) m = &x;
    if (m == nullptr) {  // not a file of the folder (cannot happen: said, not lost)
      std::fprintf(stderr, "cairn: warning: --rehearse: migration %s: %s: %s\n",
                   p.migration_id.c_str(), p.kind.c_str(), p.message.c_str());
      continue;
    }
    const int up_line = std::max(1, m->up.first_line - 1);
    if (p.kind == "up failed") {
      auto [line, message] = LineOf(p.message, m->path, up_line);
      out.push_back({m->path, line, "up-fails-on-rehearsal",
                     "the up section fails on a copy of the target: " + message});
      continue;
    }
    if (p.kind == "no down" || !m->down) {
      out.push_back({m->path, up_line, "no-down-section",
                     "no '-- cairn:down' section: `cairn rollback` cannot revert this migration, "
                     "and rehearsal ran its up section only"});
      continue;
    }
    if (!reported.insert(p.migration_id).second) continue;
    std::string message;
    if (p.kind == "down leaves schema changed")
      message = "the down section does not return the schema to what it was before up";
    else if (p.kind == "up after down differs")
      message = "up after down gives another schema than up did";
    else
      message = p.kind + " on a copy of the target: " + p.message;
    for (size_t i = 0; i < p.differences.size(); ++i)
      message += (i == 0 ? ": " : "; ") + p.differences[i];
    out.push_back({m->path, m->down->first_line - 1, "down-does-not-reverse-up", message});
  }
  return out;
}

// "0012" < "13": migration ids compare by numeric value.
bool IdBefore(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

CommandAction SetupLint(CLI::App* cmd) {
  auto f = std::make_shared<LintFlags>();
  cmd->add_option("files", f->files, "migration files (default: every file in --dir)");
  // Output formats are flags: --format is the global layout of --dir.
  auto* json = cmd->add_flag("--json", f->json, "print the findings as JSON");
  auto* sarif = cmd->add_flag("--sarif", f->sarif,
                              "print the findings as SARIF 2.1.0 (for code-scanning services)");
  auto* github = cmd->add_flag("--github", f->github,
                               "print the findings as GitHub Actions annotations (::error ...)");
  json->excludes(sarif)->excludes(github);
  sarif->excludes(github);
  // One rule per flag, so that files can follow (`--enable all x.sql`).
  cmd->add_option("--enable", f->enable,
                  "switch on a hint rule (repeatable; 'all' for every hint; adds to cairn.toml's)")
      ->allow_extra_args(false);
  cmd->add_option("--disable", f->disable,
                  "switch a rule off (repeatable; adds to cairn.toml's [lint] disable)")
      ->allow_extra_args(false);
  cmd->add_option("--pg-version", f->pg_version,
                  "the target PostgreSQL major version (default: cairn.toml's, the target's, 15)")
      ->check(CLI::Range(9, 99));
  cmd->add_option("--large-table-rows", f->large_rows,
                  "with a PostgreSQL target: a table of this many rows is large (default 1000000)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--large-table-bytes", f->large_bytes,
                  "with a PostgreSQL target: a table of this many bytes is large (default 1 GiB)")
      ->check(CLI::NonNegativeNumber);
  auto* offline = cmd->add_flag("--offline", f->offline,
                                "read no database even when one is configured: files only");
  cmd->add_option("--pending-from", f->pending_from,
                  "without a database: migrations from this id on are unapplied (their creations "
                  "exempt later ones)")
      ->excludes(offline);
  cmd->add_flag("--rehearse", f->rehearse,
                "with a database: run each pending migration up, down, up on a copy of the target "
                "and report a down section that does not reverse its up")
      ->excludes(offline)
      ->excludes(cmd->get_option("--pending-from"));
  return [f](CliContext& ctx) -> int {
    std::vector<std::string> files = f->files;
    std::vector<runner::Migration> folder;
    if (f->rehearse && ctx.database.empty())
      return Fail(InvalidArgumentError(
                      "--rehearse needs a database (--database, DATABASE_URL or cairn.toml)")
                      .WithKind(kBadFlag));
    if (files.empty() || f->pending_from || f->rehearse) {
      auto loaded = runner::LoadMigrations(ctx.dir);
      if (!loaded.ok()) return Fail(loaded.status());
      folder = std::move(*loaded);
    }
    if (files.empty())
      for (const auto& m : folder) files.push_back(m.path);
    std::unique_ptr<runner::Runner> target;
    std::vector<std::string> pending;
    std::vector<runner::LintOptions::External> rehearsed;
    if (f->pending_from) {
      if (f->pending_from->empty() ||
          f->pending_from->find_first_not_of("0123456789") != std::string::npos)
        return Fail(InvalidArgumentError("--pending-from " + *f->pending_from +
                                         ": not a migration id (digits)")
                        .WithKind(kBadFlag));
      for (const auto& m : folder)
        if (!IdBefore(m.id, *f->pending_from)) pending.push_back(m.path);
    } else if (!f->offline && !ctx.database.empty()) {
      // The target says which migrations are unapplied (docs/lint.md,
      // "Context"); a SQLite file that does not exist yet has none applied
      // (as for plan), except for --rehearse, which needs a target to copy.
      int rc;
      target = f->rehearse ? ctx.OpenRunner(ctx.ReadOnlyRunnerOptions(), &rc)
                           : ctx.OpenMissingAsEmpty(
                                 ctx.ReadOnlyRunnerOptions(),
                                 "linted as an empty database, every migration pending", &rc);
      if (!target) return rc;
      auto status = target->GetStatus();
      if (!status.ok()) return Fail(status.status());
      for (const auto& v : status->migrations)
        if ((v.state == "pending" || v.state == "rolled_back" || v.state == "failed") &&
            !v.file.empty())
          pending.push_back(ctx.dir + "/" + v.file);
    }
    if (f->rehearse) {
      // A template copy of the target needs it free of sessions: ours closes.
      target.reset();
      auto report = runner::Rehearse(ctx.database, ctx.RunnerOptionsFromGlobals());
      if (!report.ok()) return Fail(report.status().Annotate("--rehearse"));
      rehearsed = RehearsalFindings(*report, folder);
      int rc;
      target = ctx.OpenRunner(ctx.ReadOnlyRunnerOptions(), &rc);
      if (!target) return rc;
    }
    runner::LintOptions options = Options(ctx, *f, target ? ServerVersion(*target) : std::nullopt);
    options.pending = std::move(pending);
    options.external = std::move(rehearsed);
    auto result = runner::LintFiles(files, options);
    if (!result.ok()) return Fail(result.status());
    if (target)
      if (Status s = AddSizes(ctx, *f, *target, &*result); !s.ok()) return Fail(s);
    PrintResult(*f, *result);
    return result->findings.empty() ? kExitOk : kExitLintFindings;
  };
}

}  // namespace

int LintBeforeMigrate(const CliContext& ctx, runner::Runner& runner,
                      const runner::MigrateOptions& migrate) {
  auto plan = runner.PlanMigrate(migrate);
  if (!plan.ok()) return Fail(plan.status());
  std::vector<std::string> pending;
  for (const runner::Migration& m : plan->steps)
    if (m.step == nullptr && !m.path.empty()) pending.push_back(m.path);
  const LintFlags none;
  runner::LintOptions options = Options(ctx, none, ServerVersion(runner));
  options.pending = pending;
  auto result = runner::LintFiles(pending, options);
  if (!result.ok()) return Fail(result.status().Annotate("--lint"));
  if (Status s = AddSizes(ctx, none, runner, &*result); !s.ok()) return Fail(s);
  int errors = 0;
  for (const auto& x : result->findings) {
    errors += runner::IsLintError(x);
    std::fprintf(stderr, "cairn: %s: %s\n", x.severity.c_str(), runner::LintTextLine(x).c_str());
  }
  if (errors == 0) return kExitOk;
  std::fprintf(stderr,
               "cairn: error: --lint: %d error-level finding(s) in the pending migrations: nothing "
               "was migrated (docs/lint.md, Silencing)\n",
               errors);
  return kExitLintFindings;
}

CAIRN_REGISTER_COMMAND(lint, "flag dangerous PostgreSQL operations in migration files", 80,
                       SetupLint);

}  // namespace cairn::cli
