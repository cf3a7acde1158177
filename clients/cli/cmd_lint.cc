// cairn lint: dangerous PostgreSQL operations in migration files (docs/lint.md).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "build_info.h"
#include "cairn/runner/lint.h"
#include "cairn/runner/migration.h"
#include "cli/cli.h"

namespace cairn::cli {
namespace {

struct LintFlags {
  std::vector<std::string> files;
  bool json = false, sarif = false, github = false;
  runner::LintOptions options;
  int pg_version = 15;
};

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
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& x : result.findings) std::printf("%s\n", runner::LintTextLine(x).c_str());
    std::printf("%zu finding(s) in %d file(s), %d silenced\n", result.findings.size(), result.files,
                result.silenced);
  }
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
  cmd->add_option("--enable", f->options.enable,
                  "switch on a hint rule (repeatable; 'all' for every hint)");
  cmd->add_option("--pg-version", f->pg_version, "the target PostgreSQL major version (default 15)")
      ->check(CLI::Range(9, 99));
  return [f](CliContext& ctx) -> int {
    std::vector<std::string> files = f->files;
    if (files.empty()) {
      auto loaded = runner::LoadMigrations(ctx.dir);
      if (!loaded.ok()) return Fail(loaded.status());
      for (const auto& m : *loaded) files.push_back(m.path);
    }
    f->options.server_version = f->pg_version * 10000;
    auto result = runner::LintFiles(files, f->options);
    if (!result.ok()) return Fail(result.status());
    PrintResult(*f, *result);
    return result->findings.empty() ? kExitOk : kExitLintFindings;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(lint, "flag dangerous PostgreSQL operations in migration files", 80,
                       SetupLint);

}  // namespace cairn::cli
