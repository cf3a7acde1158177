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
#include <tuple>

#include "cairn/db/sql_splitter.h"
#include "../lint/pg_lint.h"
#include "source/file_text.h"

namespace cairn::runner {
namespace {

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
  static const std::vector<LintRule> rules = [] {
    std::vector<LintRule> out;
    for (const lint::RuleInfo& r : lint::AllRules())
      out.push_back({r.id, r.summary, lint::SeverityName(r.severity), r.squawk});
    return out;
  }();
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
StatusOr<LintResult> LintRead(std::string_view path, const ReadRange& read,
                              const LintOptions& options) {
  const std::string where = std::string(path) + ":";
  // Directives and lint-ignore comments: real comments only, never text
  // inside a string literal.
  std::set<std::string> ignored;
  std::vector<std::pair<int, std::string>> ignore_next;  // (comment line, rule), in order
  lint::PgLintOptions pg;
  pg.server_version = options.server_version;
  pg.enabled.insert(options.enable.begin(), options.enable.end());
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
            pg.lock_timeout_directive = true;
          } else if (name == "statement-timeout") {
            pg.statement_timeout_directive = true;
          } else if (name == "no-transaction") {
            pg.no_transaction = true;
          } else if (name == "lint-ignore" || name == "lint-ignore-next") {
            std::string_view rule = rest.substr(0, rest.find_first_of(" \t"));
            const lint::RuleInfo* info = lint::FindRule(rule);
            if (info == nullptr) {
              std::string known;
              for (const LintRule& r : LintRules())
                known += (known.empty() ? "" : ", ") + std::string(r.id);
              return InvalidArgumentError(where + std::to_string(lines->LineOf(at)) +
                                          ": cairn:" + std::string(name) + " names unknown rule '" +
                                          std::string(rule) + "' (rules: " + known + ")");
            }
            if (name == "lint-ignore")
              ignored.insert(std::string(info->id));
            else
              ignore_next.emplace_back(lines->LineOf(at), std::string(info->id));
          }
        }
        return Status::Ok();
      }));
  if (up_begin == kNone) return InvalidArgumentError(where + "0: missing '-- cairn:up' section");

  // The up section's statements go to the PostgreSQL linter (lint/).
  lint::PgLinter linter(pg);
  std::vector<lint::PgFinding> found;
  // Statements with lint-ignore-next comments: [begin, end) file offsets and rules.
  std::vector<std::tuple<size_t, size_t, std::set<std::string>>> silenced_statements;
  size_t next_ignore = 0;
  db::SqlStatementStream split;
  auto on_statement = [&](const db::SqlStatement& st) {
    const size_t base = up_begin + st.offset;
    const int first_line = up_line + static_cast<int>(st.line) - 1;
    const LineMap lines(st.text, base, first_line);
    std::set<std::string> rules;
    for (; next_ignore < ignore_next.size() && ignore_next[next_ignore].first < first_line;
         ++next_ignore)
      rules.insert(ignore_next[next_ignore].second);
    if (!rules.empty())
      silenced_statements.emplace_back(base, base + st.text.size(), std::move(rules));
    linter.Statement(
        {st.text, base, [&](size_t at) { return lines.LineOf(at); }, Collapse(st.text)}, &found);
  };
  CAIRN_RETURN_IF_ERROR(read(up_begin, up_end, [&](std::string_view piece) {
    split.Feed(piece, on_statement);
    return Status::Ok();
  }));
  split.Finish(on_statement);
  linter.Finish(&found);
  LintResult result;
  result.files = 1;
  for (lint::PgFinding& f : found) {
    bool silenced = ignored.count(f.rule) > 0;
    for (const auto& [begin, end, rules] : silenced_statements)
      silenced |= f.offset >= begin && f.offset <= end && rules.count(f.rule) > 0;
    if (silenced) {
      ++result.silenced;
      continue;
    }
    const lint::RuleInfo* info = lint::FindRule(f.rule);
    result.findings.push_back({std::string(path), f.line, f.rule,
                               std::string(lint::SeverityName(info->severity)),
                               std::move(f.message), std::move(f.statement)});
  }
  std::stable_sort(result.findings.begin(), result.findings.end(),
                   [](const LintFinding& a, const LintFinding& b) { return a.line < b.line; });
  return result;
}

Status CheckOptions(const LintOptions& options) {
  for (const std::string& id : options.enable)
    if (id != "all" && lint::FindRule(id) == nullptr)
      return InvalidArgumentError("--enable: unknown lint rule '" + id + "'");
  return Status::Ok();
}

}  // namespace

StatusOr<LintResult> LintMigrationText(std::string_view path, std::string_view contents,
                                       const LintOptions& options) {
  CAIRN_RETURN_IF_ERROR(CheckOptions(options));
  return LintRead(
      path,
      [&](uint64_t begin, uint64_t end, const std::function<Status(std::string_view)>& sink) {
        if (begin >= contents.size()) return Status::Ok();
        return sink(contents.substr(begin, std::min<uint64_t>(end, contents.size()) - begin));
      },
      options);
}

StatusOr<LintResult> LintFiles(const std::vector<std::string>& paths, const LintOptions& options) {
  CAIRN_RETURN_IF_ERROR(CheckOptions(options));
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
        },
        options);
    ::close(fd);
    if (!r.ok()) return r.status();
    all.files += r->files;
    all.silenced += r->silenced;
    for (LintFinding& f : r->findings) all.findings.push_back(std::move(f));
  }
  return all;
}

}  // namespace cairn::runner
