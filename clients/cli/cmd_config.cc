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
    for (const auto& [key, value] : j.items()) doc->Field(key, value);
    return kExitOk;
  }
  std::printf("config file             %s\n", s.config_file.empty()
                                                  ? "(none: no cairn.toml here or in a parent)"
                                                  : s.config_file.c_str());
  for (const auto& [key, setting] : rows)
    std::printf("%-23s %s%s\n", key, setting.empty() ? "(not set)" : setting.value.c_str(),
                setting.empty() ? "" : ("  (" + setting.source + ")").c_str());
  std::string names;
  for (const std::string& n : s.protected_environments) names += (names.empty() ? "" : ", ") + n;
  std::printf("%-23s %s  (%s)\n", "protected_environments", names.c_str(),
              s.protected_source.c_str());
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
