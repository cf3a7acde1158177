// Project settings (docs/config.md): the command line, the environment, a
// `.env` file and `cairn.toml`, resolved into one set of effective settings,
// each with where it came from.
//
//   SettingInputs in;             // what the command line gave, and where
//   in.database = "--database value";
//   CAIRN_ASSIGN_OR_RETURN(ProjectSettings s, ResolveSettings(in));
//   s.database.value ...; s.IsProtected(s.environment.value) ...
//
// Errors are kInvalidArgument with kind kBadFlag (exit 2), one line naming
// the file and line, the flag or the variable.
#ifndef CAIRN_CLIENTS_PROJECT_CONFIG_H_
#define CAIRN_CLIENTS_PROJECT_CONFIG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"

namespace cairn::cli {

// One effective setting. `source` says where it came from: "--dir",
// "$DATABASE_URL", ".env:3", "cairn.toml:7 [env.staging]", "default", or
// empty when nothing set it.
struct Setting {
  std::string value;
  std::string source;
  bool empty() const { return source.empty(); }
};

// cairn.toml's [lint] table (docs/lint.md, "Settings"); rule names are
// checked and may be squawk's.
struct LintSettings {
  std::vector<std::string> enable, disable, ignore;
  std::map<std::string, std::string> severity;  // rule -> error, warning or hint
  std::optional<int> pg_version;                // major version
  std::optional<int64_t> large_table_rows, large_table_bytes;
  std::string base_dir;  // the directory of cairn.toml, for `ignore`
  std::string source;    // "cairn.toml:12 [lint]"; empty when there is no [lint]
};

struct ProjectSettings {
  Setting database, dir, format, stream, lock_timeout, environment;
  LintSettings lint;
  // The names that get the production pre-flight, and where they came from.
  std::vector<std::string> protected_environments;
  std::string protected_source;
  std::string config_file;  // the cairn.toml used; empty when none

  // Whether `environment` is protected (names compare without case).
  bool IsProtected(std::string_view environment) const;
  // Why, for the pre-flight's first line: "protected by default: production,
  // prod, prd, live" or "protected by cairn.toml:5 protected_environments".
  std::string ProtectedWhy() const;
};

// What resolution needs from outside: the flags given on the command line
// (nullopt: not given), the working directory and the environment.
struct SettingInputs {
  std::optional<std::string> database, dir, format, stream, lock_timeout, environment;
  std::optional<std::string> config;  // --config FILE
  std::string cwd;                    // empty: the process's working directory
  // The process environment; replaceable for tests.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

StatusOr<ProjectSettings> ResolveSettings(const SettingInputs& in);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_PROJECT_CONFIG_H_
