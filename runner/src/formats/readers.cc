// Readers for dbmate, golang-migrate, Flyway and diesel folders
// (docs/formats.md). Each builds cairn's own text for the migration and
// parses it as cairn parses its files, so every check cairn makes of its own
// files (transaction control, directives, empty sections) applies; file
// names, lines and checksums are then mapped back to the real files. Small
// migrations are read whole; larger ones go through the same one streaming
// pass as cairn's large files (docs/migration-files.md, "Large files"), their
// sections left in the files they came from.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "../source/file_text.h"
#include "../source/migration_dir.h"
#include "cairn/store/state.h"
#include "cairn/runner/formats.h"
#include "dispatch.h"

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

// The lines of the file at `path`, read in blocks (source/file_text.h).
// `sink` may return kCancelled to stop early, which is passed on.
Status ForEachLineOf(const std::string& path, const source::LineSink& sink) {
  struct stat st {};
  CAIRN_ASSIGN_OR_RETURN(int fd, internal::OpenRegularAt(AT_FDCWD, path, path, &st));
  Status s = source::ForEachFileLine(fd, path, 0, UINT64_MAX, 1, sink);
  ::close(fd);
  return s;
}

// The size of each of `paths` together; kKeepInMemoryBytes + 1 when one
// cannot be read (the reader then reports why, streaming).
uint64_t TotalSize(std::initializer_list<const std::string*> paths) {
  uint64_t total = 0;
  for (const std::string* p : paths) {
    if (p == nullptr || p->empty()) continue;
    struct stat st {};
    if (::stat(p->c_str(), &st) != 0) return kKeepInMemoryBytes + 1;
    total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

// A large migration is parsed once per process while its files' stat
// information (device, inode, size, modification and change times) stays
// the same: `migrate` scans the folder (ScanMigrations) and then loads it,
// and both read other tools' files. ParseMigrationAt does the same for
// cairn's large files; their sections are read back against their digests
// anyway. `key` names the migration; a file that cannot be stat'ed is never
// remembered.
StatusOr<Migration> OncePerProcess(const std::string& key,
                                   std::initializer_list<const std::string*> paths,
                                   const std::function<StatusOr<Migration>()>& parse) {
  struct Stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    timespec mtime, ctime;
    bool operator==(const Stamp& o) const {
      return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
             mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
             ctime.tv_nsec == o.ctime.tv_nsec;
    }
  };
  struct Remembered {
    std::vector<Stamp> stamps;
    Migration m;
  };
  static std::mutex mu;
  static std::map<std::string, Remembered> parsed;
  std::vector<Stamp> stamps;
  for (const std::string* p : paths) {
    if (p->empty()) continue;
    struct stat st {};
    if (::stat(p->c_str(), &st) != 0) return parse();
    stamps.push_back({st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim});
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = parsed.find(key); it != parsed.end() && it->second.stamps == stamps)
      return it->second.m;
  }
  CAIRN_ASSIGN_OR_RETURN(Migration m, parse());
  std::lock_guard<std::mutex> lock(mu);
  parsed[key] = Remembered{std::move(stamps), m};
  return m;
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

// Gives a migration parsed from the text built of two files its id, name and
// up file, and its sections the files' own line numbers.
void NameTwoFileMigration(const std::string& id, const std::string& name,
                          const std::string& up_file, const std::string& up_path, Migration* m) {
  m->id = id;
  m->name = name;
  m->description = name;
  std::replace(m->description.begin(), m->description.end(), '_', ' ');
  m->file = up_file;
  m->path = up_path;
  m->up.first_line = 1;
  if (m->down) m->down->first_line = 1;
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
  NameTwoFileMigration(id, name, up_file, up_path, &m);
  m.checksum = CanonicalChecksum(down_text ? up + "-- cairn:down-file\n" + *down_text : up_text);
  return m;
}

// FromTwoFiles for large files: the same text, fed line by line as the
// files are read, the sections left in their files. Errors are those of
// FromTwoFiles.
StatusOr<Migration> StreamTwoFiles(const std::string& id, const std::string& name,
                                   const std::string& up_file, const std::string& up_path,
                                   const std::string& down_path) {
  Origin o;
  o.two_files = true;
  o.up_path = up_path;
  o.down_path = down_path;
  const std::string synth_path = "\x01synth";
  internal::MigrationLineParser parser(synth_path, /*keep_sql=*/false);
  CAIRN_RETURN_IF_ERROR(parser.Start("1_x.sql"));
  source::CanonicalHasher checksum(/*background=*/true);
  int number = 0;  // the line's number in the text built for the parser
  auto feed = [&](source::Line l) -> Status {
    l.number = ++number;
    Status s = parser.AddLine(l);
    return s.ok() ? s : MapError(s, synth_path, o);
  };
  uint64_t up_size = 0;
  // Line 1 "-- cairn:up", then the up file, "-- cairn:down", the down file
  // (as MapError expects); the directives take no bytes of either file.
  CAIRN_RETURN_IF_ERROR(feed(source::Line{"-- cairn:up", 0, 0, 0}));
  CAIRN_RETURN_IF_ERROR(ForEachLineOf(up_path, [&](const source::Line& l) -> Status {
    checksum.AddLine(l.text);
    ++o.up_lines;
    up_size = l.next;
    return feed(l);
  }));
  if (!down_path.empty()) {
    checksum.AddLine("-- cairn:down-file");
    CAIRN_RETURN_IF_ERROR(feed(source::Line{"-- cairn:down", up_size, 0, 0}));
    CAIRN_RETURN_IF_ERROR(ForEachLineOf(down_path, [&](const source::Line& l) -> Status {
      checksum.AddLine(l.text);
      return feed(l);
    }));
  }
  auto parsed = parser.Finish();
  if (!parsed.ok()) return MapError(parsed.status(), synth_path, o);
  Migration m = std::move(*parsed);
  NameTwoFileMigration(id, name, up_file, up_path, &m);
  if (m.down) m.down->extent.path = down_path;
  m.checksum = checksum.Finish();
  return m;
}

// Reads a two-file migration (up file, optional down file: "" for none)
// whole when the files together have at most `keep_in_memory` bytes, else
// streaming.
StatusOr<Migration> ReadTwoFiles(const std::string& id, const std::string& name,
                                 const std::string& up_file, const std::string& up_path,
                                 const std::string& down_path, size_t keep_in_memory) {
  if (TotalSize({&up_path, &down_path}) > keep_in_memory)
    return OncePerProcess(
        "two\n" + id + "\n" + name + "\n" + up_file + "\n" + up_path + "\n" + down_path,
        {&up_path, &down_path}, [&]() -> StatusOr<Migration> {
          return StreamTwoFiles(id, name, up_file, up_path, down_path);
        });
  CAIRN_ASSIGN_OR_RETURN(std::string up, internal::ReadFileAt(AT_FDCWD, up_path, up_path));
  std::optional<std::string> down;
  if (!down_path.empty()) {
    CAIRN_ASSIGN_OR_RETURN(down, internal::ReadFileAt(AT_FDCWD, down_path, down_path));
  }
  return FromTwoFiles(id, name, up_file, up_path, up, down_path, down);
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

// The text cairn parses for a dbmate file, line by line: the same lines,
// "-- migrate:up" as "-- cairn:up" (so the parse's line numbers are the
// file's), checking the markers. `line` returns the line to pass on;
// *no_tx is set by "transaction:false".
class DbmateLines {
 public:
  explicit DbmateLines(const std::string& path) : path_(path) {}
  StatusOr<source::Line> Take(const source::Line& l) {
    std::string marker, options;
    if (!DbmateMarker(l.text, &marker, &options)) return l;
    if (marker != "up" && marker != "down")
      return InvalidArgumentError(path_ + ":" + std::to_string(l.number) +
                                  ": unknown marker '-- migrate:" + marker +
                                  "' (expected '-- migrate:up' or '-- migrate:down')");
    if (!options.empty() && options != "transaction:false" && options != "transaction:true")
      return InvalidArgumentError(path_ + ":" + std::to_string(l.number) +
                                  ": unsupported dbmate option '" + options +
                                  "' (cairn reads transaction:false)");
    if (options == "transaction:false") no_tx_ = true;
    seen_up_ = seen_up_ || marker == "up";
    source::Line d = l;
    d.text = marker == "up" ? "-- cairn:up" : "-- cairn:down";
    return d;
  }
  // After the last line: the error for a file without an up marker.
  Status Finish() const {
    return seen_up_ ? Status::Ok()
                    : InvalidArgumentError(path_ + ": missing '-- migrate:up' section");
  }
  bool no_tx() const { return no_tx_; }

 private:
  const std::string& path_;
  bool no_tx_ = false, seen_up_ = false;
};

// ReadDbmateFile's streaming pass: the sections stay in the file.
StatusOr<Migration> StreamDbmateFile(const std::string& path, DbmateLines* lines) {
  internal::MigrationLineParser parser(path, /*keep_sql=*/false);
  CAIRN_RETURN_IF_ERROR(parser.Start("1_x.sql"));
  source::CanonicalHasher checksum(/*background=*/true);
  Status parse;  // the parse's first error; the markers are still checked to the end
  CAIRN_RETURN_IF_ERROR(ForEachLineOf(path, [&](const source::Line& l) -> Status {
    checksum.AddLine(l.text);
    CAIRN_ASSIGN_OR_RETURN(source::Line d, lines->Take(l));
    if (parse.ok()) parse = parser.AddLine(d);
    return Status::Ok();
  }));
  CAIRN_RETURN_IF_ERROR(lines->Finish());
  CAIRN_RETURN_IF_ERROR(parse);
  CAIRN_ASSIGN_OR_RETURN(Migration m, parser.Finish());
  m.checksum = checksum.Finish();
  m.no_transaction = m.no_transaction || lines->no_tx();
  return m;
}

// A dbmate file: read whole when of at most `keep_in_memory` bytes; else in one streaming pass
// that leaves its sections in the file. Errors come in the same order either
// way: a marker error first, then a missing up marker, then the parse's.
StatusOr<Migration> ReadDbmateFile(const std::string& path, size_t keep_in_memory) {
  DbmateLines lines(path);
  const bool stream = TotalSize({&path}) > keep_in_memory;
  if (stream)
    return OncePerProcess("dbmate\n" + path, {&path},
                          [&]() -> StatusOr<Migration> { return StreamDbmateFile(path, &lines); });
  Migration m;
  {
    CAIRN_ASSIGN_OR_RETURN(std::string text, internal::ReadFileAt(AT_FDCWD, path, path));
    std::string synth;
    CAIRN_RETURN_IF_ERROR(source::ForEachLine(text, [&](const source::Line& l) -> Status {
      CAIRN_ASSIGN_OR_RETURN(source::Line d, lines.Take(l));
      synth.append(d.text);
      synth.push_back('\n');
      return Status::Ok();
    }));
    CAIRN_RETURN_IF_ERROR(lines.Finish());
    CAIRN_ASSIGN_OR_RETURN(m, ParseMigration(path, "1_x.sql", synth));
    m.checksum = CanonicalChecksum(text);
  }
  m.no_transaction = m.no_transaction || lines.no_tx();
  return m;
}

StatusOr<std::vector<Migration>> LoadDbmate(const std::string& dir, const std::vector<Entry>& es,
                                            size_t keep) {
  std::vector<Migration> out;
  for (const Entry& e : es) {
    if (e.is_dir || !EndsWith(e.name, ".sql")) continue;
    const std::string path = Join(dir, e.name);
    std::string stem = e.name.substr(0, e.name.size() - 4);
    size_t us = stem.find('_');
    std::string id = stem.substr(0, us);
    if (!AllDigits(id)) return NoRule(dir, e.name, Format::kDbmate, "NNN_name.sql");
    std::string name = us == std::string::npos ? "" : stem.substr(us + 1);
    CAIRN_ASSIGN_OR_RETURN(Migration m, ReadDbmateFile(path, keep));
    m.id = id;
    m.name = name;
    m.description = name;
    std::replace(m.description.begin(), m.description.end(), '_', ' ');
    m.file = e.name;
    m.path = path;
    out.push_back(std::move(m));
  }
  return Finish(dir, std::move(out));
}

// ---- golang-migrate -----------------------------------------------------

StatusOr<std::vector<Migration>> LoadGolangMigrate(const std::string& dir,
                                                   const std::vector<Entry>& es, size_t keep) {
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
    CAIRN_ASSIGN_OR_RETURN(Migration m,
                           ReadTwoFiles(p.id, p.name, p.up, Join(dir, p.up),
                                        p.down.empty() ? "" : Join(dir, p.down), keep));
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

StatusOr<std::vector<Migration>> LoadFlyway(const std::string& dir, const std::vector<Entry>& es,
                                            size_t keep) {
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
      CAIRN_ASSIGN_OR_RETURN(Migration m,
                             ReadTwoFiles("R__" + desc, desc, e.name, Join(dir, e.name), "", keep));
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
    CAIRN_ASSIGN_OR_RETURN(Migration m,
                           ReadTwoFiles(version, v.desc, v.v_file, Join(dir, v.v_file),
                                        v.u_file.empty() ? "" : Join(dir, v.u_file), keep));
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

StatusOr<std::vector<Migration>> LoadDiesel(const std::string& dir, const std::vector<Entry>& es,
                                            size_t keep) {
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
    CAIRN_ASSIGN_OR_RETURN(Migration m,
                           ReadTwoFiles(version, name, e.name + "/up.sql", Join(sub, "up.sql"),
                                        has("down.sql") ? Join(sub, "down.sql") : "", keep));
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
      // Read in blocks up to the marker: a large file is never held whole.
      (void)ForEachLineOf(Join(dir, e.name), [&](const source::Line& l) -> Status {
        std::string marker, options;
        if (!DbmateMarker(l.text, &marker, &options) || marker != "up") return Status::Ok();
        f = Format::kDbmate;
        return CancelledError("found");
      });
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
  return internal::LoadFormatStreamingAbove(dir, format, kKeepInMemoryBytes);
}

StatusOr<std::vector<Migration>> internal::LoadFormatStreamingAbove(const std::string& dir,
                                                                    Format format, size_t keep) {
  auto entries = ListDir(dir);
  if (!entries) return InvalidArgumentError("migrations directory '" + dir + "': cannot open");
  switch (format) {
    case Format::kDbmate:
      return LoadDbmate(dir, *entries, keep);
    case Format::kGolangMigrate:
      return LoadGolangMigrate(dir, *entries, keep);
    case Format::kFlyway:
      return LoadFlyway(dir, *entries, keep);
    case Format::kDiesel:
      return LoadDiesel(dir, *entries, keep);
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

namespace {
// Flyway's CRC32, fed line by line (FlywayChecksum).
class FlywayCrc {
 public:
  void AddLine(std::string_view line) {
    static const auto table = [] {
      std::array<uint32_t, 256> t{};
      for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
      }
      return t;
    }();
    if (first_ && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    first_ = false;
    for (unsigned char c : line) crc_ = table[(crc_ ^ c) & 0xFF] ^ (crc_ >> 8);
  }
  int32_t Finish() const { return static_cast<int32_t>(crc_ ^ 0xFFFFFFFFu); }

 private:
  uint32_t crc_ = 0xFFFFFFFFu;
  bool first_ = true;
};
}  // namespace

int32_t FlywayChecksum(std::string_view contents) {
  FlywayCrc crc;
  for (std::string_view line : internal::SplitLines(contents)) crc.AddLine(line);
  return crc.Finish();
}

StatusOr<int32_t> internal::FlywayChecksumOfFile(const std::string& path) {
  FlywayCrc crc;
  CAIRN_RETURN_IF_ERROR(ForEachLineOf(path, [&](const source::Line& l) {
    crc.AddLine(l.text);
    return Status::Ok();
  }));
  return crc.Finish();
}

}  // namespace cairn::runner
