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
#include <memory>
#include <mutex>

#include "cairn/base/hash.h"
#include "cairn/db/sql_splitter.h"
#include "cairn/store/state.h"
#include "formats/dispatch.h"
#include "source/directives.h"
#include "source/file_text.h"
#include "source/migration_dir.h"
#include "source/section_text.h"

namespace cairn::runner {
namespace {

using source::TrimRight;
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
  source::CanonicalHasher hasher;
  (void)source::ForEachLine(contents, [&](const source::Line& l) {
    hasher.AddLine(l.text);
    return Status::Ok();
  });
  return hasher.Finish();
}

namespace internal {

// One pass over the lines of a cairn migration file: directives, sections,
// the canonical checksum and each section's statements, line by line, so a
// file of any size is parsed in one read. Sections are kept in memory when
// `keep_sql` (small files); otherwise only their place in the file and a
// digest of their text are kept (source/section_text.h).
class CairnFileParser {
 public:
  CairnFileParser(std::string_view path, bool keep_sql)
      : path_(path), keep_all_(keep_sql), hasher_(/*background=*/!keep_sql) {}

  Status Start(std::string_view file_name) {
    if (!internal::ParseFileName(file_name, &m_.id, &m_.name)) {
      return FileError(path_, 0,
                       "migration file names must look like NNNN_name.sql (digits, '_', then "
                       "letters, digits, '_' or '-')");
    }
    m_.file = std::string(file_name);
    m_.path = std::string(path_);
    m_.description = m_.name;
    std::replace(m_.description.begin(), m_.description.end(), '_', ' ');
    return Status::Ok();
  }

  Status AddLine(const source::Line& l) {
    hasher_.AddLine(l.text);
    end_ = l.next;
    const int lineno = l.number;
    std::string_view line = l.text;
    // A UTF-8 byte-order mark (editors on Windows write one) is not SQL: it
    // is skipped here and stays in the checksum, which hashes the file's
    // bytes as they are (docs/migration-files.md).
    if (lineno == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    // A lint-ignore[-next|-file] comment (docs/lint.md) stays an ordinary
    // SQL comment.
    if (auto d = Directive(line); d && d->substr(0, 11) != "lint-ignore") {
      if (*d == "up") {
        if (where_ != kPreamble)
          return FileError(path_, lineno, "second '-- cairn:up' (one up section per file)");
        where_ = kUp;
        up_directive_line_ = lineno;
        OpenSection(&m_.up, lineno + 1, l.next);
        return Status::Ok();
      }
      if (*d == "down") {
        if (where_ == kPreamble)
          return FileError(path_, lineno, "'-- cairn:down' before '-- cairn:up'");
        if (where_ == kDown)
          return FileError(path_, lineno, "second '-- cairn:down' (one down section per file)");
        CloseSection(l.begin);
        where_ = kDown;
        m_.down.emplace();
        OpenSection(&*m_.down, lineno + 1, l.next);
        return Status::Ok();
      }
      if (*d == "batch" && where_ != kPreamble) {
        Section& sec = *open_.sec;
        if (sec.batch || open_.has_sql)
          return FileError(path_, lineno, "'-- cairn:batch' must be the first line of its section");
        std::string_view rest = TrimLeft(TrimRight(line));
        rest = rest.substr(rest.find("cairn:batch") + 11);
        CAIRN_ASSIGN_OR_RETURN(sec.batch, ParseBatchDirective(path_, lineno, rest));
        open_.keep = true;  // a batched section is one statement, run with bound keys
        AddText("", /*directive=*/true, &l);  // keeps the section's lines aligned with the file's
        return Status::Ok();
      }
      if (auto handled = ParseOptionDirective(line, where_ == kPreamble, &m_); handled) {
        if (!handled->ok()) return FileError(path_, lineno, handled->message());
        return Status::Ok();
      }
      return FileError(path_, lineno,
                       "unknown directive 'cairn:" + std::string(*d) +
                           "' (expected '-- cairn:up' or '-- cairn:down')");
    }
    if (where_ == kPreamble) {
      if (!IsBlankOrComment(line))
        return FileError(path_, lineno, "SQL before '-- cairn:up'; put it in the up section");
      return Status::Ok();
    }
    if (!open_.has_sql && !IsBlankOrComment(line)) {
      open_.has_sql = true;
      if (where_ == kUp) up_has_sql_ = true;
    }
    AddText(line, /*directive=*/false, &l);
    return Status::Ok();
  }

  StatusOr<Migration> Finish() {
    if (where_ == kPreamble) return FileError(path_, 0, "missing '-- cairn:up' section");
    CloseSection(end_);
    m_.checksum = hasher_.Finish();
    // cairn wraps each section in its own transaction (with the ledger
    // events); a COMMIT inside would split the change from its events.
    if (!tx_control_.ok()) return tx_control_;
    if (m_.up.batch) CAIRN_RETURN_IF_ERROR(FinishBatchSection(path_, &m_.up));
    if (m_.down && m_.down->batch) CAIRN_RETURN_IF_ERROR(FinishBatchSection(path_, &*m_.down));
    if (!up_has_sql_) return FileError(path_, up_directive_line_, "the up section has no SQL");
    return std::move(m_);
  }

 private:
  struct OpenSection_ {
    Section* sec = nullptr;
    std::unique_ptr<db::SqlStatementStream> split;
    source::BlockTracker blocks;
    std::unique_ptr<source::Hasher> text_digest;        // of the text (sections on file)
    std::unique_ptr<source::Hasher> statements_digest;  // SectionFacts::statements_sha256
    std::string pending;          // text not yet passed to the splitter and the digest
    std::string statement_bytes;  // not yet passed to statements_digest
    size_t last_cut = 0;          // offset of the current group's start
    bool keep = false;
    bool has_sql = false;
    bool raw_is_text = true;
    bool line_ended = true;  // the last line had a line end in the file
  };

  void OpenSection(Section* sec, int first_line, uint64_t begin) {
    open_ = OpenSection_{};
    open_.sec = sec;
    open_.split = std::make_unique<db::SqlStatementStream>();
    // A big file's hashes run on another thread (source/background_sha.h).
    open_.statements_digest = source::MakeHasher(/*background=*/!keep_all_);
    open_.keep = keep_all_;
    if (!keep_all_) open_.text_digest = source::MakeHasher(/*background=*/true);
    sec->first_line = first_line;
    sec->extent.begin = begin;
  }

  // `raw_line` is the line's bytes in the file with their line end (for
  // SectionExtent::raw_is_text); `line` the text without it.
  void AddText(std::string_view line, bool directive, const source::Line* raw) {
    Section& sec = *open_.sec;
    // Until the first SQL line a section may still turn out to be batched,
    // so its comments are kept.
    const bool keep = open_.keep || !open_.has_sql;
    if (keep) {
      sec.sql.append(line);
      sec.sql.push_back('\n');
    } else if (!sec.sql.empty()) {
      sec.sql.clear();
      sec.sql.shrink_to_fit();
    }
    if (raw != nullptr) {
      const uint64_t ends = raw->next - raw->begin - raw->text.size();  // bytes of line end
      open_.line_ended = ends > 0;
      // (A line never holds a CR: CR ends lines.)
      if (directive || ends > 1 || (ends == 1 && raw->text.data()[raw->text.size()] != '\n'))
        open_.raw_is_text = false;
    }
    open_.pending.append(line);
    open_.pending.push_back('\n');
    if (open_.pending.size() >= kFeedBytes) Flush();
  }

  void Flush() {
    if (open_.text_digest) open_.text_digest->Update(open_.pending);
    open_.split->Feed(open_.pending, [this](const db::SqlStatement& st) { TakeStatement(st); });
    open_.pending.clear();
  }

  void CloseSection(uint64_t end) {
    if (open_.sec == nullptr) return;
    Flush();
    open_.split->Finish([this](const db::SqlStatement& st) { TakeStatement(st); });
    Section& sec = *open_.sec;
    sec.extent.end = end;
    sec.facts.known = true;
    open_.statements_digest->Update(open_.statement_bytes);
    sec.facts.statements_sha256 = open_.statements_digest->Finish();
    if (!open_.keep) {
      sec.extent.on_file = true;
      sec.extent.text_sha256 = open_.text_digest->Finish();
      sec.extent.raw_is_text = open_.raw_is_text && open_.line_ended;
      sec.sql.clear();
      sec.sql.shrink_to_fit();
    }
    open_ = OpenSection_{};
  }

  // Everything the parse learns of one statement (SectionFacts), and the
  // transaction-control check.
  void TakeStatement(const db::SqlStatement& st) {
    Section& sec = *open_.sec;
    SectionFacts& facts = sec.facts;
    ++facts.statements;
    source::AppendStatementBytes(st.text, &open_.statement_bytes);
    if (open_.statement_bytes.size() >= kFeedBytes) {
      open_.statements_digest->Update(open_.statement_bytes);
      open_.statement_bytes.clear();
    }
    const int line = sec.first_line + static_cast<int>(st.line) - 1;
    const bool in_body = open_.blocks.InBody(st.text);
    const std::string& word = open_.blocks.first_word();
    // A group ends after the first statement that reaches the size, outside
    // a block body; the next group starts right after its ';'.
    if (st.end - open_.last_cut >= execute_group_bytes_ && !open_.blocks.open()) {
      facts.cuts.push_back(st.end);
      open_.last_cut = st.end;
    }
    if (in_body) return;
    if (word == "VACUUM" || word == "CREATE" || word == "DROP" || word == "REINDEX" ||
        word == "ALTER") {
      std::vector<std::string> words = Words(st.text);
      const bool maybe = word == "VACUUM" || std::any_of(words.begin(), words.end(), [](auto& w) {
                           return w == "CONCURRENTLY" || w == "DATABASE" || w == "TABLESPACE" ||
                                  w == "SYSTEM" || w == "VALUE";
                         });
      if (maybe) facts.outside_candidates.emplace_back(line, std::move(words));
      return;
    }
    CheckTransactionControl(st, word, line);
  }

  // Transaction control inside a section. Inside a block body (SQLite:
  // CREATE TRIGGER ... BEGIN ...; END; PostgreSQL: CREATE FUNCTION ... BEGIN
  // ATOMIC ...; END;) the splitter sees the body's statements and the
  // closing END as statements of their own; they are not transaction control.
  void CheckTransactionControl(const db::SqlStatement& st, const std::string& word, int line) {
    if (!tx_control_.ok()) return;
    if (word != "BEGIN" && word != "COMMIT" && word != "END" && word != "ROLLBACK" &&
        word != "START")
      return;
    const std::vector<std::string> words = Words(st.text);
    if (words.empty()) return;
    const bool start_tx =
        word == "START" && std::find(words.begin(), words.end(), "TRANSACTION") != words.end();
    // ROLLBACK TO [SAVEPOINT] x stays inside the transaction.
    const bool rollback_to = word == "ROLLBACK" && words.size() > 1 && words[1] == "TO";
    if (word == "BEGIN" || word == "COMMIT" || word == "END" ||
        (word == "ROLLBACK" && !rollback_to) || start_tx) {
      tx_control_ = FileError(path_, line,
                              "transaction control statement '" + word +
                                  "': cairn runs each migration in its own transaction together "
                                  "with its ledger events; remove it");
    }
  }

  static constexpr size_t kFeedBytes = 1 << 16;
  size_t execute_group_bytes_ = source::kGroupBytes;
  std::string_view path_;
  bool keep_all_;
  Migration m_;
  enum { kPreamble, kUp, kDown } where_ = kPreamble;
  int up_directive_line_ = 0;
  bool up_has_sql_ = false;
  uint64_t end_ = 0;
  source::CanonicalHasher hasher_;
  OpenSection_ open_;
  Status tx_control_;
};

MigrationLineParser::MigrationLineParser(std::string_view path, bool keep_sql)
    : parser_(std::make_unique<CairnFileParser>(path, keep_sql)) {}
MigrationLineParser::~MigrationLineParser() = default;
Status MigrationLineParser::Start(std::string_view file_name) { return parser_->Start(file_name); }
Status MigrationLineParser::AddLine(const source::Line& line) { return parser_->AddLine(line); }
StatusOr<Migration> MigrationLineParser::Finish() { return parser_->Finish(); }

}  // namespace internal

StatusOr<Migration> ParseMigration(std::string_view path, std::string_view file_name,
                                   std::string_view contents) {
  internal::CairnFileParser parser(path, /*keep_sql=*/true);
  CAIRN_RETURN_IF_ERROR(parser.Start(file_name));
  CAIRN_RETURN_IF_ERROR(
      source::ForEachLine(contents, [&](const source::Line& l) { return parser.AddLine(l); }));
  return parser.Finish();
}

namespace internal {

StatusOr<Migration> ParseMigrationAt(int dir_fd, const std::string& open_name,
                                     const std::string& name, const std::string& path,
                                     size_t keep_in_memory) {
  struct stat st {};
  CAIRN_ASSIGN_OR_RETURN(int fd, OpenRegularAt(dir_fd, open_name, path, &st));
  if (static_cast<uint64_t>(st.st_size) <= keep_in_memory) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadAndClose(fd, st, path));
    return ParseMigration(path, name, text);
  }
  // A large file is parsed once per process: `migrate` scans the folder
  // (ScanMigrations) and then loads it, and both may need the parse. The
  // parse is reused while the file's stat information is unchanged; its
  // sections are read back later against their digests anyway.
  struct Remembered {
    dev_t dev;
    ino_t ino;
    off_t size;
    timespec mtime, ctime;
    Migration m;
  };
  static std::mutex mu;
  static std::map<std::string, Remembered> parsed;
  auto same = [&](const Remembered& r) {
    return r.dev == st.st_dev && r.ino == st.st_ino && r.size == st.st_size &&
           r.mtime.tv_sec == st.st_mtim.tv_sec && r.mtime.tv_nsec == st.st_mtim.tv_nsec &&
           r.ctime.tv_sec == st.st_ctim.tv_sec && r.ctime.tv_nsec == st.st_ctim.tv_nsec;
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = parsed.find(path); it != parsed.end() && same(it->second)) {
      ::close(fd);
      return it->second.m;
    }
  }
  internal::CairnFileParser parser(path, /*keep_sql=*/false);
  Status s = parser.Start(name);
  if (s.ok())
    s = source::ForEachFileLine(fd, path, 0, UINT64_MAX, 1,
                                [&](const source::Line& l) { return parser.AddLine(l); });
  ::close(fd);
  CAIRN_RETURN_IF_ERROR(s);
  CAIRN_ASSIGN_OR_RETURN(Migration m, parser.Finish());
  std::lock_guard<std::mutex> lock(mu);
  parsed[path] = Remembered{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim, m};
  return m;
}

}  // namespace internal

StatusOr<Migration> ParseMigrationFile(const std::string& path, size_t keep_in_memory) {
  const size_t slash = path.rfind('/');
  return internal::ParseMigrationAt(AT_FDCWD, path,
                                    slash == std::string::npos ? path : path.substr(slash + 1),
                                    path, keep_in_memory);
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

StatusOr<int> OpenRegularAt(int dir_fd, const std::string& name, const std::string& path,
                            struct stat* st) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InvalidArgumentError(path + ": cannot read: " + std::strerror(errno));
  if (::fstat(fd, st) != 0) {
    int e = errno;
    ::close(fd);
    return InvalidArgumentError(path + ": cannot read: " + std::strerror(e));
  }
  if (!S_ISREG(st->st_mode)) {
    ::close(fd);
    return InvalidArgumentError(path + ": not a regular file");
  }
  return fd;
}

StatusOr<std::string> ReadFileAt(int dir_fd, const std::string& name, const std::string& path) {
  struct stat st {};
  CAIRN_ASSIGN_OR_RETURN(int fd, OpenRegularAt(dir_fd, name, path, &st));
  return ReadAndClose(fd, st, path);
}

StatusOr<std::string> ReadAndClose(int fd, const struct stat& st, const std::string& path) {
  std::string out;
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
        CAIRN_ASSIGN_OR_RETURN(
            Migration m, internal::ParseMigrationAt(dir_fd, name, name, path, kKeepInMemoryBytes));
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

StatusOr<std::string> CreateMigrationFile(const std::string& dir, std::string_view raw_name,
                                          Env& env) {
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
  // The folder itself is created, not missing parents (a mistyped path).
  if (!env.Stat(dir).ok()) {
    const size_t slash = dir.find_last_of('/', dir.find_last_not_of('/'));
    const std::string parent = slash == std::string::npos ? "." : dir.substr(0, slash + 1);
    if (!env.Stat(parent).ok())
      return InvalidArgumentError("cannot create directory '" + dir + "': " + parent +
                                  " does not exist");
    if (Status s = env.CreateDirs(dir); !s.ok()) return InvalidArgumentError(s.message());
  }
  // Only the names are read, so a half-written earlier file does not block this one.
  size_t width = 0;  // the widest existing number; 4 digits when there is none
  uint64_t next = 1;
  if (auto names = env.GetChildren(dir); names.ok()) {
    for (const std::string& n : *names) {
      std::string id, rest;
      if (!internal::ParseFileName(n, &id, &rest)) continue;
      width = std::max(width, id.size());
      if (id.size() > 19)
        return InvalidArgumentError(dir + "/" + n + ": migration number too large");
      next = std::max<uint64_t>(next, std::stoull(id) + 1);
    }
  }
  if (width == 0) width = 4;
  std::string id = std::to_string(next);
  if (id.size() < width) id.insert(0, width - id.size(), '0');
  std::string path = dir + "/" + id + "_" + name + ".sql";
  const std::string text = "-- " + id + " " + name + "\n-- cairn:up\n\n-- cairn:down\n\n";
  if (Status s = WriteNewFile(env, path, text); !s.ok()) return InvalidArgumentError(s.message());
  return path;
}

std::vector<std::string> SqlWords(std::string_view statement) { return Words(statement); }

}  // namespace cairn::runner
