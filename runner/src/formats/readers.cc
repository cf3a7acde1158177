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

#include "../source/background_sha.h"
#include "../source/directives.h"
#include "../source/file_text.h"
#include "../source/migration_dir.h"
#include "../source/section_text.h"
#include "atlas.h"
#include "cairn/db/sql_splitter.h"
#include "cairn/runner/formats.h"
#include "cairn/store/state.h"
#include "dispatch.h"
#include "liquibase.h"

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

// Go's regexp \s: [\t\n\f\r ].
bool GoSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
std::string_view GoTrim(std::string_view s) {
  while (!s.empty() && GoSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && GoSpace(s.back())) s.remove_suffix(1);
  return s;
}

// dbmate's marker, which counts only at the very start of a line:
// "--", optional whitespace, "migrate:up" or "migrate:down", then the end of
// the line or whitespace and options. "-- migrate:up transaction:false" ->
// marker "up", options "transaction:false". An indented "  -- migrate:down"
// is SQL (a comment) to dbmate, and so to cairn.
bool DbmateMarker(std::string_view line, std::string* marker, std::string* options) {
  if (line.substr(0, 2) != "--") return false;
  std::string_view t = line.substr(2);
  while (!t.empty() && GoSpace(t.front())) t.remove_prefix(1);
  std::string_view kind;
  if (t.substr(0, 10) == "migrate:up")
    kind = "up";
  else if (t.substr(0, 12) == "migrate:down")
    kind = "down";
  else
    return false;
  t.remove_prefix(8 + kind.size());
  if (!t.empty() && !GoSpace(t.front())) return false;  // "-- migrate:upx" is a comment
  *marker = std::string(kind);
  *options = std::string(GoTrim(t));
  return true;
}

// A "-- cairn:" directive (other than lint-ignore) in another tool's file:
// that tool reads it as a comment, cairn's parser would not; refused.
Status RefuseCairnDirective(const std::string& path, const source::Line& l, Format f) {
  std::string_view t = Trim(l.text);
  if (t.substr(0, 2) != "--") return Status::Ok();
  t = Trim(t.substr(2));
  if (t.substr(0, 6) != "cairn:" || t.substr(6, 11) == "lint-ignore") return Status::Ok();
  return InvalidArgumentError(path + ":" + std::to_string(l.number) + ": '" +
                              std::string(Trim(l.text)) + "' is a comment to " +
                              std::string(FormatName(f)) +
                              " but a directive to cairn; cairn refuses the ambiguity (remove it)");
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
// up file, and its sections the files' own line numbers (the parse numbered
// the built text: line 1 "-- cairn:up", the up file's `up_lines` lines,
// "-- cairn:down", the down file).
void NameTwoFileMigration(const std::string& id, const std::string& name,
                          const std::string& up_file, const std::string& up_path, int up_lines,
                          Migration* m) {
  for (auto& [line, words] : m->up.facts.outside_candidates) line -= 1;
  if (m->down)
    for (auto& [line, words] : m->down->facts.outside_candidates) line -= 2 + up_lines;
  m->id = id;
  m->name = name;
  m->description = name;
  std::replace(m->description.begin(), m->description.end(), '_', ' ');
  m->file = up_file;
  m->path = up_path;
  m->up.first_line = 1;
  if (m->down) m->down->first_line = 1;
}

// A check of each line of another tool's file (its path, the line), made
// before cairn parses it; null for none.
using LineCheck = std::function<Status(const std::string& path, const source::Line& line)>;

bool FileStartsWith(const std::string& path, std::string_view prefix);

// How a tool treats a UTF-8 byte order mark at the start of a file. Most
// send the file's bytes as they are (PostgreSQL then rejects the first
// statement; SQLite skips the mark); Flyway reads SQL through a reader that
// drops it. The checksum is always of the file's bytes.
enum class Bom { kSendAsIs, kSkip };
constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string_view WithoutBom(std::string_view text, Bom bom) {
  if (bom == Bom::kSkip && text.starts_with(kBom)) text.remove_prefix(kBom.size());
  return text;
}

// A migration with separate up and down files, parsed as one cairn text.
StatusOr<Migration> FromTwoFiles(const std::string& id, const std::string& name,
                                 const std::string& up_file, const std::string& up_path,
                                 const std::string& up_text, const std::string& down_path,
                                 const std::optional<std::string>& down_text,
                                 const LineCheck& check, Bom bom = Bom::kSendAsIs) {
  if (check) {
    CAIRN_RETURN_IF_ERROR(
        source::ForEachLine(up_text, [&](const source::Line& l) { return check(up_path, l); }));
    if (down_text)
      CAIRN_RETURN_IF_ERROR(source::ForEachLine(
          *down_text, [&](const source::Line& l) { return check(down_path, l); }));
  }
  Origin o;
  o.two_files = true;
  o.up_path = up_path;
  o.down_path = down_path;
  o.up_lines = static_cast<int>(internal::SplitLines(up_text).size());
  std::string up = WithNewline(up_text);
  // The down marker is at line up_lines + 2, as MapError expects.
  std::string synth = "-- cairn:up\n";
  synth += WithoutBom(up, bom);
  if (down_text) (synth += "-- cairn:down\n") += WithoutBom(*down_text, bom);
  const std::string synth_path = "\x01synth";
  auto parsed = ParseMigration(synth_path, "1_x.sql", synth);
  if (!parsed.ok()) return MapError(parsed.status(), synth_path, o);
  Migration m = std::move(*parsed);
  NameTwoFileMigration(id, name, up_file, up_path, o.up_lines, &m);
  if (m.down) m.down->extent.path = down_path;  // named in messages (the text is held)
  m.checksum = CanonicalChecksum(down_text ? up + "-- cairn:down-file\n" + *down_text : up_text);
  return m;
}

// FromTwoFiles for large files: the same text, fed line by line as the
// files are read, the sections left in their files. Errors are those of
// FromTwoFiles.
StatusOr<Migration> StreamTwoFiles(const std::string& id, const std::string& name,
                                   const std::string& up_file, const std::string& up_path,
                                   const std::string& down_path, const LineCheck& check,
                                   Bom bom = Bom::kSendAsIs) {
  Origin o;
  o.two_files = true;
  o.up_path = up_path;
  o.down_path = down_path;
  const std::string synth_path = "\x01synth";
  internal::MigrationLineParser parser(synth_path, /*keep_sql=*/false);
  CAIRN_RETURN_IF_ERROR(parser.Start("1_x.sql"));
  source::CanonicalHasher checksum(/*background=*/true);
  int number = 0;  // the line's number in the text built for the parser
  // Where each file's SQL starts: after a byte order mark the tool drops.
  auto start_of = [&](const std::string& path) -> uint64_t {
    return bom == Bom::kSkip && FileStartsWith(path, kBom) ? kBom.size() : 0;
  };
  auto feed = [&](source::Line l) -> Status {
    if (l.begin == 0 && WithoutBom(l.text, bom).size() < l.text.size()) {
      l.text.remove_prefix(kBom.size());  // a file's first line
      l.begin = kBom.size();
    }
    l.number = ++number;
    Status s = parser.AddLine(l);
    return s.ok() ? s : MapError(s, synth_path, o);
  };
  uint64_t up_size = 0;
  // Line 1 "-- cairn:up", then the up file, "-- cairn:down", the down file
  // (as MapError expects); the directives take no bytes of either file.
  CAIRN_RETURN_IF_ERROR(feed(source::Line{"-- cairn:up", 0, start_of(up_path), 0}));
  CAIRN_RETURN_IF_ERROR(ForEachLineOf(up_path, [&](const source::Line& l) -> Status {
    if (check) CAIRN_RETURN_IF_ERROR(check(up_path, l));
    checksum.AddLine(l.text);
    ++o.up_lines;
    up_size = l.next;
    return feed(l);
  }));
  if (!down_path.empty()) {
    checksum.AddLine("-- cairn:down-file");
    CAIRN_RETURN_IF_ERROR(feed(source::Line{"-- cairn:down", up_size, start_of(down_path), 0}));
    CAIRN_RETURN_IF_ERROR(ForEachLineOf(down_path, [&](const source::Line& l) -> Status {
      if (check) CAIRN_RETURN_IF_ERROR(check(down_path, l));
      checksum.AddLine(l.text);
      return feed(l);
    }));
  }
  auto parsed = parser.Finish();
  if (!parsed.ok()) return MapError(parsed.status(), synth_path, o);
  Migration m = std::move(*parsed);
  NameTwoFileMigration(id, name, up_file, up_path, o.up_lines, &m);
  if (m.down) m.down->extent.path = down_path;
  m.checksum = checksum.Finish();
  return m;
}

// Reads a two-file migration (up file, optional down file: "" for none)
// whole when the files together have at most `keep_in_memory` bytes, else
// streaming.
StatusOr<Migration> ReadTwoFiles(const std::string& id, const std::string& name,
                                 const std::string& up_file, const std::string& up_path,
                                 const std::string& down_path, size_t keep_in_memory,
                                 const LineCheck& check = nullptr, Bom bom = Bom::kSendAsIs) {
  if (TotalSize({&up_path, &down_path}) > keep_in_memory)
    return OncePerProcess(
        "two\n" + id + "\n" + name + "\n" + up_file + "\n" + up_path + "\n" + down_path,
        {&up_path, &down_path}, [&]() -> StatusOr<Migration> {
          return StreamTwoFiles(id, name, up_file, up_path, down_path, check, bom);
        });
  CAIRN_ASSIGN_OR_RETURN(std::string up, internal::ReadFileAt(AT_FDCWD, up_path, up_path));
  std::optional<std::string> down;
  if (!down_path.empty()) {
    CAIRN_ASSIGN_OR_RETURN(down, internal::ReadFileAt(AT_FDCWD, down_path, down_path));
  }
  return FromTwoFiles(id, name, up_file, up_path, up, down_path, down, check, bom);
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

// Other tools run a migration's up and down sections each in its own mode;
// cairn runs both in one (no-transaction when either asks for it). When
// they differ, the section the tool runs in a transaction must be a single
// statement, atomic either way; else cairn refuses rather than drop the
// transaction. `up_at` / `down_at` name where each mode is set ("file:line").
Status CheckSectionModes(std::string_view tool, const std::string& up_at,
                         const std::string& down_at, bool up_no_tx, bool down_no_tx, Migration* m) {
  m->no_transaction = m->no_transaction || up_no_tx || down_no_tx;
  if (up_no_tx == down_no_tx) return Status::Ok();
  const Section* tx = up_no_tx ? (m->down ? &*m->down : nullptr) : &m->up;
  if (tx == nullptr || !tx->facts.known || tx->facts.statements <= 1) return Status::Ok();
  return InvalidArgumentError(
      (up_no_tx ? down_at : up_at) + ": " + std::string(tool) + " runs this " +
      (up_no_tx ? "down" : "up") + " section of " + std::to_string(tx->facts.statements) +
      " statements in one transaction but the " + (up_no_tx ? "up" : "down") +
      " section outside one; cairn runs a migration in one mode and refuses to drop the "
      "transaction (mark both sections alike)");
}

// Whether the file at `path` begins with `prefix` (a short read).
bool FileStartsWith(const std::string& path, std::string_view prefix) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string buf(prefix.size(), '\0');
  ssize_t n = ::pread(fd, buf.data(), buf.size(), 0);
  ::close(fd);
  return n == static_cast<ssize_t>(prefix.size()) && buf == prefix;
}

// ---- dbmate -------------------------------------------------------------

// The text cairn parses for a dbmate file, line by line: the same lines,
// dbmate's markers as "-- cairn:up" / "-- cairn:down" (so the parse's line
// numbers are the file's), checking the file as dbmate 2.x does: one
// '-- migrate:up' then one '-- migrate:down', only blank and comment lines
// before the up marker (docs/formats.md, "dbmate"). `Take` returns the line
// to pass on.
class DbmateLines {
 public:
  explicit DbmateLines(const std::string& path) : path_(path) {}
  StatusOr<source::Line> Take(const source::Line& l) {
    CAIRN_RETURN_IF_ERROR(RefuseCairnDirective(path_, l, Format::kDbmate));
    // dbmate's lines end only at "\n": a lone "\r" (the line end's byte
    // follows the text in the reader's buffer) joins two lines for it.
    if (lone_cr_line_ > 0)
      return Error(lone_cr_line_,
                   "a line ends in a lone carriage return, which dbmate does not "
                   "take as a line end; cairn refuses the file");
    if (l.next - l.begin == l.text.size() + 1 && l.text.data()[l.text.size()] == '\r')
      lone_cr_line_ = l.number;  // refused if another line follows
    std::string marker, options;
    if (!DbmateMarker(l.text, &marker, &options)) {
      // dbmate's "--\s*" also spans line ends: "--" alone on a line and
      // "migrate:up" on the next is a marker to dbmate. cairn refuses it.
      std::string_view t = GoTrim(l.text);
      if (dashes_line_ && (t.substr(0, 10) == "migrate:up" || t.substr(0, 12) == "migrate:down"))
        return Error(l.number,
                     "'--' and 'migrate:" + std::string(t.substr(8, t[8] == 'u' ? 2 : 4)) +
                         "' on separate lines form a marker to dbmate; write it on one line");
      if (t.empty()) return l;  // blank lines keep a pending "--" line
      dashes_line_ = l.text.substr(0, 2) == "--" && GoTrim(l.text.substr(2)).empty();
      // dbmate reports a missing up marker first: this error waits for Finish.
      if (!seen_up_ && t.substr(0, 2) != "--" && statement_before_up_ == 0)
        statement_before_up_ = l.number;
      return l;
    }
    dashes_line_ = false;
    const bool up = marker == "up";
    if (up && seen_up_) return Error(l.number, "second '-- migrate:up'" + kOnePair);
    if (!up && !seen_up_) {  // reported by Finish, after a missing up marker, as dbmate does
      if (down_before_up_ == 0) down_before_up_ = l.number;
      return l;
    }
    if (!up && seen_down_) return Error(l.number, "second '-- migrate:down'" + kOnePair);
    // dbmate's options: "key:value" words; only transaction:false has an effect.
    bool no_tx = false;
    for (std::string_view rest = options; !rest.empty();) {
      size_t sp = 0;
      while (sp < rest.size() && !GoSpace(rest[sp])) ++sp;
      std::string_view word = rest.substr(0, sp);
      rest = GoTrim(rest.substr(sp));
      if (word == "transaction:false")
        no_tx = true;
      else if (word == "transaction:true")
        no_tx = false;
      else
        return Error(l.number, "unsupported dbmate option '" + std::string(word) +
                                   "' (cairn reads transaction:false and transaction:true)");
    }
    (up ? seen_up_ : seen_down_) = true;
    (up ? up_no_tx_ : down_no_tx_) = no_tx;
    (up ? up_line_ : down_line_) = l.number;
    source::Line d = l;
    d.text = up ? "-- cairn:up" : "-- cairn:down";
    return d;
  }
  // After the last line: the error for a missing marker.
  Status Finish() const {
    if (!seen_up_) return InvalidArgumentError(path_ + ": missing '-- migrate:up' section");
    if (statement_before_up_ > 0)
      return Error(statement_before_up_,
                   "statement before '-- migrate:up' (dbmate refuses it: only blank and comment "
                   "lines may precede the up marker)");
    if (down_before_up_ > 0)
      return Error(down_before_up_, "'-- migrate:down' before '-- migrate:up' (dbmate refuses it)");
    if (!seen_down_)
      return InvalidArgumentError(path_ +
                                  ": missing '-- migrate:down' section (dbmate requires one; it "
                                  "may be empty)");
    return Status::Ok();
  }
  // Applies the markers' transaction options to the parsed migration.
  Status Apply(Migration* m) const {
    return CheckSectionModes("dbmate", path_ + ":" + std::to_string(up_line_),
                             path_ + ":" + std::to_string(down_line_), up_no_tx_, down_no_tx_, m);
  }

 private:
  inline static const std::string kOnePair =
      " (dbmate 2.x reads a second up/down pair in one file and records the version twice; cairn "
      "reads one pair per file)";
  Status Error(int line, const std::string& msg) const {
    return InvalidArgumentError(path_ + ":" + std::to_string(line) + ": " + msg);
  }
  const std::string& path_;
  bool up_no_tx_ = false, down_no_tx_ = false, seen_up_ = false, seen_down_ = false;
  bool dashes_line_ = false;
  int up_line_ = 0, down_line_ = 0, statement_before_up_ = 0, down_before_up_ = 0;
  int lone_cr_line_ = 0;
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
  CAIRN_RETURN_IF_ERROR(lines->Apply(&m));
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
  CAIRN_RETURN_IF_ERROR(lines.Apply(&m));
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

// ---- sqlx ---------------------------------------------------------------

// sqlx's file rules (sqlx-core's migrate source): a regular file whose name
// splits at its first '_' into a version (an i64) and a rest ending in
// ".sql"; other names are ignored. "<v>_<d>.up.sql" / "<v>_<d>.down.sql" are
// the two halves of a reversible migration, any other "<v>_<d>.sql" a simple
// one. A file beginning with the bytes "-- no-transaction" runs outside a
// transaction.
StatusOr<std::vector<Migration>> LoadSqlx(const std::string& dir, const std::vector<Entry>& es,
                                          size_t keep) {
  struct Files {
    std::string version, name, up, down;  // up: the simple or .up.sql file
  };
  std::map<std::string, Files, ledger::MigrationIdLess> by_version;
  for (const Entry& e : es) {
    if (e.is_dir) continue;
    const size_t us = e.name.find('_');
    if (us == std::string::npos || !EndsWith(e.name.substr(us + 1), ".sql")) continue;
    const std::string version = e.name.substr(0, us);
    std::string_view digits = version;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    const std::string_view max = "9223372036854775807";
    std::string_view significant =
        digits.substr(std::min(digits.find_first_not_of('0'), digits.size()));
    if (!AllDigits(digits) || significant.size() > max.size() ||
        (significant.size() == max.size() && significant > max))
      return InvalidArgumentError(Join(dir, e.name) +
                                  ": sqlx cannot read this version (expected an integer version "
                                  "prefix, e.g. 01_foo.sql)");
    if (digits.size() != version.size())
      return InvalidArgumentError(Join(dir, e.name) +
                                  ": a signed version; cairn reads versions of digits only");
    std::string rest = e.name.substr(us + 1);
    const bool up = EndsWith(rest, ".up.sql"), down = EndsWith(rest, ".down.sql");
    const std::string suffix = up ? ".up.sql" : down ? ".down.sql" : ".sql";
    while (EndsWith(rest, suffix)) rest.resize(rest.size() - suffix.size());  // trim_end_matches
    auto [it, fresh] = by_version.try_emplace(version);
    Files& f = it->second;
    std::string& slot = down ? f.down : f.up;
    if (!slot.empty()) return Duplicate(dir, e.name, version, slot);
    slot = e.name;
    if (!down || f.version.empty()) {
      f.version = version;
      f.name = rest;
    }
  }
  const LineCheck check = [](const std::string& path, const source::Line& l) -> Status {
    if (!internal::ValidUtf8(l.text))
      return InvalidArgumentError(path + ":" + std::to_string(l.number) +
                                  ": not valid UTF-8 (sqlx refuses the file)");
    return RefuseCairnDirective(path, l, Format::kSqlx);
  };
  std::vector<Migration> out;
  for (const auto& [key, f] : by_version) {
    if (f.up.empty())
      return InvalidArgumentError(Join(dir, f.down) + ": down file without its up file " +
                                  f.version + "_*.up.sql");
    const std::string up_path = Join(dir, f.up),
                      down_path = f.down.empty() ? "" : Join(dir, f.down);
    CAIRN_ASSIGN_OR_RETURN(Migration m,
                           ReadTwoFiles(f.version, f.name, f.up, up_path, down_path, keep, check));
    const std::string_view kNoTx = "-- no-transaction";
    CAIRN_RETURN_IF_ERROR(
        CheckSectionModes("sqlx", up_path + ":1", down_path + ":1", FileStartsWith(up_path, kNoTx),
                          !down_path.empty() && FileStartsWith(down_path, kNoTx), &m));
    out.push_back(std::move(m));
  }
  return Finish(dir, std::move(out));
}

// ---- goose --------------------------------------------------------------

// goose's annotation on `line`, lower-cased ("up", "down", "statementbegin",
// "statementend", "no transaction", "envsub on", "envsub off"); "" when the
// line is no annotation; an error for a malformed one. As goose: a line
// whose trimmed text starts with "--" and holds "+goose" is an annotation;
// it must start at the line's start; every "--" and the first "+goose" are
// removed and the rest, trimmed, compared ignoring case.
StatusOr<std::string> GooseAnnotation(std::string_view line) {
  std::string_view t = GoTrim(line);
  if (t.substr(0, 2) != "--" || line.find("+goose") == std::string_view::npos) return std::string();
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t'))
    return InvalidArgumentError("goose annotation with leading whitespace (goose refuses it)");
  std::string cmd;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line.compare(i, 2, "--") == 0) {
      ++i;
      continue;
    }
    cmd.push_back(line[i]);
  }
  cmd.erase(cmd.find("+goose"), 6);
  if (cmd.find("+goose") != std::string::npos)
    return InvalidArgumentError("two '+goose' annotations on one line (goose refuses it)");
  std::string lower;
  for (char c : GoTrim(cmd))
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* known : {"up", "down", "statementbegin", "statementend", "no transaction",
                            "envsub on", "envsub off"})
    if (lower == known) return lower;
  return InvalidArgumentError("unknown goose annotation '" + std::string(GoTrim(line)) +
                              "' (goose refuses it)");
}

// goose's parser (its internal/sqlparser), run alongside cairn's: the text
// cairn parses is the file's lines with "-- +goose Up" / "-- +goose Down" as
// "-- cairn:up" / "-- cairn:down"; the statements goose would send are
// collected as it would cut them, so that cairn can refuse a file it would
// cut differently (docs/formats.md, "goose").
class GooseLines {
 public:
  explicit GooseLines(const std::string& path) : path_(path) {
    for (auto& d : digest_) d = source::MakeHasher(/*background=*/false);
  }
  StatusOr<source::Line> Take(const source::Line& l) {
    CAIRN_RETURN_IF_ERROR(RefuseCairnDirective(path_, l, Format::kGoose));
    if (l.text.size() > kMaxLine)
      return Error(l.number, "a line longer than goose's 4 MiB scanner buffer (goose fails on it)");
    const std::string_view line = l.text;
    if (state_ == kStart && GoTrim(line).empty()) return l;
    auto annotation = GooseAnnotation(line);
    if (!annotation.ok()) return Error(l.number, annotation.status().message());
    const std::string& a = *annotation;
    source::Line out = l;
    if (a == "up") {
      if (state_ != kStart) return Error(l.number, "second '-- +goose Up' (goose refuses it)");
      state_ = kUp;
      up_line_ = l.number;
      out.text = "-- cairn:up";
      return out;
    }
    if (a == "down") {
      if (state_ != kUp && state_ != kEndUp)
        return Error(l.number, state_ == kStart ? "'-- +goose Down' before '-- +goose Up'"
                                                : "'-- +goose Down' here (goose refuses it)");
      if (!GoTrim(buf_).empty())
        return Error(l.number,
                     "the up statement before '-- +goose Down' does not end with ';' "
                     "(goose refuses it)");
      buf_.clear();
      state_ = kDown;
      down_line_ = l.number;
      out.text = "-- cairn:down";
      return out;
    }
    if (a == "statementbegin") {
      if (state_ == kUp || state_ == kEndUp)
        state_ = kBeginUp;
      else if (state_ == kDown || state_ == kEndDown)
        state_ = kBeginDown;
      else
        return Error(l.number,
                     "'-- +goose StatementBegin' outside an up or down section or inside a block");
      begin_line_ = l.number;
      return l;
    }
    if (a == "no transaction") {
      no_tx_ = true;
      return l;
    }
    if (a == "envsub on")
      return Error(l.number,
                   "'-- +goose ENVSUB ON': cairn does not substitute environment "
                   "variables in SQL; refused rather than run the text unsubstituted");
    if (a == "envsub off") return l;
    if (a == "statementend") {
      if (state_ != kBeginUp && state_ != kBeginDown)
        return Error(l.number, "'-- +goose StatementEnd' without its StatementBegin");
      // goose takes the block as one statement; an empty block makes it drop
      // the next line, which cairn refuses.
      if (buf_.empty())
        return Error(l.number,
                     "empty StatementBegin/StatementEnd block (goose then skips the "
                     "next line); cairn refuses it");
      state_ = state_ == kBeginUp ? kUp : kDown;
      CAIRN_RETURN_IF_ERROR(Statement(l.number));
      return l;
    }
    // Not an annotation. Comments and empty lines before a statement are skipped.
    if (buf_.empty() && (GoTrim(line).substr(0, 2) == "--" || line.empty())) return l;
    if (state_ == kStart) return Error(l.number, "SQL before '-- +goose Up' (goose refuses it)");
    if (buf_.empty()) buf_line_ = l.number;
    buf_.append(line);
    buf_.push_back('\n');
    if ((state_ == kUp || state_ == kDown) && EndsWithSemicolon(line))
      CAIRN_RETURN_IF_ERROR(Statement(l.number));
    return l;
  }

  // After the last line: goose's end-of-file errors; the down section goose
  // runs when there is none (nothing: a no-op).
  Status Finish() const {
    if (state_ == kStart) return InvalidArgumentError(path_ + ": missing '-- +goose Up'");
    if (state_ == kBeginUp || state_ == kBeginDown)
      return Error(begin_line_, "'-- +goose StatementBegin' without its StatementEnd");
    if (!GoTrim(buf_).empty())
      return Error(buf_line_,
                   "the statement starting here does not end with ';' (goose "
                   "refuses it)");
    return Status::Ok();
  }
  bool has_down() const { return down_line_ > 0; }

  // Compares the statements goose would send with cairn's cut of the
  // sections, and applies NO TRANSACTION.
  Status Apply(Migration* m) {
    m->no_transaction = m->no_transaction || no_tx_;
    const Section* sections[2] = {&m->up, m->down ? &*m->down : nullptr};
    const int lines[2] = {up_line_, down_line_};
    for (int d = 0; d < 2; ++d) {
      if (sections[d] == nullptr || !sections[d]->facts.known) continue;
      if (!bytes_[d].empty()) digest_[d]->Update(bytes_[d]);
      const std::string sha = digest_[d]->Finish();
      if (count_[d] != sections[d]->facts.statements || sha != sections[d]->facts.statements_sha256)
        return Error(lines[d], std::string("goose cuts the ") + (d == 0 ? "up" : "down") +
                                   " section into statements differently from cairn (a ';' "
                                   "inside quotes, or a statement ending mid-line); cairn "
                                   "refuses to run it differently");
    }
    return Status::Ok();
  }

 private:
  enum State { kStart, kUp, kBeginUp, kEndUp, kDown, kBeginDown, kEndDown };
  static constexpr size_t kMaxLine = 4 << 20;

  // goose's test: the last word before a word starting with "--" ends in ';'.
  static bool EndsWithSemicolon(std::string_view line) {
    std::string_view prev;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      size_t j = i;
      while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
      if (j == i) break;
      std::string_view word = line.substr(i, j - i);
      if (word.substr(0, 2) == "--") break;
      prev = word;
      i = j;
    }
    return !prev.empty() && prev.back() == ';';
  }

  // One statement goose sends: cairn's cut of it, into the section's digest.
  // In no-transaction mode it must be one statement to cairn as well
  // (PostgreSQL runs several sent at once in one implicit transaction).
  Status Statement(int line) {
    const int d = (state_ == kUp || state_ == kBeginUp || state_ == kEndUp) ? 0 : 1;
    const std::string stmt(GoTrim(buf_));
    buf_.clear();
    std::vector<db::SqlStatement> parts = db::SplitSqlStatements(stmt);
    if (parts.empty() || (no_tx_ && parts.size() > 1))
      return Error(buf_line_ ? buf_line_ : line,
                   parts.empty() ? "goose sends a statement here that cairn reads as empty"
                                 : "goose sends these " + std::to_string(parts.size()) +
                                       " statements as one outside a transaction; cairn refuses");
    for (const db::SqlStatement& p : parts) {
      source::AppendStatementBytes(p.text, &bytes_[d]);
      ++count_[d];
    }
    if (bytes_[d].size() >= (1 << 20)) {
      digest_[d]->Update(bytes_[d]);
      bytes_[d].clear();
    }
    return Status::Ok();
  }
  Status Error(int line, const std::string& msg) const {
    return InvalidArgumentError(path_ + ":" + std::to_string(line) + ": " + msg);
  }

  const std::string& path_;
  State state_ = kStart;
  std::string buf_;
  int buf_line_ = 0, up_line_ = 0, down_line_ = 0, begin_line_ = 0;
  bool no_tx_ = false;
  std::unique_ptr<source::Hasher> digest_[2];
  std::string bytes_[2];
  int64_t count_[2] = {0, 0};
};

// A goose SQL file, whole or streaming as ReadDbmateFile.
StatusOr<Migration> ReadGooseFile(const std::string& path, size_t keep_in_memory) {
  auto parse = [&]() -> StatusOr<Migration> {
    GooseLines lines(path);
    internal::MigrationLineParser parser(path, /*keep_sql=*/TotalSize({&path}) <= keep_in_memory);
    CAIRN_RETURN_IF_ERROR(parser.Start("1_x.sql"));
    source::CanonicalHasher checksum(/*background=*/true);
    Status parsed;  // the parse's first error; goose's rules are still checked to the end
    uint64_t end = 0;
    CAIRN_RETURN_IF_ERROR(ForEachLineOf(path, [&](const source::Line& l) -> Status {
      checksum.AddLine(l.text);
      end = l.next;
      CAIRN_ASSIGN_OR_RETURN(source::Line d, lines.Take(l));
      if (parsed.ok()) parsed = parser.AddLine(d);
      return Status::Ok();
    }));
    CAIRN_RETURN_IF_ERROR(lines.Finish());
    // No Down section: goose's rollback runs nothing and records it.
    if (!lines.has_down() && parsed.ok())
      parsed = parser.AddLine(source::Line{"-- cairn:down", end, end, 0});
    CAIRN_RETURN_IF_ERROR(parsed);
    CAIRN_ASSIGN_OR_RETURN(Migration m, parser.Finish());
    m.checksum = checksum.Finish();
    CAIRN_RETURN_IF_ERROR(lines.Apply(&m));
    return m;
  };
  if (TotalSize({&path}) > keep_in_memory) return OncePerProcess("goose\n" + path, {&path}, parse);
  return parse();
}

// goose's folder: "<version>_<name>.sql" (SQL) and "<version>_<name>.go"
// (Go, compiled into the goose binary; *_test.go ignored); the version is
// an integer greater than zero (a timestamp or a sequence number).
StatusOr<std::vector<Migration>> LoadGoose(const std::string& dir, const std::vector<Entry>& es,
                                           size_t keep) {
  std::vector<Migration> out;
  for (const Entry& e : es) {
    if (e.is_dir) continue;
    const bool sql = EndsWith(e.name, ".sql"), go = EndsWith(e.name, ".go");
    if ((!sql && !go) || EndsWith(e.name, "_test.go")) continue;
    const size_t us = e.name.find('_');
    const std::string version = e.name.substr(0, us);
    if (us == std::string::npos || !AllDigits(version) ||
        version.find_first_not_of('0') == std::string::npos)
      return NoRule(dir, e.name, Format::kGoose, "<version>_<name>.sql, version > 0");
    if (go)
      return InvalidArgumentError(Join(dir, e.name) +
                                  ": a goose Go migration; cairn runs goose's SQL migrations only "
                                  "and stops here rather than skip it");
    const std::string path = Join(dir, e.name);
    CAIRN_ASSIGN_OR_RETURN(Migration m, ReadGooseFile(path, keep));
    m.id = version;
    m.name = e.name.substr(us + 1, e.name.size() - us - 5);
    m.description = m.name;
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
                             ReadTwoFiles("R__" + desc, desc, e.name, Join(dir, e.name), "", keep,
                                          nullptr, Bom::kSkip));
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
    CAIRN_ASSIGN_OR_RETURN(Migration m, ReadTwoFiles(version, v.desc, v.v_file, Join(dir, v.v_file),
                                                     v.u_file.empty() ? "" : Join(dir, v.u_file),
                                                     keep, nullptr, Bom::kSkip));
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

StatusOr<Migration> internal::ReadUpOnlyFile(const std::string& id, const std::string& name,
                                             const std::string& file, const std::string& path,
                                             const std::string* text, size_t keep_in_memory) {
  if (text == nullptr) return ReadTwoFiles(id, name, file, path, "", keep_in_memory);
  return FromTwoFiles(id, name, file, path, *text, "", std::nullopt, nullptr);
}

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
    case Format::kSqlx:
      return "sqlx";
    case Format::kGoose:
      return "goose";
    case Format::kAtlas:
      return "atlas";
    case Format::kLiquibase:
      return "liquibase";
  }
  return "unknown";
}

std::vector<std::string> FormatNames() {
  return {"cairn", "dbmate", "golang-migrate", "flyway",   "diesel",
          "sqlx",  "goose",  "atlas",          "liquibase"};
}

StatusOr<Format> ParseFormat(std::string_view name) {
  for (Format f :
       {Format::kCairn, Format::kDbmate, Format::kGolangMigrate, Format::kFlyway, Format::kDiesel,
        Format::kSqlx, Format::kGoose, Format::kAtlas, Format::kLiquibase})
    if (FormatName(f) == name) return f;
  return InvalidArgumentError("--format " + std::string(name) +
                              ": unknown format (expected cairn, dbmate, golang-migrate, flyway, "
                              "diesel, sqlx, goose, atlas or liquibase)");
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
    if (!e.is_dir && e.name == "atlas.sum") {
      f = Format::kAtlas;  // Atlas's integrity file
    } else if (e.is_dir) {
      if (DieselName(e.name, &a, &b)) {
        struct stat st {};
        if (::stat(Join(Join(dir, e.name), "up.sql").c_str(), &st) == 0) f = Format::kDiesel;
      }
    } else if (!EndsWith(e.name, ".sql")) {
      if (!internal::IsLiquibaseChangelogFile(Join(dir, e.name))) continue;
      f = Format::kLiquibase;
    } else if (FlywayName(e.name, &kind, &a, &b)) {
      f = Format::kFlyway;
    } else {
      // Read in blocks up to a marker: a large file is never held whole.
      // A first line "-- no-transaction" is sqlx's; "-- migrate:up" dbmate's;
      // "-- +goose up" goose's.
      const bool two_file = EndsWith(e.name, ".up.sql") || EndsWith(e.name, ".down.sql");
      if (two_file) f = Format::kGolangMigrate;
      bool blank_so_far = true;  // Liquibase's header is the first line that is not blank
      (void)ForEachLineOf(Join(dir, e.name), [&](const source::Line& l) -> Status {
        if (blank_so_far && !Trim(l.text).empty()) {
          blank_so_far = false;
          if (internal::IsLiquibaseHeader(l.text)) {
            f = Format::kLiquibase;
            return CancelledError("found");
          }
        }
        if (l.number == 1 && l.text.substr(0, 17) == "-- no-transaction") {
          f = Format::kSqlx;
          return CancelledError("found");
        }
        if (two_file) return CancelledError("first line only");
        std::string marker, options;
        if (DbmateMarker(l.text, &marker, &options) && marker == "up") {
          f = Format::kDbmate;
          return CancelledError("found");
        }
        if (auto ann = GooseAnnotation(l.text); ann.ok() && *ann == "up") {
          f = Format::kGoose;
          return CancelledError("found");
        }
        return Status::Ok();
      });
    }
    if (f != Format::kCairn) seen.try_emplace(f, e.name);
  }
  if (seen.empty()) return Format::kCairn;
  // sqlx's reversible files are golang-migrate's layout; "-- no-transaction" tells them apart.
  if (seen.count(Format::kSqlx)) seen.erase(Format::kGolangMigrate);
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

std::string internal::FormatGuess(const std::string& dir) {
  auto entries = ListDir(dir);
  if (!entries) return "";
  int sqlx_like = 0;
  for (const Entry& e : *entries) {
    if (e.is_dir || !EndsWith(e.name, ".sql")) continue;
    const size_t us = e.name.find('_');
    if (us == std::string::npos || !AllDigits(e.name.substr(0, us))) return "";
    // A cairn file, even a broken one, keeps cairn's own error alone.
    bool cairn_file = false;
    (void)ForEachLineOf(Join(dir, e.name), [&](const source::Line& l) -> Status {
      std::string_view t = Trim(l.text);
      if (t.substr(0, 2) != "--" || Trim(t.substr(2)).substr(0, 6) != "cairn:") return Status::Ok();
      cairn_file = true;
      return CancelledError("found");
    });
    if (cairn_file) return "";
    ++sqlx_like;
  }
  if (sqlx_like == 0) return "";
  return "recognised " + std::to_string(sqlx_like) +
         " file(s) named <version>_<description>.sql without a cairn, dbmate or goose marker: "
         "these look like sqlx files: use --format sqlx (or, if they are cairn's, add '-- "
         "cairn:up')";
}

namespace {

// The migrations of `format` among `entries_in` of `dir`.
StatusOr<std::vector<Migration>> LoadEntries(const std::string& dir,
                                             const std::vector<Entry>& entries_in, Format format,
                                             size_t keep) {
  const std::vector<Entry>* entries = &entries_in;
  switch (format) {
    case Format::kDbmate:
      return LoadDbmate(dir, *entries, keep);
    case Format::kGolangMigrate:
      return LoadGolangMigrate(dir, *entries, keep);
    case Format::kFlyway:
      return LoadFlyway(dir, *entries, keep);
    case Format::kDiesel:
      return LoadDiesel(dir, *entries, keep);
    case Format::kSqlx:
      return LoadSqlx(dir, *entries, keep);
    case Format::kGoose:
      return LoadGoose(dir, *entries, keep);
    case Format::kAtlas:
      return internal::LoadAtlas(dir, keep);
    case Format::kLiquibase: {
      std::vector<Migration> out;
      CAIRN_RETURN_IF_ERROR(internal::ReadLiquibase(dir, &out).status());
      return out;
    }
    case Format::kCairn:
    case Format::kAuto:
      break;
  }
  return InvalidArgumentError("LoadFormat: not another tool's format");
}

// The file holding `m`'s down section under `format`.
std::string DownPath(const Migration& m, Format format) {
  if (m.down && !m.down->extent.path.empty()) return m.down->extent.path;
  const std::string dir = m.path.substr(0, m.path.size() - m.file.size());
  switch (format) {
    case Format::kGolangMigrate:
    case Format::kSqlx:
      if (EndsWith(m.path, ".up.sql")) return m.path.substr(0, m.path.size() - 7) + ".down.sql";
      return m.path;
    case Format::kDiesel:
      return m.path.substr(0, m.path.rfind('/') + 1) + "down.sql";
    case Format::kFlyway:
      return dir + "U" + m.file.substr(1);
    default:
      return m.path;
  }
}

// A statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY,
// VACUUM, ...) in a section the tool runs in one: the tool fails on the
// file, where cairn would run the migration outside a transaction. cairn
// refuses such a file at load, naming the file, the statement's line and
// the tool's way to say "no transaction" (docs/formats.md). golang-migrate
// sends a file as one query, so on PostgreSQL a single such statement runs
// outside a transaction block; Flyway runs a migration of one such
// statement outside a transaction (it refuses a mix): one statement is
// accepted for them when the same holds on SQLite, where both wrap a file
// in a transaction.
Status RefuseWhatTheToolFailsOn(Format format, const Migration& m) {
  if (m.no_transaction || m.step) return Status::Ok();
  const std::string tool(FormatName(format));
  const char* marker = "";
  switch (format) {
    case Format::kDbmate:
      marker = "mark the section '-- migrate:up transaction:false' (or down)";
      break;
    case Format::kSqlx:
      marker = "begin the file with '-- no-transaction'";
      break;
    case Format::kGoose:
      marker = "mark the file '-- +goose NO TRANSACTION'";
      break;
    case Format::kDiesel:
      marker = "put 'run_in_transaction = false' in the migration's metadata.toml";
      break;
    case Format::kGolangMigrate:
    case Format::kFlyway:
      marker = "put the statement in a migration of its own";
      break;
    default:
      return Status::Ok();  // Atlas checks its own (atlas.cc)
  }
  const bool one_alone = format == Format::kGolangMigrate || format == Format::kFlyway;
  for (int d = 0; d < 2; ++d) {
    const Section* section = d == 0 ? &m.up : (m.down ? &*m.down : nullptr);
    if (section == nullptr || !section->facts.known) continue;
    const std::string pg = NoTransactionReason(m, *section, db::Backend::kPostgres, 1000000);
    const std::string lite = NoTransactionReason(m, *section, db::Backend::kSqlite, 0);
    if (pg.empty() && lite.empty()) continue;
    if (one_alone && section->facts.statements <= 1 && lite.empty()) continue;
    const std::string path = d == 0 ? m.path : DownPath(m, format);
    return InvalidArgumentError(path + ": " + (pg.empty() ? lite : pg) +
                                " cannot run in the transaction " + tool + " runs this " +
                                (d == 0 ? "up" : "down") + " section in (" + tool +
                                " fails on it); " + marker);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<Migration>> LoadFormat(const std::string& dir, Format format) {
  return internal::LoadFormatStreamingAbove(dir, format, kKeepInMemoryBytes);
}

StatusOr<std::vector<Migration>> internal::LoadFormatStreamingAbove(const std::string& dir,
                                                                    Format format, size_t keep) {
  auto entries = ListDir(dir);
  if (!entries) return InvalidArgumentError("migrations directory '" + dir + "': cannot open");
  StatusOr<std::vector<Migration>> loaded = LoadEntries(dir, *entries, format, keep);
  if (loaded.ok())
    for (const Migration& m : *loaded) CAIRN_RETURN_IF_ERROR(RefuseWhatTheToolFailsOn(format, m));
  return loaded;
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

bool internal::ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

std::string internal::HexBytes(const unsigned char* bytes, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < n; ++i) {
    hex.push_back(kHex[bytes[i] >> 4]);
    hex.push_back(kHex[bytes[i] & 15]);
  }
  return hex;
}

}  // namespace cairn::runner
