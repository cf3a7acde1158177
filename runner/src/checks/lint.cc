#include "cairn/runner/lint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "cairn/db/sql_splitter.h"
#include "source/file_text.h"

namespace cairn::runner {
namespace {

constexpr std::string_view kIndex = "index-without-concurrently";
constexpr std::string_view kNotNull = "not-null-without-default";
constexpr std::string_view kTypeChange = "column-type-change";
constexpr std::string_view kLockTimeout = "missing-lock-timeout";
constexpr std::string_view kDropColumn = "drop-column";
constexpr std::string_view kDropTable = "drop-table";

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Maps the file offsets of one stretch of text (starting at file offset
// `base`, on file line `line`) to 1-based lines.
class LineMap {
 public:
  LineMap(std::string_view text, size_t base, int line) : base_(base), line_(line) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  int LineOf(size_t offset) const {
    const size_t rel = offset < base_ ? 0 : offset - base_;
    return line_ - 1 +
           static_cast<int>(std::upper_bound(starts_.begin(), starts_.end(), rel) -
                            starts_.begin());
  }

 private:
  size_t base_;
  int line_;
  std::vector<size_t> starts_;
};

// A statement's significant tokens (comments dropped) with file offsets.
struct Tok {
  db::SqlTokenKind kind;
  size_t offset;
  std::string_view text;
  std::string upper;  // words only
};

class StatementView {
 public:
  explicit StatementView(std::vector<Tok> toks) : t_(std::move(toks)) {}
  size_t size() const { return t_.size(); }
  const Tok& operator[](size_t i) const { return t_[i]; }
  // Whether token i is the word `w` (upper case).
  bool Is(size_t i, std::string_view w) const {
    return i < t_.size() && t_[i].kind == db::SqlTokenKind::kWord && t_[i].upper == w;
  }
  bool IsSymbol(size_t i, char c) const {
    return i < t_.size() && t_[i].kind == db::SqlTokenKind::kSymbol && t_[i].text[0] == c;
  }
  // Skips the words `ws` in sequence at *i if all are there.
  bool Skip(size_t* i, std::initializer_list<std::string_view> ws) const {
    size_t j = *i;
    for (std::string_view w : ws)
      if (!Is(j++, w)) return false;
    *i = j;
    return true;
  }
  // A possibly qualified name at *i (a.b."C"): its last part, lower-cased
  // unless quoted. Advances *i past it.
  std::string Name(size_t* i) const {
    std::string last;
    while (*i < t_.size()) {
      const Tok& k = t_[*i];
      if (k.kind == db::SqlTokenKind::kWord) {
        last = k.upper;
        std::transform(last.begin(), last.end(), last.begin(),
                       [](char c) { return static_cast<char>(std::tolower(c)); });
      } else if (k.kind == db::SqlTokenKind::kIdentifier) {
        last = std::string(k.text.substr(1, k.text.size() >= 2 ? k.text.size() - 2 : 0));
      } else {
        break;
      }
      ++*i;
      if (!IsSymbol(*i, '.')) break;
      ++*i;
    }
    return last;
  }

 private:
  std::vector<Tok> t_;
};

struct Linter {
  explicit Linter(std::string_view p) : path(p) {}
  std::string_view path;
  const LineMap* lines = nullptr;  // of the current statement
  std::string statement;           // current statement, whitespace collapsed
  std::vector<LintFinding> findings;
  std::set<std::string> created_tables;
  bool lock_timeout_set = false;
  int first_alter_line = 0;

  void Report(std::string_view rule, size_t offset, std::string message) {
    findings.push_back({std::string(path), lines->LineOf(offset), std::string(rule),
                        std::move(message), statement});
  }

  void Statement(const StatementView& s) {
    if (s.size() == 0) return;
    if (s.Is(0, "CREATE")) return Create(s);
    if (s.Is(0, "ALTER") && s.Is(1, "TABLE")) return AlterTable(s);
    if (s.Is(0, "DROP") && s.Is(1, "TABLE"))
      return Report(kDropTable, s[0].offset, "DROP TABLE destroys the table and its data");
    if (s.Is(0, "SET")) {
      size_t i = 1;
      if (s.Is(i, "LOCAL") || s.Is(i, "SESSION")) ++i;
      if (s.Is(i, "LOCK_TIMEOUT")) lock_timeout_set = true;
    }
  }

  void Create(const StatementView& s) {
    size_t i = 1;
    if (s.Skip(&i, {"OR", "REPLACE"})) {
    }
    if (s.Is(i, "GLOBAL") || s.Is(i, "LOCAL")) ++i;
    if (s.Is(i, "TEMP") || s.Is(i, "TEMPORARY") || s.Is(i, "UNLOGGED")) ++i;
    if (s.Is(i, "TABLE")) {
      ++i;
      s.Skip(&i, {"IF", "NOT", "EXISTS"});
      created_tables.insert(s.Name(&i));
      return;
    }
    if (s.Is(i, "UNIQUE")) ++i;
    if (!s.Is(i, "INDEX")) return;
    bool concurrently = false;
    size_t on = i;
    while (on < s.size() && !s.Is(on, "ON")) concurrently |= s.Is(on++, "CONCURRENTLY");
    if (on >= s.size() || concurrently) return;
    size_t j = on + 1;
    if (s.Is(j, "ONLY")) ++j;
    std::string table = s.Name(&j);
    if (created_tables.count(table)) return;
    Report(kIndex, s[0].offset,
           "CREATE INDEX on existing table " + table +
               " without CONCURRENTLY blocks writes to it while the index builds");
  }

  void AlterTable(const StatementView& s) {
    size_t i = 2;
    if (first_alter_line == 0 && !lock_timeout_set) first_alter_line = lines->LineOf(s[0].offset);
    s.Skip(&i, {"IF", "EXISTS"});
    if (s.Is(i, "ONLY")) ++i;
    std::string table = s.Name(&i);
    if (s.IsSymbol(i, '*')) ++i;
    // Actions are separated by commas outside parentheses.
    while (i < s.size()) {
      size_t end = i;
      int depth = 0;
      for (; end < s.size(); ++end) {
        if (s.IsSymbol(end, '(')) ++depth;
        if (s.IsSymbol(end, ')')) --depth;
        if (depth == 0 && s.IsSymbol(end, ',')) break;
      }
      Action(s, i, end, table);
      i = end + 1;
    }
  }

  void Action(const StatementView& s, size_t i, size_t end, const std::string& table) {
    const size_t start = i;
    if (s.Is(i, "ADD")) {
      ++i;
      if (s.Is(i, "COLUMN")) ++i;
      s.Skip(&i, {"IF", "NOT", "EXISTS"});
      for (std::string_view w : {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"})
        if (s.Is(i, w)) return;
      std::string column = s.Name(&i);
      bool not_null = false, has_default = false;
      for (size_t k = i; k < end; ++k) {
        if (s.Is(k, "DEFAULT")) has_default = true;
        if (s.Is(k, "NOT") && s.Is(k + 1, "NULL") && !s.Is(k - 1, "IS")) not_null = true;
      }
      if (not_null && !has_default)
        Report(kNotNull, s[start].offset,
               "ADD COLUMN " + column + " ... NOT NULL without DEFAULT on " + table +
                   " fails on a table with rows");
    } else if (s.Is(i, "ALTER")) {
      ++i;
      if (s.Is(i, "COLUMN")) ++i;
      std::string column = s.Name(&i);
      if (s.Is(i, "TYPE") || s.Skip(&i, {"SET", "DATA", "TYPE"}))
        Report(kTypeChange, s[start].offset,
               "ALTER COLUMN " + column + " TYPE may rewrite " + table +
                   " under an ACCESS EXCLUSIVE lock");
    } else if (s.Is(i, "DROP")) {
      ++i;
      if (s.Is(i, "CONSTRAINT")) return;
      if (s.Is(i, "COLUMN")) ++i;
      s.Skip(&i, {"IF", "EXISTS"});
      std::string column = s.Name(&i);
      Report(kDropColumn, s[start].offset,
             "DROP COLUMN " + column + " destroys its data in " + table);
    }
  }
};

bool KnownRule(std::string_view id) {
  for (const LintRule& r : LintRules())
    if (r.id == id) return true;
  return false;
}

std::string Collapse(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

const std::vector<LintRule>& LintRules() {
  static const std::vector<LintRule> rules = {
      {kIndex, "CREATE INDEX without CONCURRENTLY on a table the migration did not create"},
      {kNotNull, "ADD COLUMN ... NOT NULL without DEFAULT"},
      {kTypeChange, "ALTER COLUMN ... TYPE (may rewrite the table)"},
      {kLockTimeout, "ALTER TABLE without SET lock_timeout or -- cairn:lock-timeout"},
      {kDropColumn, "ALTER TABLE ... DROP COLUMN"},
      {kDropTable, "DROP TABLE"},
  };
  return rules;
}

namespace {

// Reads the bytes [begin, end) of the linted file (end past its size: to its
// end) in pieces, in order.
using ReadRange = std::function<Status(uint64_t begin, uint64_t end,
                                       const std::function<Status(std::string_view)>& sink)>;

// Calls `region` for consecutive stretches of the text that `read` gives,
// each ending at a statement's ';' (the last one at the end of the text),
// with the stretch's file offset and line. Every byte is in exactly one
// stretch, and each stretch starts where the splitter's lexer is between
// statements, so tokenizing the stretches one by one gives the tokens of the
// whole text. Memory: the longest statement and what lies before it.
Status ForEachRegion(
    const ReadRange& read, uint64_t begin, uint64_t end,
    const std::function<Status(std::string_view text, size_t offset, int line)>& region) {
  db::SqlStatementStream split;
  std::string pending;  // the text from `pending_at` on
  size_t pending_at = 0, last_end = 0;
  int line = 1;  // of last_end, relative to `begin`
  Status status;
  auto take = [&](size_t end_offset) {
    if (!status.ok()) return;
    std::string_view text =
        std::string_view(pending).substr(last_end - pending_at, end_offset - last_end);
    status = region(text, begin + last_end, line);
    line += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    last_end = end_offset;
  };
  auto on_statement = [&](const db::SqlStatement& st) { take(st.end); };
  CAIRN_RETURN_IF_ERROR(read(begin, end, [&](std::string_view piece) -> Status {
    pending.append(piece);
    split.Feed(piece, on_statement);
    if (last_end - pending_at > (1 << 16)) {  // drop what every region has passed
      pending.erase(0, last_end - pending_at);
      pending_at = last_end;
    }
    return status;
  }));
  split.Finish(on_statement);
  if (status.ok() && last_end < pending_at + pending.size()) take(pending_at + pending.size());
  return status;
}

// The lint of one migration file, whose bytes `read` gives: one pass over
// the comments for directives and lint-ignore, one over the up section's
// statements.
StatusOr<LintResult> LintRead(std::string_view path, const ReadRange& read) {
  const std::string where = std::string(path) + ":";
  // Directives and lint-ignore comments: real comments only, never text
  // inside a string literal.
  std::set<std::string> ignored;
  bool lock_timeout_directive = false;
  constexpr uint64_t kNone = UINT64_MAX;
  uint64_t up_begin = kNone, up_end = kNone;
  int up_line = 0;
  CAIRN_RETURN_IF_ERROR(
      ForEachRegion(read, 0, kNone, [&](std::string_view text, size_t offset, int line) -> Status {
        std::optional<LineMap> lines;
        for (const db::SqlToken& t : db::TokenizeSql(text)) {
          if (t.kind != db::SqlTokenKind::kComment || t.text.substr(0, 2) != "--") continue;
          std::string_view body = Trim(t.text.substr(2));
          if (body.substr(0, 6) != "cairn:") continue;
          if (!lines) lines.emplace(text, offset, line);
          body.remove_prefix(6);
          std::string_view name = body.substr(0, body.find_first_of(" \t"));
          std::string_view rest = Trim(body.substr(name.size()));
          const size_t at = offset + t.offset;
          if (name == "up" && up_begin == kNone) {
            up_begin = at + t.text.size();
            up_line = lines->LineOf(up_begin);
          } else if (name == "down" && up_begin != kNone && up_end == kNone) {
            up_end = at;
          } else if (name == "lock-timeout") {
            lock_timeout_directive = true;
          } else if (name == "lint-ignore") {
            std::string_view rule = rest.substr(0, rest.find_first_of(" \t"));
            if (!KnownRule(rule)) {
              std::string known;
              for (const LintRule& r : LintRules())
                known += (known.empty() ? "" : ", ") + std::string(r.id);
              return InvalidArgumentError(where + std::to_string(lines->LineOf(at)) +
                                          ": cairn:lint-ignore names unknown rule '" +
                                          std::string(rule) + "' (rules: " + known + ")");
            }
            ignored.insert(std::string(rule));
          }
        }
        return Status::Ok();
      }));
  if (up_begin == kNone) return InvalidArgumentError(where + "0: missing '-- cairn:up' section");

  Linter linter(path);
  db::SqlStatementStream split;
  auto on_statement = [&](const db::SqlStatement& st) {
    const size_t base = up_begin + st.offset;
    const LineMap lines(st.text, base, up_line + static_cast<int>(st.line) - 1);
    std::vector<Tok> toks;
    for (const db::SqlToken& t : db::TokenizeSql(st.text)) {
      if (t.kind == db::SqlTokenKind::kComment) continue;
      toks.push_back({t.kind, base + t.offset, t.text,
                      t.kind == db::SqlTokenKind::kWord ? Upper(t.text) : std::string()});
    }
    linter.lines = &lines;
    linter.statement = Collapse(st.text);
    linter.Statement(StatementView(std::move(toks)));
    linter.lines = nullptr;
  };
  CAIRN_RETURN_IF_ERROR(read(up_begin, up_end, [&](std::string_view piece) {
    split.Feed(piece, on_statement);
    return Status::Ok();
  }));
  split.Finish(on_statement);
  if (linter.first_alter_line != 0 && !lock_timeout_directive) {
    linter.findings.push_back(
        {std::string(path), linter.first_alter_line, std::string(kLockTimeout),
         "ALTER TABLE without a lock_timeout set before it: waiting for its lock blocks every "
         "query on the table",
         ""});
  }
  LintResult result;
  result.files = 1;
  for (LintFinding& f : linter.findings) {
    if (ignored.count(f.rule))
      ++result.silenced;
    else
      result.findings.push_back(std::move(f));
  }
  std::stable_sort(result.findings.begin(), result.findings.end(),
                   [](const LintFinding& a, const LintFinding& b) { return a.line < b.line; });
  return result;
}

}  // namespace

StatusOr<LintResult> LintMigrationText(std::string_view path, std::string_view contents) {
  return LintRead(
      path, [&](uint64_t begin, uint64_t end, const std::function<Status(std::string_view)>& sink) {
        if (begin >= contents.size()) return Status::Ok();
        return sink(contents.substr(begin, std::min<uint64_t>(end, contents.size()) - begin));
      });
}

StatusOr<LintResult> LintFiles(const std::vector<std::string>& paths) {
  LintResult all;
  for (const std::string& p : paths) {
    // The file is read in blocks, twice, however large it is.
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NotFoundError(p + ": cannot read the file");
    auto r = LintRead(
        p,
        [&](uint64_t begin, uint64_t end,
            const std::function<Status(std::string_view)>& sink) -> Status {
          std::string block(source::kBlockBytes, '\0');
          for (uint64_t at = begin; at < end;) {
            const size_t want = static_cast<size_t>(std::min<uint64_t>(block.size(), end - at));
            ssize_t n = ::pread(fd, block.data(), want, static_cast<off_t>(at));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return NotFoundError(p + ": cannot read the file: " + std::strerror(errno));
            if (n == 0) break;
            at += static_cast<uint64_t>(n);
            CAIRN_RETURN_IF_ERROR(sink(std::string_view(block.data(), static_cast<size_t>(n))));
          }
          return Status::Ok();
        });
    ::close(fd);
    if (!r.ok()) return r.status();
    all.files += r->files;
    all.silenced += r->silenced;
    for (LintFinding& f : r->findings) all.findings.push_back(std::move(f));
  }
  return all;
}

}  // namespace cairn::runner
