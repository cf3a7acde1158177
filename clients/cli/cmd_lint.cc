// cairn lint: dangerous PostgreSQL operations in migration files (docs/lint.md).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/runner/lint.h"
#include "cairn/runner/migration.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

struct LintFlags {
  std::vector<std::string> files;
  bool json = false;
  runner::LintOptions options;
  int pg_version = 15;
};

CommandAction SetupLint(CLI::App* cmd) {
  auto f = std::make_shared<LintFlags>();
  cmd->add_option("files", f->files, "migration files (default: every file in --dir)");
  cmd->add_flag("--json", f->json, "print the findings as JSON");
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
    if (f->json) {
      nlohmann::json j = {{"files", result->files},
                          {"silenced", result->silenced},
                          {"findings", nlohmann::json::array()}};
      for (const auto& x : result->findings)
        j["findings"].push_back({{"file", x.file},
                                 {"line", x.line},
                                 {"rule", x.rule},
                                 {"severity", x.severity},
                                 {"message", x.message},
                                 {"statement", x.statement}});
      if (JsonDocument* doc = ActiveJson())  // docs/json.md
        for (const auto& [key, value] : j.items()) doc->Field(key, value);
    } else {
      for (const auto& x : result->findings)
        std::printf("%s:%d: %s: %s\n", x.file.c_str(), x.line, x.rule.c_str(), x.message.c_str());
      std::printf("%zu finding(s) in %d file(s), %d silenced\n", result->findings.size(),
                  result->files, result->silenced);
    }
    return result->findings.empty() ? kExitOk : kExitLintFindings;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(lint, "flag dangerous PostgreSQL operations in migration files", 80,
                       SetupLint);

}  // namespace cairn::cli
