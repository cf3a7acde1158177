// cairn config: the effective settings and where each came from
// (docs/config.md), with a database URL's password masked.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cairn/db/database.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

std::string Masked(const std::string& url) {
  if (url.empty()) return url;
  auto parsed = db::ParseDatabaseUrl(url);
  return parsed.ok() ? parsed->redacted : url;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// cairn.toml's [lint] table, key by key as written (docs/lint.md, "Settings").
std::vector<std::pair<std::string, std::string>> LintRows(const LintSettings& l) {
  std::vector<std::pair<std::string, std::string>> rows;
  if (!l.enable.empty()) rows.emplace_back("enable", Joined(l.enable));
  if (!l.disable.empty()) rows.emplace_back("disable", Joined(l.disable));
  if (!l.ignore.empty()) rows.emplace_back("ignore", Joined(l.ignore));
  for (const auto& [rule, severity] : l.severity) rows.emplace_back("severity." + rule, severity);
  if (l.pg_version) rows.emplace_back("pg_version", std::to_string(*l.pg_version));
  if (l.large_table_rows)
    rows.emplace_back("large_table_rows", std::to_string(*l.large_table_rows));
  if (l.large_table_bytes)
    rows.emplace_back("large_table_bytes", std::to_string(*l.large_table_bytes));
  return rows;
}

int ShowConfig(const CliContext& ctx, bool json_out) {
  const ProjectSettings& s = ctx.settings;
  const std::pair<const char*, Setting> rows[] = {
      {"database", {Masked(s.database.value), s.database.source}},
      {"dir", s.dir},
      {"format", s.format},
      {"stream", s.stream},
      {"lock_timeout", s.lock_timeout},
      {"env", s.environment},
  };
  if (JsonDocument* doc = json_out ? ActiveJson() : nullptr) {
    nlohmann::json j;
    j["version"] = 1;  // before docs/json.md's envelope; kept for scripts that read it
    j["config_file"] = s.config_file;
    for (const auto& [key, setting] : rows)
      j["settings"][key] = {{"value", setting.value}, {"source", setting.source}};
    j["protected_environments"] = {{"value", s.protected_environments},
                                   {"source", s.protected_source}};
    j["protected"] = s.IsProtected(s.environment.value);
    nlohmann::json lint = nlohmann::json::object();
    for (const auto& [key, value] : LintRows(s.lint)) lint[key] = value;
    j["lint"] = {{"value", lint}, {"source", s.lint.source}};
    for (const auto& [key, value] : j.items()) doc->Field(key, value);
    return kExitOk;
  }
  std::printf("config file             %s\n", s.config_file.empty()
                                                  ? "(none: no cairn.toml here or in a parent)"
                                                  : s.config_file.c_str());
  for (const auto& [key, setting] : rows)
    std::printf("%-23s %s%s\n", key, setting.empty() ? "(not set)" : setting.value.c_str(),
                setting.empty() ? "" : ("  (" + setting.source + ")").c_str());
  std::printf("%-23s %s  (%s)\n", "protected_environments",
              Joined(s.protected_environments).c_str(), s.protected_source.c_str());
  if (s.lint.source.empty()) {
    std::printf("%-23s %s\n", "lint", "(not set: no [lint] table)");
  } else {
    std::printf("%-23s (%s)\n", "lint", s.lint.source.c_str());
    for (const auto& [key, value] : LintRows(s.lint))
      std::printf("  %-21s %s\n", key.c_str(), value.c_str());
  }
  return kExitOk;
}

}  // namespace

CAIRN_REGISTER_COMMAND(config, "print the effective settings and where each came from", 95,
                       [](CLI::App* cmd) -> CommandAction {
                         auto json_out = std::make_shared<bool>(false);
                         cmd->add_flag("--json", *json_out, "print the settings as JSON");
                         return [json_out](CliContext& ctx) { return ShowConfig(ctx, *json_out); };
                       });

}  // namespace cairn::cli
