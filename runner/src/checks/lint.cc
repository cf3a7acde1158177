#include "cairn/runner/lint.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "../lint/pg_lint.h"
#include "cairn/db/sql_splitter.h"
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

// The number of Unicode code points in UTF-8 text (bytes that do not
// continue a sequence).
int CodePoints(std::string_view text) {
  int n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// `text` with each :after / :upto of a batch section (docs/data-migrations.md)
// replaced by $1 / $2 padded with spaces to the same width.
std::string BindBatchPlaceholders(std::string_view text) {
  std::string out(text);
  const std::vector<db::SqlToken> toks = db::TokenizeSql(text);
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    if (toks[i].kind != db::SqlTokenKind::kSymbol || toks[i].text != ":" ||
        toks[i + 1].offset != toks[i].offset + 1)
      continue;
    const std::string_view word = toks[i + 1].text;
    if (word != "after" && word != "upto") continue;
    const std::string param = word == "after" ? "$1" : "$2";
    out.replace(toks[i].offset, 1 + word.size(), param + std::string(word.size() - 1, ' '));
  }
  return out;
}

std::string Canonical(const std::string& path);

// LintOptions checked and resolved to rule ids: which rules report, at
// which severity.
struct RuleConfig {
  std::map<std::string, std::string, std::less<>> severity;  // every rule's effective one
  std::set<std::string, std::less<>> off;                    // disabled
  std::set<std::string, std::less<>> enabled;                // hints switched on
  bool all_hints = false;

  // The severity a finding of `rule` gets; "" when the rule does not report.
  std::string_view Reporting(std::string_view rule) const {
    if (off.count(rule)) return {};
    auto it = severity.find(rule);
    if (it == severity.end()) return {};
    if (it->second == "hint" && !all_hints && !enabled.count(rule)) return {};
    return it->second;
  }
};

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
// `created` holds the tables and indexes earlier pending migrations create;
// this file's creations are added to it.
StatusOr<LintResult> LintRead(std::string_view path, const ReadRange& read,
                              const LintOptions& options, const RuleConfig& config,
                              std::set<std::string>* created) {
  const std::string where = std::string(path) + ":";
  // Directives and lint-ignore comments: real comments only, never text
  // inside a string literal.
  std::set<std::string> ignored;
  bool ignore_all = false;                               // -- cairn:lint-ignore-file all
  std::vector<std::pair<int, std::string>> ignore_next;  // (comment line, rule), in order
  lint::PgLintOptions pg;
  pg.server_version = options.server_version;
  pg.enabled.insert("all");  // RuleConfig decides what reports
  pg.created_before = *created;
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
          } else if (name == "batch" && up_begin != kNone && up_end == kNone) {
            pg.batch_section = true;
          } else if (name == "lint-ignore" || name == "lint-ignore-next" ||
                     name == "lint-ignore-file") {
            std::string_view rule = rest.substr(0, rest.find_first_of(" \t"));
            if (name == "lint-ignore-file" && rule == "all") {
              ignore_all = true;
              continue;
            }
            const lint::RuleInfo* info = lint::FindRule(rule);
            if (info == nullptr) {
              std::string known;
              for (const LintRule& r : LintRules())
                known += (known.empty() ? "" : ", ") + std::string(r.id);
              return InvalidArgumentError(where + std::to_string(lines->LineOf(at)) +
                                          ": cairn:" + std::string(name) + " names unknown rule '" +
                                          std::string(rule) + "' (rules: " + known + ")");
            }
            if (name != "lint-ignore-next")
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
  // The up section's text from the start of the line the next statement
  // can start on (columns count from there): at most a line, a statement
  // and a block.
  std::string window;
  size_t window_at = 0;  // up-section offset of window[0]
  auto on_statement = [&](const db::SqlStatement& st) {
    const size_t base = up_begin + st.offset;
    const int first_line = up_line + static_cast<int>(st.line) - 1;
    const LineMap lines(st.text, base, first_line);
    const size_t rel = st.offset - window_at;
    const size_t nl = rel == 0 ? std::string::npos : window.rfind('\n', rel - 1);
    const size_t line_start = nl == std::string::npos ? 0 : nl + 1;
    const int prefix = CodePoints(std::string_view(window).substr(line_start, rel - line_start));
    auto column_of = [&](size_t at) {
      const size_t in = std::min(at - base, st.text.size());
      const size_t k = in == 0 ? std::string::npos : st.text.rfind('\n', in - 1);
      if (k != std::string::npos) return 1 + CodePoints(st.text.substr(k + 1, in - k - 1));
      return 1 + prefix + CodePoints(st.text.substr(0, in));
    };
    std::set<std::string> rules;
    for (; next_ignore < ignore_next.size() && ignore_next[next_ignore].first < first_line;
         ++next_ignore)
      rules.insert(ignore_next[next_ignore].second);
    if (!rules.empty())
      silenced_statements.emplace_back(base, base + st.text.size(), std::move(rules));
    // A batch section's :after and :upto parse as parameters of the same
    // width, so that offsets stay those of the file.
    std::string bound;
    if (pg.batch_section) bound = BindBatchPlaceholders(st.text);
    linter.Statement({pg.batch_section ? std::string_view(bound) : st.text, base,
                      [&](size_t at) { return lines.LineOf(at); }, column_of, Collapse(st.text)},
                     &found);
    // The next statement's line starts at or after the last '\n' before this end.
    const size_t end_rel = std::min(st.end - window_at, window.size());
    const size_t cut = end_rel == 0 ? std::string::npos : window.rfind('\n', end_rel - 1);
    if (cut != std::string::npos && cut > 0) {
      window.erase(0, cut);
      window_at += cut;
    }
  };
  CAIRN_RETURN_IF_ERROR(read(up_begin, up_end, [&](std::string_view piece) {
    window.append(piece);
    split.Feed(piece, on_statement);
    return Status::Ok();
  }));
  split.Finish(on_statement);
  linter.Finish(&found);
  *created = linter.created();
  for (const LintOptions::External& e : options.external)
    if (Canonical(e.path) == Canonical(std::string(path)))
      found.push_back({0, e.line, 1, e.rule, e.message, "", ""});
  LintResult result;
  result.files = 1;
  for (lint::PgFinding& f : found) {
    const std::string_view severity = config.Reporting(f.rule);
    if (severity.empty()) continue;
    bool silenced = ignore_all || ignored.count(f.rule) > 0;
    for (const auto& [begin, end, rules] : silenced_statements)
      silenced |= f.offset >= begin && f.offset <= end && rules.count(f.rule) > 0;
    if (silenced) {
      ++result.silenced;
      continue;
    }
    LintFinding out;
    out.file = std::string(path);
    out.line = f.line;
    out.column = f.column;
    out.rule = f.rule;
    out.severity = std::string(severity);
    out.message = std::move(f.message);
    out.statement = std::move(f.statement);
    out.table = std::move(f.table);
    result.findings.push_back(std::move(out));
  }
  std::stable_sort(result.findings.begin(), result.findings.end(),
                   [](const LintFinding& a, const LintFinding& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return result;
}

StatusOr<RuleConfig> CheckOptions(const LintOptions& options) {
  RuleConfig config;
  for (const lint::RuleInfo& r : lint::AllRules())
    config.severity[std::string(r.id)] = std::string(lint::SeverityName(r.severity));
  auto rule = [](const std::string& name, const char* what) -> StatusOr<std::string> {
    const lint::RuleInfo* info = lint::FindRule(name);
    if (info == nullptr)
      return InvalidArgumentError(std::string(what) + ": unknown lint rule '" + name + "'");
    return std::string(info->id);
  };
  for (const std::string& id : options.enable) {
    if (id == "all") {
      config.all_hints = true;
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(std::string r, rule(id, "--enable"));
    config.enabled.insert(r);
  }
  for (const std::string& id : options.disable) {
    CAIRN_ASSIGN_OR_RETURN(std::string r, rule(id, "--disable"));
    config.off.insert(r);
  }
  for (const auto& [id, severity] : options.severity) {
    CAIRN_ASSIGN_OR_RETURN(std::string r, rule(id, "lint severity"));
    if (severity != "error" && severity != "warning" && severity != "hint")
      return InvalidArgumentError("lint severity of " + id + ": '" + severity +
                                  "' is not error, warning or hint");
    config.severity[r] = severity;
    if (severity != "hint") config.enabled.insert(r);
  }
  return config;
}

namespace fs = std::filesystem;

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::path(path), ec);
  return (ec ? fs::path(path).lexically_normal() : p).string();
}

// Whether `path` matches one of options.ignore (see LintOptions).
bool Ignored(const std::string& path, const LintOptions& options) {
  for (const std::string& pattern : options.ignore) {
    if (pattern.find('/') == std::string::npos) {
      if (::fnmatch(pattern.c_str(), fs::path(path).filename().c_str(), 0) == 0) return true;
      continue;
    }
    std::error_code ec;
    const fs::path base =
        options.ignore_base.empty() ? fs::current_path(ec) : fs::path(options.ignore_base);
    const std::string rel =
        fs::path(Canonical(path)).lexically_relative(Canonical(base.string())).generic_string();
    std::string_view pat = pattern;
    if (pat.substr(0, 2) == "./") pat.remove_prefix(2);
    if (::fnmatch(std::string(pat).c_str(), rel.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

// Lints one file, read in blocks, twice, however large it is.
StatusOr<LintResult> LintOneFile(const std::string& p, const LintOptions& options,
                                 const RuleConfig& config, std::set<std::string>* created) {
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
      options, config, created);
  ::close(fd);
  return r;
}

}  // namespace

StatusOr<LintResult> LintMigrationText(std::string_view path, std::string_view contents,
                                       const LintOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(RuleConfig config, CheckOptions(options));
  std::set<std::string> created;
  return LintRead(
      path,
      [&](uint64_t begin, uint64_t end, const std::function<Status(std::string_view)>& sink) {
        if (begin >= contents.size()) return Status::Ok();
        return sink(contents.substr(begin, std::min<uint64_t>(end, contents.size()) - begin));
      },
      options, config, &created);
}

StatusOr<LintResult> LintFiles(const std::vector<std::string>& paths, const LintOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(RuleConfig config, CheckOptions(options));
  // The pending files up to the last one asked for, in order, each with the
  // creations of those before it; their results are kept for `paths`.
  std::map<std::string, LintResult> pending_results;  // canonical path -> result
  if (!options.pending.empty()) {
    std::set<std::string> wanted;
    for (const std::string& p : paths) wanted.insert(Canonical(p));
    size_t last = 0;
    for (size_t i = 0; i < options.pending.size(); ++i)
      if (wanted.count(Canonical(options.pending[i]))) last = i + 1;
    std::set<std::string> created;
    for (size_t i = 0; i < last; ++i) {
      const std::string canonical = Canonical(options.pending[i]);
      CAIRN_ASSIGN_OR_RETURN(LintResult r,
                             LintOneFile(options.pending[i], options, config, &created));
      if (wanted.count(canonical)) pending_results[canonical] = std::move(r);
    }
  }
  LintResult all;
  for (const std::string& p : paths) {
    if (Ignored(p, options)) {
      ++all.ignored_files;
      continue;
    }
    LintResult r;
    auto it = pending_results.find(Canonical(p));
    if (it != pending_results.end()) {
      r = std::move(it->second);
      pending_results.erase(it);
      for (LintFinding& f : r.findings) f.file = p;
    } else {
      std::set<std::string> alone;
      CAIRN_ASSIGN_OR_RETURN(r, LintOneFile(p, options, config, &alone));
    }
    all.files += r.files;
    all.silenced += r.silenced;
    for (LintFinding& f : r.findings) all.findings.push_back(std::move(f));
  }
  return all;
}

}  // namespace cairn::runner
