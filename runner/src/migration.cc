#include "cairn/runner/migration.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include "cairn/db/sql_splitter.h"
#include "cairn/ledger/hash.h"
#include "cairn/ledger/state.h"
#include "directives.h"
#include "formats/dispatch.h"
#include "migration_dir.h"

namespace cairn::runner {
namespace {

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\f' || s.back() == '\v'))
    s.remove_suffix(1);
  return s;
}
std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

bool IsBlankOrComment(std::string_view line) {
  line = TrimLeft(TrimRight(line));
  return line.empty() || line.substr(0, 2) == "--";
}

// "-- cairn:up" -> "up"; not a directive -> nullopt.
std::optional<std::string_view> Directive(std::string_view line) {
  line = TrimLeft(TrimRight(line));
  if (line.substr(0, 2) != "--") return std::nullopt;
  line = TrimLeft(line.substr(2));
  if (line.substr(0, 6) != "cairn:") return std::nullopt;
  line.remove_prefix(6);
  return line.substr(0, line.find_first_of(" \t"));
}

// The words of a statement, upper-cased, skipping quoted strings and
// identifiers ('...', "...", `...`, $tag$...$tag$) and comments.
std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  auto skip_to = [&](std::string_view close) {
    size_t e = s.find(close, i);
    i = e == std::string_view::npos ? s.size() : e + close.size();
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      ++i;
      skip_to(std::string_view(&c, 1));  // a doubled quote re-enters the next round
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      skip_to("\n");
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      i += 2;
      skip_to("*/");
    } else if (c == '$') {
      size_t e = i + 1;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
      if (e < s.size() && s[e] == '$') {
        std::string tag(s.substr(i, e + 1 - i));
        i = e + 1;
        skip_to(tag);
      } else {
        i = e;
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string w;
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_'))
        w.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(s[i++]))));
      out.push_back(std::move(w));
    } else {
      ++i;
    }
  }
  return out;
}

Status FileError(std::string_view path, int line, std::string_view what) {
  std::string m(path);
  if (line > 0) m += ":" + std::to_string(line);
  m += ": ";
  m += what;
  return InvalidArgumentError(std::move(m));
}

}  // namespace

std::string CanonicalChecksum(std::string_view contents) {
  std::vector<std::string_view> lines = internal::SplitLines(contents);
  while (!lines.empty() && TrimRight(lines.back()).empty()) lines.pop_back();
  std::string canon;
  canon.reserve(contents.size());
  for (auto l : lines) {
    canon.append(TrimRight(l));
    canon.push_back('\n');
  }
  return "sha256:" + ledger::ToHex(ledger::Sha256(canon));
}

StatusOr<Migration> ParseMigration(std::string_view path, std::string_view file_name,
                                   std::string_view contents) {
  Migration m;
  if (!internal::ParseFileName(file_name, &m.id, &m.name)) {
    return FileError(path, 0,
                     "migration file names must look like NNNN_name.sql (digits, '_', then "
                     "letters, digits, '_' or '-')");
  }
  m.file = std::string(file_name);
  m.path = std::string(path);
  m.description = m.name;
  std::replace(m.description.begin(), m.description.end(), '_', ' ');
  m.checksum = CanonicalChecksum(contents);

  std::vector<std::string_view> lines = internal::SplitLines(contents);
  enum { kPreamble, kUp, kDown } where = kPreamble;
  int up_directive_line = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int lineno = static_cast<int>(i) + 1;
    std::string_view line = lines[i];
    // A lint-ignore comment (docs/lint.md) stays an ordinary SQL comment.
    if (auto d = Directive(line); d && *d != "lint-ignore") {
      if (*d == "up") {
        if (where != kPreamble)
          return FileError(path, lineno, "second '-- cairn:up' (one up section per file)");
        where = kUp;
        up_directive_line = lineno;
        m.up.first_line = lineno + 1;
        continue;
      }
      if (*d == "down") {
        if (where == kPreamble)
          return FileError(path, lineno, "'-- cairn:down' before '-- cairn:up'");
        if (where == kDown)
          return FileError(path, lineno, "second '-- cairn:down' (one down section per file)");
        where = kDown;
        m.down = Section{"", lineno + 1};
        continue;
      }
      if (*d == "batch" && where != kPreamble) {
        Section& sec = where == kUp ? m.up : *m.down;
        bool only_comments = true;
        for (auto l : internal::SplitLines(sec.sql))
          only_comments = only_comments && IsBlankOrComment(l);
        if (sec.batch || !only_comments)
          return FileError(path, lineno, "'-- cairn:batch' must be the first line of its section");
        std::string_view rest = TrimLeft(TrimRight(line));
        rest = rest.substr(rest.find("cairn:batch") + 11);
        CAIRN_ASSIGN_OR_RETURN(sec.batch, ParseBatchDirective(path, lineno, rest));
        sec.sql.push_back('\n');  // keeps the section's lines aligned with the file's
        continue;
      }
      if (auto handled = ParseOptionDirective(line, where == kPreamble, &m); handled) {
        if (!handled->ok()) return FileError(path, lineno, handled->message());
        continue;
      }
      return FileError(path, lineno,
                       "unknown directive 'cairn:" + std::string(*d) +
                           "' (expected '-- cairn:up' or '-- cairn:down')");
    }
    switch (where) {
      case kPreamble:
        if (!IsBlankOrComment(line))
          return FileError(path, lineno, "SQL before '-- cairn:up'; put it in the up section");
        break;
      case kUp:
        m.up.sql.append(line);
        m.up.sql.push_back('\n');
        break;
      case kDown:
        m.down->sql.append(line);
        m.down->sql.push_back('\n');
        break;
    }
  }
  if (where == kPreamble) return FileError(path, 0, "missing '-- cairn:up' section");
  // cairn wraps each section in its own transaction (with the ledger events);
  // a COMMIT inside would split the change from its events.
  for (const Section* sec : {&m.up, m.down ? &*m.down : nullptr}) {
    if (sec == nullptr) continue;
    // Inside a block body (SQLite: CREATE TRIGGER ... BEGIN ...; END;
    // PostgreSQL: CREATE FUNCTION ... BEGIN ATOMIC ...; END;) the splitter
    // sees the body's statements and the closing END as statements of their
    // own; they are not transaction control.
    bool in_block = false;
    for (const db::SqlStatement& st : db::SplitSqlStatements(sec->sql)) {
      const std::vector<std::string> words = Words(st.text);
      if (words.empty()) continue;
      const std::string& word = words[0];
      auto has = [&](std::string_view w) {
        return std::find(words.begin(), words.end(), w) != words.end();
      };
      if (in_block) {
        if (word == "END") in_block = false;
        continue;
      }
      if (word == "CREATE") {
        auto b = std::find(words.begin(), words.end(), "BEGIN");
        in_block =
            b != words.end() && (has("TRIGGER") || (b + 1 != words.end() && b[1] == "ATOMIC"));
        continue;
      }
      const bool start_tx = word == "START" && has("TRANSACTION");
      // ROLLBACK TO [SAVEPOINT] x stays inside the transaction.
      const bool rollback_to = word == "ROLLBACK" && words.size() > 1 && words[1] == "TO";
      if (word == "BEGIN" || word == "COMMIT" || word == "END" ||
          (word == "ROLLBACK" && !rollback_to) || start_tx) {
        int line = sec->first_line;
        for (size_t i = 0; i < st.offset; ++i)
          if (sec->sql[i] == '\n') ++line;
        return FileError(path, line,
                         "transaction control statement '" + word +
                             "': cairn runs each migration in its own transaction together with "
                             "its ledger events; remove it");
      }
    }
  }
  if (m.up.batch) CAIRN_RETURN_IF_ERROR(FinishBatchSection(path, &m.up));
  if (m.down && m.down->batch) CAIRN_RETURN_IF_ERROR(FinishBatchSection(path, &*m.down));
  bool empty_up = true;
  for (auto l : internal::SplitLines(m.up.sql)) empty_up = empty_up && IsBlankOrComment(l);
  if (empty_up) return FileError(path, up_directive_line, "the up section has no SQL");
  return m;
}

namespace internal {

bool ParseFileName(std::string_view name, std::string* id, std::string* rest) {
  if (name.size() < 5 || name.substr(name.size() - 4) != ".sql") return false;
  std::string_view stem = name.substr(0, name.size() - 4);
  size_t i = 0;
  while (i < stem.size() && stem[i] >= '0' && stem[i] <= '9') ++i;
  if (i == 0 || i >= stem.size() || stem[i] != '_' || i + 1 >= stem.size()) return false;
  std::string_view r = stem.substr(i + 1);
  for (char c : r) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  *id = std::string(stem.substr(0, i));
  *rest = std::string(r);
  return true;
}

StatusOr<std::string> ReadFileAt(int dir_fd, const std::string& name, const std::string& path) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InvalidArgumentError(path + ": cannot read: " + std::strerror(errno));
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return InvalidArgumentError(path + ": cannot read: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(path + ": not a regular file");
  }
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() + 4096);  // the file grew, or size 0
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return InvalidArgumentError(path + ": cannot read: " + std::strerror(e));
    }
    got += static_cast<size_t>(n);
    if (n == 0 || got == static_cast<size_t>(st.st_size)) break;
  }
  ::close(fd);
  out.resize(got);
  return out;
}

Status ForEachMigrationFile(const std::string& dir,
                            const std::function<Status(int dir_fd, const std::string& name,
                                                       const std::string& path)>& visit) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return InvalidArgumentError("migrations directory '" + dir + "': " + std::strerror(errno));
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;
    if (n.size() < 4 || n.substr(n.size() - 4) != ".sql") continue;
    if (e->d_type != DT_REG && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN) continue;
    names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  Status status;
  for (const std::string& n : names) {
    std::string path = dir + (dir.empty() || dir.back() == '/' ? "" : "/") + n;
    status = visit(::dirfd(d), n, path);
    if (!status.ok()) break;
  }
  ::closedir(d);
  return status;
}

Status CheckUniqueIds(const std::string& dir, const std::vector<std::string_view>& ids,
                      const std::vector<std::string_view>& files) {
  // Sorting indices by id (stably, so files keep name order among equal ids)
  // puts duplicates side by side; names usually sort by id already.
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto by_id = [&](size_t a, size_t b) { return ledger::CompareMigrationIds(ids[a], ids[b]) < 0; };
  if (!std::is_sorted(order.begin(), order.end(), by_id))
    std::stable_sort(order.begin(), order.end(), by_id);
  for (size_t k = 1; k < order.size(); ++k) {
    const size_t first = order[k - 1], second = order[k];
    if (ledger::CompareMigrationIds(ids[first], ids[second]) == 0) {
      return InvalidArgumentError(dir + (dir.empty() || dir.back() == '/' ? "" : "/") +
                                  std::string(files[second]) + ": duplicate migration number " +
                                  std::string(ids[second]) + " (also " + dir + "/" +
                                  std::string(files[first]) + ")");
    }
  }
  return Status::Ok();
}

// Splits into lines, accepting LF, CRLF and CR (migration_dir.h).
std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      out.push_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

}  // namespace internal

namespace {
StatusOr<std::vector<Migration>> LoadCairnMigrations(const std::string& dir) {
  std::vector<Migration> out;
  CAIRN_RETURN_IF_ERROR(internal::ForEachMigrationFile(
      dir, [&](int dir_fd, const std::string& name, const std::string& path) -> Status {
        CAIRN_ASSIGN_OR_RETURN(std::string text, internal::ReadFileAt(dir_fd, name, path));
        CAIRN_ASSIGN_OR_RETURN(Migration m, ParseMigration(path, name, text));
        out.push_back(std::move(m));
        return Status::Ok();
      }));
  std::vector<std::string_view> ids, files;
  for (const Migration& m : out) {
    ids.push_back(m.id);
    files.push_back(m.file);
  }
  CAIRN_RETURN_IF_ERROR(internal::CheckUniqueIds(dir, ids, files));
  auto by_id = [](const Migration& a, const Migration& b) {
    return ledger::CompareMigrationIds(a.id, b.id) < 0;
  };
  if (!std::is_sorted(out.begin(), out.end(), by_id)) std::sort(out.begin(), out.end(), by_id);
  return out;
}
}  // namespace

StatusOr<std::vector<Migration>> LoadMigrations(const std::string& dir) {
  // Other tools' folders (docs/formats.md).
  return internal::ReadWithFormats<Migration>(
      dir, [&] { return LoadCairnMigrations(dir); }, [](Migration m) { return m; });
}

StatusOr<std::string> CreateMigrationFile(const std::string& dir, std::string_view raw_name) {
  std::string name;
  for (char c : raw_name) {
    if (c == ' ') c = '_';
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      return InvalidArgumentError("migration name '" + std::string(raw_name) +
                                  "': use letters, digits, '_' or '-'");
    }
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (name.empty()) return InvalidArgumentError("migration name is empty");
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    return InvalidArgumentError("cannot create directory '" + dir + "': " + std::strerror(errno));
  // Only the names are read, so a half-written earlier file does not block this one.
  size_t width = 0;  // the widest existing number; 4 digits when there is none
  uint64_t next = 1;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string id, rest;
      if (!internal::ParseFileName(e->d_name, &id, &rest)) continue;
      width = std::max(width, id.size());
      if (id.size() > 19) {
        ::closedir(d);
        return InvalidArgumentError(dir + "/" + e->d_name + ": migration number too large");
      }
      next = std::max<uint64_t>(next, std::stoull(id) + 1);
    }
    ::closedir(d);
  }
  if (width == 0) width = 4;
  std::string id = std::to_string(next);
  if (id.size() < width) id.insert(0, width - id.size(), '0');
  std::string path = dir + "/" + id + "_" + name + ".sql";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return InvalidArgumentError(path + ": cannot create: " + std::strerror(errno));
  std::string text = "-- " + id + " " + name + "\n-- cairn:up\n\n-- cairn:down\n\n";
  ssize_t w = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (w != static_cast<ssize_t>(text.size())) return InvalidArgumentError(path + ": write failed");
  return path;
}

std::vector<std::string> SqlWords(std::string_view statement) { return Words(statement); }

}  // namespace cairn::runner
