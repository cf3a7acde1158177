// Readers for dbmate, golang-migrate, Flyway and diesel folders
// (docs/formats.md). Each builds cairn's own text for the migration in memory
// and parses it with ParseMigration, so every check cairn makes of its own
// files (transaction control, directives, empty sections) applies; file
// names, lines and checksums are then mapped back to the real files.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>

#include "../migration_dir.h"
#include "cairn/runner/formats.h"
#include "cairn/store/state.h"

namespace cairn::runner {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, Format>& Registry() {
  static std::map<std::string, Format> chosen;
  return chosen;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir + (dir.empty() || dir.back() == '/' ? "" : "/") + name;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool NameChars(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == ' ';
  });
}

struct Entry {
  std::string name;
  bool is_dir = false;
};

// The visible entries of `dir`, sorted by name; nullopt when it cannot be opened.
std::optional<std::vector<Entry>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  std::vector<Entry> out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
      struct stat st {};
      is_dir = ::stat(Join(dir, n).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    out.push_back({std::move(n), is_dir});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return out;
}

StatusOr<std::string> ReadFile(const std::string& dir, const std::string& name) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return InvalidArgumentError("migrations directory '" + dir + "': cannot open");
  auto text = internal::ReadFileAt(::dirfd(d), name, Join(dir, name));
  ::closedir(d);
  return text;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "-- migrate:up transaction:false" -> marker "up", options "transaction:false".
bool DbmateMarker(std::string_view line, std::string* marker, std::string* options) {
  std::string_view t = Trim(line);
  if (t.substr(0, 2) != "--") return false;
  t = Trim(t.substr(2));
  if (t.substr(0, 8) != "migrate:") return false;
  t = t.substr(8);
  size_t sp = t.find_first_of(" \t");
  *marker = std::string(t.substr(0, sp));
  *options = sp == std::string_view::npos ? "" : std::string(Trim(t.substr(sp)));
  return true;
}

// Where a line of the text built for ParseMigration came from.
struct Origin {
  std::string up_path, down_path;
  int up_lines = 0;  // lines of the up file (two-file layouts)
  bool two_files = false;
};

// Rewrites "SYNTH:N: msg" from ParseMigration into the real file and line.
Status MapError(const Status& s, const std::string& synth_path, const Origin& o) {
  const std::string& m = s.message();
  if (m.rfind(synth_path + ":", 0) != 0) return s;
  std::string rest = m.substr(synth_path.size() + 1);
  size_t colon = rest.find(':');
  if (!o.two_files || colon == std::string::npos || !AllDigits(rest.substr(0, colon)))
    return InvalidArgumentError(o.up_path + ":" + rest);
  int n = std::stoi(rest.substr(0, colon));
  std::string msg = rest.substr(colon);
  // Line 1 "-- cairn:up", then the up file, "-- cairn:down", the down file.
  if (n >= 2 && n <= 1 + o.up_lines)
    return InvalidArgumentError(o.up_path + ":" + std::to_string(n - 1) + msg);
  if (n >= 3 + o.up_lines && !o.down_path.empty())
    return InvalidArgumentError(o.down_path + ":" + std::to_string(n - 2 - o.up_lines) + msg);
  return InvalidArgumentError(o.up_path + msg);
}

std::string WithNewline(std::string s) {
  if (!s.empty() && s.back() != '\n' && s.back() != '\r') s.push_back('\n');
  return s;
}

// A migration with separate up and down files, parsed as one cairn text.
StatusOr<Migration> FromTwoFiles(const std::string& id, const std::string& name,
                                 const std::string& up_file, const std::string& up_path,
                                 const std::string& up_text, const std::string& down_path,
                                 const std::optional<std::string>& down_text) {
  Origin o;
  o.two_files = true;
  o.up_path = up_path;
  o.down_path = down_path;
  o.up_lines = static_cast<int>(internal::SplitLines(up_text).size());
  std::string up = WithNewline(up_text);
  // The down marker is at line up_lines + 2, as MapError expects.
  std::string synth = "-- cairn:up\n" + up;
  if (down_text) synth += "-- cairn:down\n" + *down_text;
  const std::string synth_path = "\x01synth";
  auto parsed = ParseMigration(synth_path, "1_x.sql", synth);
  if (!parsed.ok()) return MapError(parsed.status(), synth_path, o);
  Migration m = std::move(*parsed);
  m.id = id;
  m.name = name;
  m.description = name;
  std::replace(m.description.begin(), m.description.end(), '_', ' ');
  m.file = up_file;
  m.path = up_path;
  m.up.first_line = 1;
  if (m.down) m.down->first_line = 1;
  m.checksum = CanonicalChecksum(down_text ? up + "-- cairn:down-file\n" + *down_text : up_text);
  return m;
}

Status Duplicate(const std::string& dir, const std::string& file, const std::string& id,
                 const std::string& other) {
  return InvalidArgumentError(Join(dir, file) + ": duplicate migration version " + id + " (also " +
                              Join(dir, other) + ")");
}

// Sorts by id and refuses two migrations with one id.
StatusOr<std::vector<Migration>> Finish(const std::string& dir, std::vector<Migration> out) {
  std::stable_sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) {
    return ledger::CompareMigrationIds(a.id, b.id) < 0;
  });
  for (size_t i = 1; i < out.size(); ++i) {
    if (ledger::CompareMigrationIds(out[i - 1].id, out[i].id) == 0)
      return Duplicate(dir, out[i].file, out[i].id, out[i - 1].file);
  }
  return out;
}

Status NoRule(const std::string& dir, const std::string& name, Format f, std::string_view rule) {
  return InvalidArgumentError(Join(dir, name) + ": not a " + std::string(FormatName(f)) +
                              " migration file name (expected " + std::string(rule) + ")");
}

// ---- dbmate -------------------------------------------------------------

StatusOr<std::vector<Migration>> LoadDbmate(const std::string& dir, const std::vector<Entry>& es) {
  std::vector<Migration> out;
  for (const Entry& e : es) {
    if (e.is_dir || !EndsWith(e.name, ".sql")) continue;
    const std::string path = Join(dir, e.name);
    std::string stem = e.name.substr(0, e.name.size() - 4);
    size_t us = stem.find('_');
    std::string id = stem.substr(0, us);
    if (!AllDigits(id)) return NoRule(dir, e.name, Format::kDbmate, "NNN_name.sql");
    std::string name = us == std::string::npos ? "" : stem.substr(us + 1);
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(dir, e.name));
    // Same line count: "-- migrate:up" becomes "-- cairn:up", so ParseMigration's
    // line numbers are the file's.
    std::string synth;
    bool no_tx = false, seen_up = false;
    int lineno = 0;
    for (std::string_view line : internal::SplitLines(text)) {
      ++lineno;
      std::string marker, options;
      if (DbmateMarker(line, &marker, &options)) {
        if (marker != "up" && marker != "down")
          return InvalidArgumentError(path + ":" + std::to_string(lineno) +
                                      ": unknown marker '-- migrate:" + marker +
                                      "' (expected '-- migrate:up' or '-- migrate:down')");
        if (!options.empty() && options != "transaction:false" && options != "transaction:true")
          return InvalidArgumentError(path + ":" + std::to_string(lineno) +
                                      ": unsupported dbmate option '" + options +
                                      "' (cairn reads transaction:false)");
        if (options == "transaction:false") no_tx = true;
        seen_up = seen_up || marker == "up";
        synth += "-- cairn:" + marker + "\n";
        continue;
      }
      synth.append(line);
      synth.push_back('\n');
    }
    if (!seen_up) return InvalidArgumentError(path + ": missing '-- migrate:up' section");
    CAIRN_ASSIGN_OR_RETURN(Migration m, ParseMigration(path, "1_x.sql", synth));
    m.id = id;
    m.name = name;
    m.description = name;
    std::replace(m.description.begin(), m.description.end(), '_', ' ');
    m.file = e.name;
    m.path = path;
    m.checksum = CanonicalChecksum(text);
    m.no_transaction = m.no_transaction || no_tx;
    out.push_back(std::move(m));
  }
  return Finish(dir, std::move(out));
}

// ---- golang-migrate -----------------------------------------------------

StatusOr<std::vector<Migration>> LoadGolangMigrate(const std::string& dir,
                                                   const std::vector<Entry>& es) {
  struct Pair {
    std::string id, name, up, down;
  };
  std::map<std::string, Pair> by_stem;  // "001_x" -> files
  for (const Entry& e : es) {
    if (e.is_dir || !EndsWith(e.name, ".sql")) continue;
    const bool up = EndsWith(e.name, ".up.sql"), down = EndsWith(e.name, ".down.sql");
    std::string stem = e.name.substr(0, e.name.size() - (up ? 7 : down ? 9 : 4));
    size_t us = stem.find('_');
    std::string id = stem.substr(0, us);
    if ((!up && !down) || !AllDigits(id))
      return NoRule(dir, e.name, Format::kGolangMigrate, "NNN_name.up.sql or NNN_name.down.sql");
    Pair& p = by_stem[stem];
    p.id = id;
    p.name = us == std::string::npos ? "" : stem.substr(us + 1);
    (up ? p.up : p.down) = e.name;
  }
  std::vector<Migration> out;
  for (const auto& [stem, p] : by_stem) {
    if (p.up.empty())
      return InvalidArgumentError(Join(dir, p.down) + ": down file without its up file " + stem +
                                  ".up.sql");
    CAIRN_ASSIGN_OR_RETURN(std::string up, ReadFile(dir, p.up));
    std::optional<std::string> down;
    if (!p.down.empty()) {
      CAIRN_ASSIGN_OR_RETURN(down, ReadFile(dir, p.down));
    }
    CAIRN_ASSIGN_OR_RETURN(Migration m,
                           FromTwoFiles(p.id, p.name, p.up, Join(dir, p.up), up,
                                        p.down.empty() ? "" : Join(dir, p.down), down));
    out.push_back(std::move(m));
  }
  return Finish(dir, std::move(out));
}

// ---- Flyway -------------------------------------------------------------

// "V2_1__add_x.sql" -> kind 'V', version "2.1", description "add_x".
bool FlywayName(std::string_view name, char* kind, std::string* version, std::string* desc) {
  if (name.size() < 6 || !EndsWith(name, ".sql")) return false;
  std::string_view stem = name.substr(0, name.size() - 4);
  size_t sep = stem.find("__");
  if (sep == std::string_view::npos || sep + 2 >= stem.size()) return false;
  *kind = stem[0];
  std::string_view ver = stem.substr(1, sep - 1);
  *desc = std::string(stem.substr(sep + 2));
  if (!NameChars(*desc)) return false;
  if (*kind == 'R') return ver.empty();
  if (*kind != 'V' && *kind != 'U') return false;
  version->clear();
  bool last_digit = false;
  for (char c : ver) {
    if (c >= '0' && c <= '9') {
      version->push_back(c);
      last_digit = true;
    } else if ((c == '.' || c == '_') && last_digit) {
      version->push_back('.');
      last_digit = false;
    } else {
      return false;
    }
  }
  return last_digit;
}

StatusOr<std::vector<Migration>> LoadFlyway(const std::string& dir, const std::vector<Entry>& es) {
  struct Versioned {
    std::string version, desc, v_file, u_file;
  };
  std::map<std::string, Versioned, ledger::MigrationIdLess> versions;
  std::vector<Migration> out;
  for (const Entry& e : es) {
    if (e.is_dir || !EndsWith(e.name, ".sql")) continue;
    char kind = 0;
    std::string version, desc;
    if (!FlywayName(e.name, &kind, &version, &desc))
      return NoRule(dir, e.name, Format::kFlyway,
                    "V<version>__<description>.sql, U<version>__<description>.sql or "
                    "R__<description>.sql");
    if (kind == 'R') {
      CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFile(dir, e.name));
      CAIRN_ASSIGN_OR_RETURN(Migration m, FromTwoFiles("R__" + desc, desc, e.name,
                                                       Join(dir, e.name), text, "", std::nullopt));
      m.repeatable = true;
      out.push_back(std::move(m));
      continue;
    }
    auto [it, fresh] = versions.try_emplace(version);
    Versioned& v = it->second;
    std::string& slot = kind == 'V' ? v.v_file : v.u_file;
    if (!slot.empty()) return Duplicate(dir, e.name, version, slot);
    slot = e.name;
    v.version = version;
    if (kind == 'V') v.desc = desc;
  }
  for (const auto& [version, v] : versions) {
    if (v.v_file.empty())
      return InvalidArgumentError(Join(dir, v.u_file) + ": undo script for version " + version +
                                  " without its V" + version + "__ script");
    CAIRN_ASSIGN_OR_RETURN(std::string up, ReadFile(dir, v.v_file));
    std::optional<std::string> down;
    if (!v.u_file.empty()) {
      CAIRN_ASSIGN_OR_RETURN(down, ReadFile(dir, v.u_file));
    }
    CAIRN_ASSIGN_OR_RETURN(Migration m,
                           FromTwoFiles(version, v.desc, v.v_file, Join(dir, v.v_file), up,
                                        v.u_file.empty() ? "" : Join(dir, v.u_file), down));
    out.push_back(std::move(m));
  }
  return Finish(dir, std::move(out));
}

// ---- diesel -------------------------------------------------------------

// "2023-01-02-030405_create_users" -> version "20230102030405", name "create_users".
bool DieselName(std::string_view name, std::string* version, std::string* rest) {
  size_t us = name.find('_');
  if (us == std::string_view::npos || us == 0 || us + 1 >= name.size()) return false;
  version->clear();
  for (char c : name.substr(0, us)) {
    if (c == '-') continue;
    if (c < '0' || c > '9') return false;
    version->push_back(c);
  }
  *rest = std::string(name.substr(us + 1));
  return !version->empty();
}

StatusOr<std::vector<Migration>> LoadDiesel(const std::string& dir, const std::vector<Entry>& es) {
  std::vector<Migration> out;
  for (const Entry& e : es) {
    if (!e.is_dir) continue;
    std::string version, name;
    if (!DieselName(e.name, &version, &name))
      return NoRule(dir, e.name, Format::kDiesel, "a folder <version>_<name>/ with up.sql");
    const std::string sub = Join(dir, e.name);
    auto files = ListDir(sub);
    auto has = [&](const std::string& f) {
      return files && std::any_of(files->begin(), files->end(),
                                  [&](const Entry& x) { return !x.is_dir && x.name == f; });
    };
    if (!has("up.sql"))
      return InvalidArgumentError(sub + ": diesel migration folder without up.sql");
    CAIRN_ASSIGN_OR_RETURN(std::string up, ReadFile(sub, "up.sql"));
    std::optional<std::string> down;
    if (has("down.sql")) {
      CAIRN_ASSIGN_OR_RETURN(down, ReadFile(sub, "down.sql"));
    }
    CAIRN_ASSIGN_OR_RETURN(Migration m,
                           FromTwoFiles(version, name, e.name + "/up.sql", Join(sub, "up.sql"), up,
                                        down ? Join(sub, "down.sql") : "", down));
    if (has("metadata.toml")) {
      CAIRN_ASSIGN_OR_RETURN(std::string meta, ReadFile(sub, "metadata.toml"));
      for (std::string_view line : internal::SplitLines(meta)) {
        std::string compact;
        for (char c : line)
          if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
        if (compact == "run_in_transaction=false") m.no_transaction = true;
      }
    }
    out.push_back(std::move(m));
  }
  return Finish(dir, std::move(out));
}

}  // namespace

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kAuto:
      return "auto";
    case Format::kCairn:
      return "cairn";
    case Format::kDbmate:
      return "dbmate";
    case Format::kGolangMigrate:
      return "golang-migrate";
    case Format::kFlyway:
      return "flyway";
    case Format::kDiesel:
      return "diesel";
  }
  return "unknown";
}

std::vector<std::string> FormatNames() {
  return {"cairn", "dbmate", "golang-migrate", "flyway", "diesel"};
}

StatusOr<Format> ParseFormat(std::string_view name) {
  for (Format f :
       {Format::kCairn, Format::kDbmate, Format::kGolangMigrate, Format::kFlyway, Format::kDiesel})
    if (FormatName(f) == name) return f;
  return InvalidArgumentError("--format " + std::string(name) +
                              ": unknown format (expected cairn, dbmate, golang-migrate, flyway "
                              "or diesel)");
}

void UseFormat(const std::string& dir, Format format) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  if (format == Format::kAuto)
    Registry().erase(dir);
  else
    Registry()[dir] = format;
}

Format ChosenFormat(const std::string& dir) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto it = Registry().find(dir);
  return it == Registry().end() ? Format::kAuto : it->second;
}

StatusOr<Format> DetectFormat(const std::string& dir) {
  auto entries = ListDir(dir);
  if (!entries) return Format::kCairn;  // cairn's reader reports the directory error
  std::map<Format, std::string> seen;   // format -> first file showing it
  for (const Entry& e : *entries) {
    Format f = Format::kCairn;
    char kind = 0;
    std::string a, b;
    if (e.is_dir) {
      if (DieselName(e.name, &a, &b)) {
        struct stat st {};
        if (::stat(Join(Join(dir, e.name), "up.sql").c_str(), &st) == 0) f = Format::kDiesel;
      }
    } else if (!EndsWith(e.name, ".sql")) {
      continue;
    } else if (FlywayName(e.name, &kind, &a, &b)) {
      f = Format::kFlyway;
    } else if (EndsWith(e.name, ".up.sql") || EndsWith(e.name, ".down.sql")) {
      f = Format::kGolangMigrate;
    } else {
      auto text = ReadFile(dir, e.name);
      if (!text.ok()) continue;
      for (std::string_view line : internal::SplitLines(*text)) {
        std::string marker, options;
        if (DbmateMarker(line, &marker, &options) && marker == "up") {
          f = Format::kDbmate;
          break;
        }
      }
    }
    if (f != Format::kCairn) seen.try_emplace(f, e.name);
  }
  if (seen.empty()) return Format::kCairn;
  if (seen.size() > 1) {
    auto first = seen.begin(), second = std::next(first);
    return InvalidArgumentError(Join(dir, second->second) + ": looks like a " +
                                std::string(FormatName(second->first)) + " migration, but " +
                                first->second + " looks like " +
                                std::string(FormatName(first->first)) +
                                "; one folder holds one tool's layout (or pass --format)");
  }
  return seen.begin()->first;
}

StatusOr<std::vector<Migration>> LoadFormat(const std::string& dir, Format format) {
  auto entries = ListDir(dir);
  if (!entries) return InvalidArgumentError("migrations directory '" + dir + "': cannot open");
  switch (format) {
    case Format::kDbmate:
      return LoadDbmate(dir, *entries);
    case Format::kGolangMigrate:
      return LoadGolangMigrate(dir, *entries);
    case Format::kFlyway:
      return LoadFlyway(dir, *entries);
    case Format::kDiesel:
      return LoadDiesel(dir, *entries);
    case Format::kCairn:
    case Format::kAuto:
      break;
  }
  return InvalidArgumentError("LoadFormat: not another tool's format");
}

StatusOr<std::optional<Format>> ForeignFormatFor(const std::string& dir,
                                                 bool cairn_failed_or_empty) {
  const Format chosen = ChosenFormat(dir);
  if (chosen == Format::kCairn) return std::optional<Format>();
  if (chosen != Format::kAuto) return std::optional<Format>(chosen);
  if (!cairn_failed_or_empty) return std::optional<Format>();
  CAIRN_ASSIGN_OR_RETURN(Format detected, DetectFormat(dir));
  if (detected == Format::kCairn) return std::optional<Format>();
  return std::optional<Format>(detected);
}

int32_t FlywayChecksum(std::string_view contents) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  bool first = true;
  for (std::string_view line : internal::SplitLines(contents)) {
    if (first && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    first = false;
    for (unsigned char c : line) crc = table[(crc ^ c) & 0xFF] ^ (crc >> 8);
  }
  return static_cast<int32_t>(crc ^ 0xFFFFFFFFu);
}

}  // namespace cairn::runner
