#include "cli/project_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cairn/runner/checks.h"
#include "cairn/runner/lint.h"
#include "cli/exit_codes.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;

Status Bad(std::string message) {
  return InvalidArgumentError(std::move(message)).WithKind(kBadFlag);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The keys a `[env.NAME]` block (and the top level) may set.
constexpr std::string_view kSettingKeys[] = {"database", "dir", "format", "stream", "lock_timeout"};

bool IsSettingKey(std::string_view k) {
  return std::find(std::begin(kSettingKeys), std::end(kSettingKeys), k) != std::end(kSettingKeys);
}

// `.env` as dbmate reads it (godotenv), for the forms projects use:
// `KEY=value`, `export KEY=value`, single- or double-quoted values, `#`
// comments on their own line or after an unquoted value.
struct DotEnv {
  std::optional<std::string> database_url, cairn_env;
  int database_url_line = 0, cairn_env_line = 0;
};

std::string_view Trim(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

DotEnv ReadDotEnv(const fs::path& file) {
  DotEnv out;
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string_view s = Trim(line);
    if (s.empty() || s.front() == '#') continue;
    if (s.substr(0, 7) == "export ") s = Trim(s.substr(7));
    const size_t eq = s.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = Trim(s.substr(0, eq));
    std::string_view value = Trim(s.substr(eq + 1));
    std::string v;
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const char q = value.front();
      const size_t end = value.find(q, 1);
      v = std::string(value.substr(1, end == std::string_view::npos ? value.npos : end - 1));
      if (q == '"') {  // \n and \" as godotenv expands them
        std::string e;
        for (size_t i = 0; i < v.size(); ++i) {
          if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == 'n' || v[i + 1] == '"')) {
            e += v[i + 1] == 'n' ? '\n' : '"';
            ++i;
          } else {
            e += v[i];
          }
        }
        v = e;
      }
    } else {
      if (const size_t hash = value.find(" #"); hash != std::string_view::npos)
        value = Trim(value.substr(0, hash));
      v = std::string(value);
    }
    if (key == "DATABASE_URL") {
      out.database_url = v;
      out.database_url_line = n;
    } else if (key == "CAIRN_ENV") {
      out.cairn_env = v;
      out.cairn_env_line = n;
    }
  }
  return out;
}

class TomlFile {
 public:
  TomlFile(fs::path path, const SettingInputs& in) : path_(std::move(path)), in_(in) {}

  Status Load() {
    // Debian's toml++ is built with exceptions; none leaves this function.
    try {
      table_ = toml::parse_file(path_.string());
    } catch (const toml::parse_error& err) {
      return Bad(Where(err.source().begin.line) + std::string(err.description()));
    }
    for (const auto& [key, node] : table_) {
      const std::string k(key.str());
      if (k == "env") {
        const toml::table* envs = node.as_table();
        if (!envs) return Bad(Where(node) + "'env' must be a table of [env.NAME] blocks");
        for (const auto& [name, block] : *envs) {
          const toml::table* t = block.as_table();
          if (!t)
            return Bad(Where(block) + "[env." + std::string(name.str()) + "] must be a table");
          for (const auto& [ek, ev] : *t)
            if (!IsSettingKey(ek.str()))
              return Bad(Where(ev) + "unknown key '" + std::string(ek.str()) + "' in [env." +
                         std::string(name.str()) +
                         "] (expected database, dir, format, stream, "
                         "lock_timeout)");
        }
      } else if (k == "lint") {
        CAIRN_RETURN_IF_ERROR(ReadLint(node));
      } else if (k != "protected_environments" && !IsSettingKey(k)) {
        return Bad(Where(node) + "unknown key '" + k +
                   "' (expected database, dir, format, stream, lock_timeout, "
                   "protected_environments, [lint] or [env.NAME])");
      }
    }
    return Status::Ok();
  }

  std::vector<std::string> EnvNames() const {
    std::vector<std::string> out;
    if (const toml::table* envs = table_["env"].as_table())
      for (const auto& [name, block] : *envs) out.emplace_back(name.str());
    return out;
  }

  // The value of `key` from [env.<env>] or the top level, with ${NAME}
  // expanded; empty when neither sets it.
  StatusOr<Setting> Get(std::string_view key, const std::string& env) const {
    const toml::node* node = nullptr;
    std::string where;
    if (!env.empty()) {
      if (const toml::table* block = table_["env"][env].as_table()) {
        node = block->get(key);
        where = " [env." + env + "]";
      }
    }
    if (node == nullptr) {
      node = table_.get(key);
      where.clear();
    }
    if (node == nullptr) return Setting{};
    const auto* s = node->as_string();
    if (!s) return Bad(Where(*node) + "'" + std::string(key) + "' must be a string");
    CAIRN_ASSIGN_OR_RETURN(std::string value, Expand(s->get(), key, *node));
    return Setting{std::move(value),
                   Name() + ":" + std::to_string(node->source().begin.line) + where};
  }

  StatusOr<std::vector<std::string>> Protected(std::string* source) const {
    const toml::node* node = table_.get("protected_environments");
    if (node == nullptr) return runner::DefaultProtectedEnvironments();
    const toml::array* arr = node->as_array();
    std::vector<std::string> out;
    if (arr)
      for (const toml::node& n : *arr) {
        if (!n.is_string()) {
          arr = nullptr;
          break;
        }
        out.push_back(*n.value<std::string>());
      }
    if (!arr) return Bad(Where(*node) + "'protected_environments' must be an array of strings");
    *source = Name() + ":" + std::to_string(node->source().begin.line);
    return out;
  }

  fs::path dir() const { return path_.parent_path(); }
  const LintSettings& lint() const { return lint_; }

 private:
  std::string Name() const { return path_.string(); }
  std::string Where(int64_t line) const { return Name() + ":" + std::to_string(line) + ": "; }
  std::string Where(const toml::node& n) const { return Where(n.source().begin.line); }

  // ${NAME} from the environment; $$ is a literal $.
  StatusOr<std::string> Expand(std::string_view s, std::string_view key,
                               const toml::node& node) const {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '$') {
        out += s[i];
        continue;
      }
      if (i + 1 < s.size() && s[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      if (i + 1 < s.size() && s[i + 1] == '{') {
        const size_t end = s.find('}', i + 2);
        if (end == std::string_view::npos)
          return Bad(Where(node) + "'" + std::string(key) + "': unterminated ${");
        const std::string name(s.substr(i + 2, end - i - 2));
        auto value = in_.getenv(name);
        if (!value)
          return Bad(Where(node) + "'" + std::string(key) + "' uses ${" + name +
                     "}, which is not set in the environment");
        out += *value;
        i = end;
        continue;
      }
      out += '$';
    }
    return out;
  }

  // [lint] (docs/lint.md, "Settings").
  Status ReadLint(const toml::node& node) {
    const toml::table* t = node.as_table();
    if (!t) return Bad(Where(node) + "'lint' must be a table ([lint])");
    lint_.source = Name() + ":" + std::to_string(node.source().begin.line) + " [lint]";
    lint_.base_dir = dir().string();
    // A rule id (or squawk's name) named at `n`, as cairn's id.
    auto rule = [&](std::string_view name, const toml::node& n,
                    std::string_view key) -> StatusOr<std::string> {
      for (const runner::LintRule& r : runner::LintRules())
        if (r.id == name || (!r.squawk.empty() && r.squawk == name)) return std::string(r.id);
      if (key == "enable" && name == "all") return std::string("all");
      return Bad(Where(n) + "[lint] " + std::string(key) + ": unknown lint rule '" +
                 std::string(name) + "' (docs/lint.md lists them)");
    };
    auto strings = [&](const toml::node& n, std::string_view key,
                       std::vector<std::string>* out) -> Status {
      const toml::array* arr = n.as_array();
      if (!arr) return Bad(Where(n) + "[lint] " + std::string(key) + " must be an array");
      for (const toml::node& e : *arr) {
        if (key == "ignore") {
          if (!e.is_string()) return Bad(Where(e) + "[lint] ignore: patterns must be strings");
          out->push_back(*e.value<std::string>());
          continue;
        }
        if (!e.is_string())
          return Bad(Where(e) + "[lint] " + std::string(key) + ": rule ids must be strings");
        CAIRN_ASSIGN_OR_RETURN(std::string id, rule(*e.value<std::string>(), e, key));
        out->push_back(std::move(id));
      }
      return Status::Ok();
    };
    auto integer = [&](const toml::node& n, std::string_view key, int64_t min,
                       int64_t max) -> StatusOr<int64_t> {
      const auto* i = n.as_integer();
      if (!i || i->get() < min || i->get() > max)
        return Bad(Where(n) + "[lint] " + std::string(key) + " must be an integer from " +
                   std::to_string(min) + " to " + std::to_string(max));
      return i->get();
    };
    for (const auto& [key, value] : *t) {
      const std::string k(key.str());
      if (k == "enable") {
        CAIRN_RETURN_IF_ERROR(strings(value, k, &lint_.enable));
      } else if (k == "disable") {
        CAIRN_RETURN_IF_ERROR(strings(value, k, &lint_.disable));
      } else if (k == "ignore") {
        CAIRN_RETURN_IF_ERROR(strings(value, k, &lint_.ignore));
      } else if (k == "pg_version") {
        CAIRN_ASSIGN_OR_RETURN(int64_t v, integer(value, k, 9, 99));
        lint_.pg_version = static_cast<int>(v);
      } else if (k == "large_table_rows") {
        CAIRN_ASSIGN_OR_RETURN(lint_.large_table_rows, integer(value, k, 0, INT64_MAX));
      } else if (k == "large_table_bytes") {
        CAIRN_ASSIGN_OR_RETURN(lint_.large_table_bytes, integer(value, k, 0, INT64_MAX));
      } else if (k == "severity") {
        const toml::table* sev = value.as_table();
        if (!sev) return Bad(Where(value) + "[lint] severity must be a table ([lint.severity])");
        for (const auto& [id, level] : *sev) {
          CAIRN_ASSIGN_OR_RETURN(std::string r, rule(id.str(), level, "severity"));
          const auto* l = level.as_string();
          if (!l || (l->get() != "error" && l->get() != "warning" && l->get() != "hint"))
            return Bad(Where(level) + "[lint.severity] " + std::string(id.str()) +
                       " must be \"error\", \"warning\" or \"hint\"");
          lint_.severity[r] = l->get();
        }
      } else {
        return Bad(Where(value) + "unknown key '" + k +
                   "' in [lint] (expected enable, disable, severity, pg_version, ignore, "
                   "large_table_rows, large_table_bytes)");
      }
    }
    return Status::Ok();
  }

  fs::path path_;
  const SettingInputs& in_;
  toml::table table_;
  LintSettings lint_;
};

// A `sqlite:` URL with a relative path, made relative to `base`.
std::string AnchorSqlite(const std::string& url, const fs::path& base) {
  const size_t colon = url.find(':');
  if (colon == std::string::npos) return url;
  const std::string scheme = Lower(std::string_view(url).substr(0, colon));
  if (scheme != "sqlite" && scheme != "sqlite3" && scheme != "file") return url;
  std::string rest = url.substr(colon + 1);
  if (rest.rfind("//", 0) == 0) rest.erase(0, 2);
  if (rest.empty() || rest.front() == '/' || rest.rfind(":memory:", 0) == 0) return url;
  return scheme + ":" + (base / rest).lexically_normal().string();
}

std::optional<fs::path> FindConfig(const fs::path& cwd) {
  for (fs::path dir = cwd;; dir = dir.parent_path()) {
    std::error_code ec;
    if (fs::is_regular_file(dir / "cairn.toml", ec)) return dir / "cairn.toml";
    if (dir == dir.root_path() || dir.parent_path() == dir) return std::nullopt;
  }
}

}  // namespace

bool ProjectSettings::IsProtected(std::string_view environment) const {
  return runner::NeedsPreflight(std::string(environment), protected_environments);
}

std::string ProjectSettings::ProtectedWhy() const {
  if (protected_source != "default")
    return "protected by " + protected_source + " protected_environments";
  std::string names;
  for (const std::string& n : protected_environments) names += (names.empty() ? "" : ", ") + n;
  return "protected by default: " + names;
}

StatusOr<ProjectSettings> ResolveSettings(const SettingInputs& in_given) {
  SettingInputs in = in_given;
  if (!in.getenv)
    in.getenv = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
  std::error_code ec;
  const fs::path cwd = in.cwd.empty() ? fs::current_path(ec) : fs::path(in.cwd);

  ProjectSettings out;
  out.protected_environments = runner::DefaultProtectedEnvironments();
  out.protected_source = "default";
  auto flag = [](const std::optional<std::string>& v, const char* name) {
    return v ? Setting{*v, name} : Setting{};
  };
  out.database = flag(in.database, "--database");
  out.dir = flag(in.dir, "--dir");
  out.format = flag(in.format, "--format");
  out.stream = flag(in.stream, "--stream");
  out.lock_timeout = flag(in.lock_timeout, "--lock-timeout");
  out.environment = flag(in.environment, "--env");

  // 2. The environment; 3. .env in the working directory.
  if (out.database.empty())
    if (auto v = in.getenv("DATABASE_URL")) out.database = {*v, "$DATABASE_URL"};
  if (out.environment.empty())
    if (auto v = in.getenv("CAIRN_ENV")) out.environment = {*v, "$CAIRN_ENV"};
  if (out.database.empty() || out.environment.empty()) {
    if (fs::is_regular_file(cwd / ".env", ec)) {
      DotEnv dot = ReadDotEnv(cwd / ".env");
      if (out.database.empty() && dot.database_url)
        out.database = {*dot.database_url, ".env:" + std::to_string(dot.database_url_line)};
      if (out.environment.empty() && dot.cairn_env)
        out.environment = {*dot.cairn_env, ".env:" + std::to_string(dot.cairn_env_line)};
    }
  }

  // 4. cairn.toml.
  std::optional<fs::path> file;
  std::optional<std::string> named = in.config;
  std::string named_by = "--config";
  if (!named)
    if (auto v = in.getenv("CAIRN_CONFIG")) {
      named = *v;
      named_by = "$CAIRN_CONFIG";
    }
  if (named) {
    fs::path p = fs::path(*named).is_absolute() ? fs::path(*named) : cwd / *named;
    if (!fs::is_regular_file(p, ec)) return Bad(named_by + " " + *named + ": no such file");
    file = p.lexically_normal();
  } else {
    file = FindConfig(cwd);
  }
  if (!file) {
    if (out.dir.empty()) out.dir = {"migrations", "default"};
    if (out.lock_timeout.empty()) out.lock_timeout = {"60s", "default"};
    return out;
  }
  out.config_file = file->string();
  TomlFile toml(*file, in);
  CAIRN_RETURN_IF_ERROR(toml.Load());
  const std::vector<std::string> envs = toml.EnvNames();
  const std::string env = out.environment.value;
  if (!env.empty() && !envs.empty() && std::find(envs.begin(), envs.end(), env) == envs.end()) {
    std::string list;
    for (const auto& e : envs) list += (list.empty() ? "" : ", ") + e;
    return Bad((out.environment.source == "--env" ? "--env " : out.environment.source + ": ") +
               env + ": " + out.config_file + " defines no [env." + env + "] (it defines: " + list +
               ")");
  }
  struct Slot {
    const char* key;
    Setting* setting;
  };
  for (Slot slot :
       {Slot{"database", &out.database}, Slot{"dir", &out.dir}, Slot{"format", &out.format},
        Slot{"stream", &out.stream}, Slot{"lock_timeout", &out.lock_timeout}}) {
    if (!slot.setting->empty()) continue;
    CAIRN_ASSIGN_OR_RETURN(Setting s, toml.Get(slot.key, env));
    if (s.empty()) continue;
    if (std::string_view(slot.key) == "dir" && fs::path(s.value).is_relative())
      s.value = (toml.dir() / s.value).lexically_normal().string();
    if (std::string_view(slot.key) == "database") s.value = AnchorSqlite(s.value, toml.dir());
    *slot.setting = std::move(s);
  }
  CAIRN_ASSIGN_OR_RETURN(out.protected_environments, toml.Protected(&out.protected_source));
  out.lint = toml.lint();
  // 5. Defaults.
  if (out.dir.empty()) out.dir = {"migrations", "default"};
  if (out.lock_timeout.empty()) out.lock_timeout = {"60s", "default"};
  return out;
}

}  // namespace cairn::cli
