#include "cairn/db/sql_splitter.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace cairn::db {
namespace {

// ASCII classes (what <cctype> answers in the "C" locale, which cairn never
// leaves), inline: the splitter runs over every byte of every migration.
constexpr bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
constexpr bool IsIdentStart(char c) { return IsAsciiAlpha(c) || c == '_' || (c & 0x80); }
constexpr bool IsIdentChar(char c) { return IsIdentStart(c) || IsAsciiDigit(c); }

// Returns the index just past a dollar-quote opening tag at s[i] ('$'), or 0.
size_t DollarTagEnd(std::string_view s, size_t i) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '$') return j + 1;  // $$
  if (j >= s.size() || !IsIdentStart(s[j])) return 0;
  while (j < s.size() && IsIdentChar(s[j])) ++j;
  if (j < s.size() && s[j] == '$') return j + 1;
  return 0;
}

// Returns the index just past the quoted run opening at s[i] ('...' or
// "..."), where a doubled quote stands for itself; runs to the end if open.
size_t SkipQuoted(std::string_view s, size_t i, bool backslash_escapes) {
  const char quote = s[i++];
  if (!backslash_escapes) {
    // memchr to each quote: strings of data rows are most of a big file.
    for (;;) {
      const void* q = std::memchr(s.data() + i, quote, s.size() - i);
      if (q == nullptr) return s.size();
      i = static_cast<size_t>(static_cast<const char*>(q) - s.data());
      if (i + 1 < s.size() && s[i + 1] == quote) {
        i += 2;
      } else {
        return i + 1;
      }
    }
  }
  while (i < s.size()) {
    if (backslash_escapes && s[i] == '\\') {
      i += 2;
    } else if (s[i] == quote) {
      if (i + 1 < s.size() && s[i + 1] == quote) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      ++i;
    }
  }
  return s.size();
}

// Returns the index just past the comment opening at s[i] ("--" or "/*").
size_t SkipComment(std::string_view s, size_t i) {
  if (s[i] == '-') {
    while (i < s.size() && s[i] != '\n') ++i;
    return i;
  }
  int depth = 1;
  i += 2;
  while (i < s.size() && depth > 0) {
    if (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (s[i] == '*' && i + 1 < s.size() && s[i + 1] == '/') {
      --depth;
      i += 2;
    } else {
      ++i;
    }
  }
  return i;
}

}  // namespace

std::vector<SqlToken> TokenizeSql(std::string_view s) {
  std::vector<SqlToken> out;
  size_t i = 0;
  auto push = [&](SqlTokenKind kind, size_t from, size_t to) {
    out.push_back({kind, from, s.substr(from, to - from)});
    i = to;
  };
  while (i < s.size()) {
    const char c = s[i];
    const bool next_is = i + 1 < s.size();
    if ((c == '-' && next_is && s[i + 1] == '-') || (c == '/' && next_is && s[i + 1] == '*')) {
      push(SqlTokenKind::kComment, i, SkipComment(s, i));
    } else if (IsSpace(c)) {
      ++i;
    } else if (c == '\'' || c == '"') {
      push(c == '"' ? SqlTokenKind::kIdentifier : SqlTokenKind::kString, i,
           SkipQuoted(s, i, /*backslash_escapes=*/false));
    } else if (c == '$' && DollarTagEnd(s, i) != 0) {
      const size_t end = DollarTagEnd(s, i);
      std::string_view tag = s.substr(i, end - i);
      size_t close = s.find(tag, end);
      push(SqlTokenKind::kString, i,
           close == std::string_view::npos ? s.size() : close + tag.size());
    } else if (IsIdentChar(c)) {
      size_t j = i;
      while (j < s.size() && (IsIdentChar(s[j]) || s[j] == '$')) ++j;
      if (j == i + 1 && (c == 'E' || c == 'e') && j < s.size() && s[j] == '\'') {
        push(SqlTokenKind::kString, i, SkipQuoted(s, j, /*backslash_escapes=*/true));
      } else {
        push(SqlTokenKind::kWord, i, j);
      }
    } else {
      push(SqlTokenKind::kSymbol, i, i + 1);
    }
  }
  return out;
}

namespace {

// What the splitter's main loop does with a byte, by table: it looks at
// every byte of every migration.
enum ByteClass : unsigned char {
  kOther,
  kSpace,
  kIdent,
  kDash,
  kSlash,
  kSemicolon,
  kQuote,
  kDollar
};
constexpr std::array<ByteClass, 256> kByteClass = [] {
  std::array<ByteClass, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    t[c] = IsSpace(ch) ? kSpace : IsIdentChar(ch) ? kIdent : kOther;
  }
  t['-'] = kDash;
  t['/'] = kSlash;
  t[';'] = kSemicolon;
  t['\''] = kQuote;
  t['"'] = kQuote;
  t['$'] = kDollar;
  return t;
}();
ByteClass ClassOf(char c) { return kByteClass[static_cast<unsigned char>(c)]; }

// The splitter proper. With `at_end` false the text may stop in the middle of
// a statement: only statements ended by a ';' are returned, and `*consumed`
// is set just past the last such ';'. Everything the lexer decides before a
// ';' depends only on the bytes before it, so the statements found in a
// prefix are exactly those the whole text has there.
std::vector<SqlStatement> Split(std::string_view s, bool at_end, size_t* consumed) {
  std::vector<SqlStatement> out;
  size_t start = std::string_view::npos;  // first significant char of current statement
  size_t i = 0;
  size_t done = 0;
  auto mark = [&](size_t at) {
    if (start == std::string_view::npos) start = at;
  };
  auto finish = [&](size_t end, size_t next) {
    if (start != std::string_view::npos) {
      size_t e = end;
      while (e > start && IsSpace(s[e - 1])) --e;
      out.push_back({start, s.substr(start, e - start), next});
    }
    start = std::string_view::npos;
  };
  while (i < s.size()) {
    char c = s[i];
    const ByteClass k = ClassOf(c);
    if (k == kIdent) {  // the most frequent case first: words and numbers
      mark(i);
      while (i < s.size() && (ClassOf(s[i]) == kIdent || s[i] == '$')) ++i;
      continue;
    }
    if (k == kSpace) {
      ++i;
      continue;
    }
    if (k == kOther) {
      mark(i);
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      const void* nl = std::memchr(s.data() + i, '\n', s.size() - i);
      i = nl == nullptr ? s.size() : static_cast<size_t>(static_cast<const char*>(nl) - s.data());
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      int depth = 1;
      i += 2;
      while (i < s.size() && depth > 0) {
        if (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (s[i] == '*' && i + 1 < s.size() && s[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
      continue;
    }
    if (c == ';') {
      finish(i, i + 1);
      ++i;
      done = i;
      continue;
    }
    mark(i);
    if (c == '\'' || c == '"') {
      // E'...' strings take backslash escapes; identifiers never do.
      const bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                             (i < 2 || !IsIdentChar(s[i - 2]));
      i = SkipQuoted(s, i, backslash);
      continue;
    }
    if (c == '$' && (i == 0 || !IsIdentChar(s[i - 1]))) {
      if (size_t end = DollarTagEnd(s, i)) {
        std::string_view tag = s.substr(i, end - i);
        size_t close = s.find(tag, end);
        i = close == std::string_view::npos ? s.size() : close + tag.size();
        continue;
      }
    }
    if (IsIdentChar(c)) {
      while (i < s.size() && (IsIdentChar(s[i]) || s[i] == '$')) ++i;
      continue;
    }
    ++i;
  }
  if (at_end) {
    finish(s.size(), s.size());
    done = s.size();
  }
  if (consumed != nullptr) *consumed = done;
  size_t line = 1, pos = 0;
  for (SqlStatement& st : out) {
    line += CountNewlines(s.substr(pos, st.offset - pos));
    pos = st.offset;
    st.line = line;
  }
  return out;
}

}  // namespace

size_t CountNewlines(std::string_view text) {
  size_t n = 0;
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (p == nullptr) break;
    ++n;
    ++p;
  }
  return n;
}

std::vector<SqlStatement> SplitSqlStatements(std::string_view s) {
  return Split(s, /*at_end=*/true, nullptr);
}

void SqlStatementStream::Feed(std::string_view text, const Sink& sink) {
  buffer_.append(text);
  if (buffer_.size() >= next_scan_) Scan(/*at_end=*/false, sink);
}

void SqlStatementStream::Finish(const Sink& sink) {
  Scan(/*at_end=*/true, sink);
  buffer_.clear();
}

std::string_view SqlStatementStream::Text(size_t from, size_t to) const {
  from = std::max(from, base_);
  to = std::max(to, from);
  return std::string_view(buffer_).substr(from - base_, to - from);
}

void SqlStatementStream::Scan(bool at_end, const Sink& sink) {
  size_t consumed = 0;
  std::vector<SqlStatement> found = Split(buffer_, at_end, &consumed);
  for (SqlStatement& st : found) {
    st.offset += base_;
    st.end += base_;
    st.line += line_base_ - 1;
    sink(st);
  }
  line_base_ += CountNewlines(std::string_view(buffer_).substr(0, consumed));
  buffer_.erase(0, consumed);
  base_ += consumed;
  // The unfinished statement is scanned again when more text comes; waiting
  // until the buffer has doubled keeps a huge statement linear.
  next_scan_ = std::max(scan_bytes_, 2 * buffer_.size());
}

}  // namespace cairn::db
