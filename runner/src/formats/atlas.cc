// Atlas versioned migration folders, read as `atlas migrate apply` reads
// them (docs/formats.md, "Atlas"): the *.sql files in name order, atlas.sum
// checked exactly as Atlas checks it, the file directives (`-- atlas:txmode`,
// `-- atlas:delimiter`, ...), and Atlas's own statement cut, compared with
// cairn's so that cairn runs the statements Atlas would run or refuses the
// file. Also the adopter of `atlas_schema_revisions`.
#include "atlas.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <set>

#include "../source/background_sha.h"
#include "../source/directives.h"
#include "../source/file_text.h"
#include "../source/migration_dir.h"
#include "../source/section_text.h"
#include "cairn/db/sql_splitter.h"
#include "cairn/runner/formats.h"
#include "dispatch.h"

namespace cairn::runner::internal {
namespace {

std::string Join(const std::string& dir, const std::string& name) {
  return dir + (dir.empty() || dir.back() == '/' ? "" : "/") + name;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool WordChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// The width of Go's unicode.IsSpace rune at s[i] (0 if none): ASCII
// whitespace, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000.
size_t SpaceAt(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xC2 && (at(1) == 0x85 || at(1) == 0xA0)) return 2;
  if (c == 0xE1 && at(1) == 0x9A && at(2) == 0x80) return 3;
  if (c == 0xE2 && at(1) == 0x80 &&
      ((at(2) >= 0x80 && at(2) <= 0x8A) || at(2) == 0xA8 || at(2) == 0xA9 || at(2) == 0xAF))
    return 3;
  if (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) return 3;
  if (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80) return 3;
  return 0;
}

// Go's strings.TrimSpace.
std::string_view GoTrimSpace(std::string_view s) {
  while (size_t w = SpaceAt(s, 0)) s.remove_prefix(w);
  for (;;) {
    bool cut = false;
    for (size_t w = 1; w <= 3 && w <= s.size(); ++w) {
      if (SpaceAt(s, s.size() - w) == w) {
        s.remove_suffix(w);
        cut = true;
        break;
      }
    }
    if (!cut) return s;
  }
}

// Regexp `\s` of Go (RE2): [\t\n\f\r ].
bool ReSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// `(?i)^\s*WORD1\s+WORD2\s+...` (each word followed by at least one \s; with
// `last_spaces` false the last word may be followed by nothing, `\s*`):
// the length of the match, 0 for none.
size_t MatchWords(std::string_view s, std::initializer_list<std::string_view> words,
                  bool last_spaces = true) {
  size_t i = 0;
  while (i < s.size() && ReSpace(s[i])) ++i;
  size_t n = 0;
  for (std::string_view w : words) {
    if (s.size() - i < w.size() || !IEquals(s.substr(i, w.size()), w)) return 0;
    i += w.size();
    const size_t before = i;
    while (i < s.size() && ReSpace(s[i])) ++i;
    ++n;
    if (i == before && (n < words.size() || last_spaces)) return 0;
  }
  return i;
}

// lex.go's reDollarQuote `^\$([A-Za-zÈ-ÿ_][\wÈ-ÿ]*)*\$`: the length of the
// quote that starts `s`, 0 for none. È-ÿ are U+00C8..U+00FF (C3 88..C3 BF).
size_t DollarQuoteAt(std::string_view s) {
  if (s.empty() || s[0] != '$') return 0;
  size_t i = 1;
  auto latin = [&](size_t k) {
    return k + 1 < s.size() && static_cast<unsigned char>(s[k]) == 0xC3 &&
           static_cast<unsigned char>(s[k + 1]) >= 0x88 &&
           static_cast<unsigned char>(s[k + 1]) <= 0xBF;
  };
  bool first = true;
  while (i < s.size() && s[i] != '$') {
    if (latin(i)) {
      i += 2;
    } else if (WordChar(s[i]) && !(first && s[i] >= '0' && s[i] <= '9')) {
      ++i;
    } else {
      return 0;
    }
    first = false;
  }
  return i < s.size() ? i + 1 : 0;
}

}  // namespace

std::optional<AtlasDirective> MatchAtlasDirective(std::string_view text) {
  size_t printable = 0;
  while (printable < text.size() && text[printable] >= ' ' && text[printable] <= '~') ++printable;
  std::string_view p = text.substr(0, printable);
  // The greedy prefix takes everything up to the last "atlas:" that a word
  // character follows.
  for (size_t at = p.rfind("atlas:"); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : p.rfind("atlas:", at - 1)) {
    size_t i = at + 6, j = i;
    while (j < p.size() && WordChar(p[j])) ++j;
    if (j == i) continue;
    AtlasDirective d{std::string(p.substr(0, at)), std::string(p.substr(i, j - i)), ""};
    if (j < p.size() && p[j] == ' ') {
      while (j < p.size() && p[j] == ' ') ++j;
      d.arg = std::string(p.substr(j));
    }
    return d;
  }
  return std::nullopt;
}

namespace {

// ---- atlas.sum ----------------------------------------------------------

std::string Base64(const unsigned char* data, size_t n) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kAlphabet[v & 63] : '=');
  }
  return out;
}

// SHA-256 whose running state can be read (Go's hash.Hash Sum(nil)).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void Update(std::string_view s) { EVP_DigestUpdate(ctx_.get(), s.data(), s.size()); }
  // Base64 of the digest of everything written so far; writing may go on.
  std::string SumBase64() const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> copy(EVP_MD_CTX_new(),
                                                                 &EVP_MD_CTX_free);
    EVP_MD_CTX_copy_ex(copy.get(), ctx_.get());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(copy.get(), md, &len);
    return Base64(md, len);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

struct SumEntry {
  std::string name, hash;
};

// Atlas's HashFile.Sum: SHA-256 over each entry's name and hash, base64.
std::string TotalSum(const std::vector<SumEntry>& entries) {
  Sha256 h;
  for (const SumEntry& e : entries) {
    h.Update(e.name);
    h.Update(e.hash);
  }
  return h.SumBase64();
}

// Whether the first line of `content` is an `atlas:sum ignore` directive
// (Atlas matches its regexp against the whole file: the first line).
bool SumIgnored(std::string_view content) {
  auto d = MatchAtlasDirective(content);
  return d && d->name == "sum" && d->arg == "ignore";
}

// The bytes of the i-th file, read when asked (one file in memory at a time).
using FileBytes = std::function<StatusOr<std::string>(size_t i)>;

// Atlas's NewHashFile: one running SHA-256 over each file's name and bytes;
// each entry is its state after that file. A file with `atlas:sum ignore`
// adds its name to the hash but no bytes and no entry.
StatusOr<std::vector<SumEntry>> HashEntries(const std::vector<std::string>& names,
                                            const FileBytes& bytes) {
  Sha256 h;
  std::vector<SumEntry> out;
  for (size_t i = 0; i < names.size(); ++i) {
    h.Update(names[i]);
    CAIRN_ASSIGN_OR_RETURN(std::string b, bytes(i));
    if (SumIgnored(b)) continue;
    h.Update(b);
    out.push_back({names[i], h.SumBase64()});
  }
  return out;
}

Status SumError(const std::string& dir, int line, const std::string& msg) {
  return InvalidArgumentError(Join(dir, "atlas.sum") +
                              (line > 0 ? ":" + std::to_string(line) : "") + ": " + msg);
}

// Checks atlas.sum against the files, as Atlas's migrate.Validate: the sum
// file's own first line must match its entries (else it was edited), and
// its total must equal the total of the files' entries. On a mismatch the
// first entry that differs names the file.
Status VerifySum(const std::string& dir, const std::vector<std::string>& names,
                 const FileBytes& bytes) {
  const std::string sum_path = Join(dir, "atlas.sum");
  struct stat st {};
  if (::stat(sum_path.c_str(), &st) != 0) {
    if (names.empty()) return Status::Ok();
    return SumError(dir, 0,
                    "not found; Atlas refuses to apply a migration folder without its sum file "
                    "(checksum file not found: run `atlas migrate hash`)");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileAt(AT_FDCWD, sum_path, sum_path));
  // bufio.Scanner's lines: split at '\n', one trailing '\r' dropped, no
  // empty last line after a final '\n'.
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    std::string_view l = std::string_view(text).substr(at, nl == std::string::npos ? nl : nl - at);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    lines.push_back(l);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  std::string_view first = lines.empty() ? std::string_view() : lines[0];
  if (first.substr(0, 3) == "h1:") first.remove_prefix(3);
  std::vector<SumEntry> recorded;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t h1 = lines[i].find("h1:");
    if (h1 == std::string_view::npos)
      return SumError(dir, static_cast<int>(i + 1),
                      "not a line '<file> h1:<hash>' (Atlas: checksum file format invalid)");
    recorded.push_back(
        {std::string(GoTrimSpace(lines[i].substr(0, h1))), std::string(lines[i].substr(h1 + 3))});
  }
  if (first != TotalSum(recorded))
    return SumError(dir, 1,
                    "the sum on the first line does not match the lines below it (atlas.sum was "
                    "edited by hand; Atlas: checksum mismatch; run `atlas migrate hash`)");
  CAIRN_ASSIGN_OR_RETURN(const std::vector<SumEntry> actual, HashEntries(names, bytes));
  if (TotalSum(actual) == TotalSum(recorded)) return Status::Ok();
  auto listed = [](const std::vector<SumEntry>& es, const std::string& n) {
    return std::any_of(es.begin(), es.end(), [&](const SumEntry& e) { return e.name == n; });
  };
  const std::string kRehash =
      "; Atlas refuses the folder (checksum mismatch) until `atlas migrate "
      "hash` is run";
  for (size_t i = 0; i <= std::max(actual.size(), recorded.size()); ++i) {
    const bool a = i < actual.size(), r = i < recorded.size();
    const int line = static_cast<int>(i + 2);
    if (a && (!r || actual[i].name != recorded[i].name) && !listed(recorded, actual[i].name))
      return InvalidArgumentError(Join(dir, actual[i].name) + ": not listed in atlas.sum" +
                                  kRehash);
    if (r && (!a || actual[i].name != recorded[i].name) && !listed(actual, recorded[i].name))
      return SumError(
          dir, line,
          recorded[i].name + " is listed but not in the folder (removed or renamed)" + kRehash);
    if (a && r && actual[i].name != recorded[i].name)
      return SumError(dir, line,
                      "lists " + recorded[i].name + " where Atlas orders " + actual[i].name +
                          " (files are hashed in name order)" + kRehash);
    if (a && r && actual[i].hash != recorded[i].hash)
      return InvalidArgumentError(
          Join(dir, actual[i].name) + ": changed since atlas.sum was written (line " +
          std::to_string(line) + " records h1:" + recorded[i].hash +
          ", the files up to it now hash to h1:" + actual[i].hash + ")" + kRehash);
    if (!a && !r) break;
  }
  return SumError(dir, 0, "does not match the folder" + kRehash);
}

// ---- Atlas's lexer (sql/migrate/lex.go) ---------------------------------

struct ScanOptions {
  bool match_begin = true;         // BEGIN ... END blocks
  bool match_begin_atomic = true;  // BEGIN ATOMIC ... END (PostgreSQL)
  bool match_dollar_quote = true;  // $tag$ ... $tag$ (PostgreSQL)
};
// The PostgreSQL driver's ScanStmts. Its EscapedStringExt option is on too,
// but lex.go tests the byte at s.pos-1, which is the quote itself, so it
// never takes a backslash as an escape: neither does this port.
constexpr ScanOptions kPostgres{};

// One statement as Atlas's scanner emits it.
struct Scanned {
  size_t end = 0;     // offset in the file just past its text (and delimiter)
  std::string delim;  // the delimiter that ended it; "" at the end of the input
  std::string text;   // as Atlas sends it: trimmed, a custom delimiter removed
};

class AtlasScanner {
 public:
  // Scans `src`, which starts at `origin` in the file.
  AtlasScanner(std::string_view src, size_t origin, ScanOptions opts)
      : src_(src), origin_(origin), opts_(opts) {}

  // lex.go's init: a first line `-- atlas:delimiter D` sets the delimiter
  // and is skipped.
  Status Init() {
    if (auto d = MatchAtlasDirective(src_); d && d->name == "delimiter" && d->prefix == "-- ") {
      CAIRN_RETURN_IF_ERROR(SetDelim(d->arg));
      directive_delim_ = delim_;
      const size_t nl = src_.find('\n');
      if (nl == std::string_view::npos)
        return Error(pos_, "no input found after delimiter \"" + d->arg + "\"");
      in_ = nl + 1;
    }
    return Status::Ok();
  }
  const std::string& directive_delim() const { return directive_delim_; }
  // DELIMITER commands seen: [begin, end) in the file.
  const std::vector<std::pair<size_t, size_t>>& commands() const { return commands_; }

  // lex.go's stmt: false at the end of the input.
  StatusOr<bool> Next(Scanned* out) {
    int depth = 0;
    size_t opening = 0;
    std::string_view text;
    out->delim.clear();
    SkipSpaces();
    for (;;) {
      const int32_t r = NextRune();
      if (r == kEos) {
        if (depth > 0) return Error(opening, "unclosed '('");
        if (pos_ > 0) {
          text = Input();
          break;
        }
        return false;
      }
      if (r == '(') {
        if (depth == 0) opening = pos_;
        ++depth;
      } else if (r == ')') {
        if (depth == 0) return Error(pos_, "unexpected ')'");
        --depth;
      } else if (r == '\'' || r == '"' || r == '`') {
        CAIRN_RETURN_IF_ERROR(SkipQuote(r));
      } else if (pos_ == 1 && Input().size() > 9 && IEquals(Input().substr(0, 9), "delimiter")) {
        const size_t start = origin_ + in_;
        AddPos(8);
        CAIRN_ASSIGN_OR_RETURN(bool command, DelimCmd());
        if (command) commands_.emplace_back(start, origin_ + in_);
        SkipSpaces();
      } else if (depth == 0 && Input().substr(pos_ - width_).substr(0, delim_.size()) == delim_) {
        AddPos(static_cast<std::ptrdiff_t>(delim_.size()) - static_cast<std::ptrdiff_t>(width_));
        text = Input().substr(0, pos_);
        out->delim = delim_;
        break;
      } else if (opts_.match_dollar_quote && r == '$' &&
                 DollarQuoteAt(Input().substr(pos_ - 1)) > 0) {
        CAIRN_RETURN_IF_ERROR(SkipDollarQuote());
      } else if (r == '-' && Pick() == '-') {
        NextRune();
        Comment("--", "\n");
      } else if (r == '/' && Pick() == '*') {
        NextRune();
        Comment("/*", "*/");
      } else if (delim_ == ";" && opts_.match_begin_atomic &&
                 MatchWords(Input().substr(pos_ - 1), {"BEGIN", "ATOMIC"}) > 0) {
        if (SkipBlock(/*atomic=*/true)) {
          text = Input().substr(0, pos_);
          break;
        }
      } else if (delim_ == ";" && opts_.match_begin &&
                 ((pos_ == 1 && MatchWords(Input().substr(pos_ - 1), {"BEGIN"}) > 0) ||
                  (pos_ > 1 && MatchWords(Input().substr(pos_ - 2), {"BEGIN"}) > 0))) {
        if (SkipBlock(/*atomic=*/false)) {
          text = Input().substr(0, pos_);
          break;
        }
      }
    }
    out->end = origin_ + in_ + pos_;
    out->text = Emit(text);
    return true;
  }

 private:
  static constexpr int32_t kEos = -1;

  std::string_view Input() const { return src_.substr(in_); }
  void AddPos(std::ptrdiff_t p) {
    pos_ = static_cast<size_t>(static_cast<std::ptrdiff_t>(pos_) + p);
    total_ = static_cast<size_t>(static_cast<std::ptrdiff_t>(total_) + p);
  }

  int32_t NextRune() {
    std::string_view in = Input();
    if (pos_ >= in.size()) return kEos;
    const auto c = static_cast<unsigned char>(in[pos_]);
    size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (pos_ + w > in.size()) w = 1;
    int32_t r = c;
    if (w > 1) {
      r = c & (0x7F >> w);
      for (size_t k = 1; k < w; ++k) {
        const auto d = static_cast<unsigned char>(in[pos_ + k]);
        if ((d & 0xC0) != 0x80) {
          w = 1;
          r = 0xFFFD;
          break;
        }
        r = (r << 6) | (d & 0x3F);
      }
    } else if (c >= 0x80) {
      r = 0xFFFD;
    }
    width_ = w;
    AddPos(w);
    return r;
  }
  int32_t Pick() {
    const size_t p = pos_, w = width_, t = total_;
    const int32_t r = NextRune();
    pos_ = p;
    width_ = w;
    total_ = t;
    return r;
  }

  Status SkipQuote(int32_t quote) {
    const size_t start = pos_;
    for (;;) {
      const int32_t r = NextRune();
      if (r == kEos) return Error(start, std::string("unclosed quote ") + static_cast<char>(quote));
      if (r == quote) return Status::Ok();
    }
  }

  Status SkipDollarQuote() {
    const size_t n = DollarQuoteAt(Input().substr(pos_ - 1));
    if (n == 0) return Error(pos_, "unexpected dollar quote");
    const std::string tag(Input().substr(pos_ - 1, n));
    AddPos(n - 1);
    for (;;) {
      const int32_t r = NextRune();
      // lex.go fails here only without a delimiter, which is never.
      if (r == kEos) return Status::Ok();
      if (r == '$' && Input().substr(pos_ - 1).substr(0, tag.size()) == tag) {
        AddPos(tag.size() - 1);
        return Status::Ok();
      }
    }
  }

  // skipBegin / skipBeginAtomic: true when a block up to its END was
  // skipped; false (lex.go ignores the error) when there is none, with the
  // position past "BEGIN" as lex.go leaves it.
  bool SkipBlock(bool atomic) {
    const size_t m = atomic ? MatchWords(Input().substr(pos_ - 1), {"BEGIN", "ATOMIC"})
                            : MatchWords(Input().substr(pos_ - 1), {"BEGIN"});
    if (m == 0) return false;
    AddPos(m - 1);
    AtlasScanner body(Input().substr(pos_), origin_ + in_ + pos_, opts_);
    if (!body.Init().ok()) return false;
    for (;;) {
      Scanned s;
      auto more = body.Next(&s);
      if (!more.ok() || !*more) return false;
      const size_t end = MatchWords(s.text, {"END"}, /*last_spaces=*/false);
      if (end == 0) continue;
      if (atomic || end == s.text.size() || s.text.substr(end) == delim_) break;
    }
    AddPos(body.total_);
    return true;
  }

  void Comment(std::string_view left, std::string_view right) {
    const size_t i = Input().substr(pos_).find(right);
    if (i == std::string_view::npos) return;  // not a comment
    const bool inside = pos_ != left.size();
    AddPos(i + right.size());
    if (inside) return;
    in_ += pos_;  // a comment before the statement is not part of it
    pos_ = 0;
    SkipSpaces();
  }

  void SkipSpaces() {
    while (size_t w = SpaceAt(src_, in_)) {
      in_ += w;
      total_ += w;
    }
  }

  std::string Emit(std::string_view text) {
    in_ += pos_;
    pos_ = 0;
    if (delim_ != ";" && EndsWith(text, delim_)) text.remove_suffix(delim_.size());
    return std::string(GoTrimSpace(text));
  }

  // delimCmd: "DELIMITER x" up to the end of its line sets the delimiter
  // (false: not a command, the scan goes on).
  StatusOr<bool> DelimCmd() {
    if (Pick() != ' ') return false;
    for (int32_t r = Pick(); r != kEos && r != '\n';) r = NextRune();
    std::string d(GoTrimSpace(Input().substr(9, pos_ - 9)));
    if (d.size() >= 2 && d.front() == '\'' && d.back() == '\'') {
      std::string q;
      for (size_t i = 1; i + 1 < d.size(); ++i) {
        q.push_back(d[i]);
        if (d[i] == '\'' && i + 2 < d.size() && d[i + 1] == '\'') ++i;
      }
      d = q;
    }
    CAIRN_RETURN_IF_ERROR(SetDelim(d));
    Emit(Input().substr(0, pos_));
    return true;
  }

  Status SetDelim(std::string_view d) {
    if (d.empty()) return InvalidArgumentError("empty delimiter");
    std::string out;
    for (size_t i = 0; i < d.size(); ++i) {
      if (d[i] == '\\' && i + 1 < d.size() &&
          (d[i + 1] == 'n' || d[i + 1] == 'r' || d[i + 1] == 't')) {
        out.push_back(d[i + 1] == 'n' ? '\n' : d[i + 1] == 'r' ? '\r' : '\t');
        ++i;
      } else {
        out.push_back(d[i]);
      }
    }
    delim_ = out;
    return Status::Ok();
  }

  Status Error(size_t pos, const std::string& msg) const {
    const size_t p = std::min(in_ + pos, src_.size());
    std::string_view before = src_.substr(0, p);
    const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    const size_t nl = before.rfind('\n');
    const size_t col = line == 1 ? p : p - nl - 1;
    return InvalidArgumentError(std::to_string(line) + ":" + std::to_string(col) + ": " + msg);
  }

  std::string_view src_;
  size_t origin_;
  ScanOptions opts_;
  size_t in_ = 0, pos_ = 0, total_ = 0, width_ = 0;
  std::string delim_ = ";";
  std::string directive_delim_;
  std::vector<std::pair<size_t, size_t>> commands_;
};

struct AtlasCut {
  std::vector<Scanned> stmts;
  std::string directive_delim;
  std::vector<std::pair<size_t, size_t>> commands;
};

StatusOr<AtlasCut> Cut(std::string_view text) {
  AtlasScanner s(text, 0, kPostgres);
  CAIRN_RETURN_IF_ERROR(s.Init());
  AtlasCut cut;
  for (;;) {
    Scanned st;
    CAIRN_ASSIGN_OR_RETURN(bool more, s.Next(&st));
    if (!more) break;
    cut.stmts.push_back(std::move(st));
  }
  cut.directive_delim = s.directive_delim();
  cut.commands = s.commands();
  return cut;
}

}  // namespace

StatusOr<std::vector<std::string>> AtlasStatements(std::string_view text) {
  CAIRN_ASSIGN_OR_RETURN(AtlasCut cut, Cut(text));
  std::vector<std::string> out;
  for (Scanned& s : cut.stmts) out.push_back(std::move(s.text));
  return out;
}

std::string AtlasSumFile(const std::vector<std::string>& names,
                         const std::vector<std::string>& bytes) {
  const std::vector<SumEntry> entries =
      *HashEntries(names, [&](size_t i) -> StatusOr<std::string> { return bytes[i]; });
  std::string out = "h1:" + TotalSum(entries) + "\n";
  for (const SumEntry& e : entries) out += e.name + " h1:" + e.hash + "\n";
  return out;
}

namespace {

// ---- one file -----------------------------------------------------------

// The header comments Atlas reads file directives from (LocalFile.comments):
// the lines from the top that start with "#" or "--", trimmed, when an
// empty line ('\n' after optional spaces and tabs) follows them.
std::vector<std::string> HeaderComments(std::string_view content) {
  std::vector<std::string> out;
  while (content.substr(0, 1) == "#" || content.substr(0, 2) == "--") {
    const size_t nl = content.find('\n');
    if (nl == std::string_view::npos) return {};  // a file of comments only
    out.emplace_back(GoTrimSpace(content.substr(0, nl)));
    content.remove_prefix(nl + 1);
  }
  while (!content.empty() && (content[0] == ' ' || content[0] == '\t')) content.remove_prefix(1);
  if (content.substr(0, 1) != "\n") return {};
  return out;
}

// The file directives Atlas takes, and the refusals for those cairn cannot
// follow or Atlas would not take (docs/formats.md, "Atlas").
struct FileDirectives {
  bool no_transaction = false;
};

StatusOr<FileDirectives> ReadDirectives(const std::string& path, std::string_view content) {
  auto error = [&](int line, const std::string& msg) {
    return InvalidArgumentError(path + ":" + std::to_string(line) + ": " + msg);
  };
  const std::vector<std::string> header = HeaderComments(content);
  const std::optional<AtlasDirective> first = MatchAtlasDirective(content);
  FileDirectives out;
  if (SumIgnored(content))
    return error(1,
                 "'atlas:sum ignore': Atlas leaves this file out of atlas.sum and then cannot "
                 "apply it (checksum not found); cairn refuses it too");
  std::vector<std::string> txmodes;
  int line = 0;
  Status status = source::ForEachLine(content, [&](const source::Line& l) -> Status {
    line = l.number;
    const std::string_view t = GoTrimSpace(l.text);
    if (t.substr(0, 2) != "--" && t.substr(0, 1) != "#" && t.substr(0, 2) != "/*")
      return Status::Ok();
    // A "-- cairn:" directive is a comment to Atlas but not to cairn.
    std::string_view after = GoTrimSpace(t.substr(t[0] == '#' ? 1 : 2));
    if (t[0] == '-' && after.substr(0, 6) == "cairn:" && after.substr(6, 11) != "lint-ignore")
      return error(l.number, "'" + std::string(t) +
                                 "' is a comment to Atlas but a directive to cairn; cairn refuses "
                                 "the ambiguity (remove it)");
    const auto d = MatchAtlasDirective(t);
    if (!d) return Status::Ok();
    const bool in_header = static_cast<size_t>(l.number) <= header.size();
    const bool on_first = l.number == 1 && first && first->name == d->name;
    const std::string quoted = "'" + std::string(t) + "'";
    if (d->name == "nolint") return Status::Ok();  // `atlas migrate lint` only
    if (d->name == "delimiter" && on_first && first->prefix == "-- ") return Status::Ok();
    if (d->name == "sum" && on_first)
      return error(l.number, quoted + ": Atlas knows only 'atlas:sum ignore'; remove it");
    if ((d->name == "txmode" || d->name == "checkpoint") && in_header) {
      if (d->name == "txmode") {
        txmodes.push_back(d->arg);
        return Status::Ok();
      }
      return error(l.number, quoted +
                                 ": a checkpoint file; Atlas starts a new database from its last "
                                 "checkpoint and skips the files before it, cairn runs every file; "
                                 "cairn refuses the folder");
    }
    if (d->name == "txmode" || d->name == "checkpoint" || d->name == "delimiter" ||
        d->name == "sum")
      return error(
          l.number,
          quoted + ": Atlas ignores this directive here (" +
              (d->name == "delimiter" ? std::string("it counts only as the first line, written '-- "
                                                    "atlas:delimiter ...'")
               : d->name == "sum"
                   ? std::string("it counts only on the first line")
                   : std::string("file directives count only at the top of the file, "
                                 "followed by an empty line; a line end of \\r\\n does "
                                 "not make one")) +
              "); cairn refuses rather than run the file as Atlas would not read it");
    return error(l.number, "unknown Atlas directive 'atlas:" + d->name +
                               "' (cairn knows txmode, delimiter, sum, checkpoint, nolint)");
  });
  CAIRN_RETURN_IF_ERROR(status);
  if (txmodes.size() > 1)
    return InvalidArgumentError(path + ": multiple txmode directives (Atlas fails on the file)");
  if (!txmodes.empty()) {
    const std::string& m = txmodes[0];
    if (m == "all")
      return InvalidArgumentError(path +
                                  ": '-- atlas:txmode all' is not allowed in a file (Atlas fails: "
                                  "use file)");
    if (m != "none" && m != "file")
      return InvalidArgumentError(path + ": unknown txmode '" + m +
                                  "' (Atlas fails; expected none or file)");
    out.no_transaction = m == "none";
  }
  return out;
}

// The file's 1-based line at byte `offset`.
int LineAt(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// One Atlas file as a cairn migration.
StatusOr<Migration> ReadAtlasFile(const std::string& dir, const std::string& name,
                                  const std::string& content, size_t keep) {
  const std::string path = Join(dir, name);
  if (content.compare(0, 3, "\xEF\xBB\xBF") == 0)
    return InvalidArgumentError(path +
                                ":1: a byte order mark: Atlas sends it as the start of the first "
                                "statement, which PostgreSQL rejects (SQLite skips it); cairn, "
                                "reading the folder before it knows the target, refuses the file");
  CAIRN_ASSIGN_OR_RETURN(FileDirectives dirs, ReadDirectives(path, content));
  auto cut = Cut(content);
  if (!cut.ok()) {
    const std::string& msg = cut.status().message();
    return InvalidArgumentError(
        path + (std::isdigit(static_cast<unsigned char>(msg[0])) ? ":" : ": ") + msg +
        " (Atlas cannot cut this file into statements and fails on it)");
  }
  // The text cairn runs: the file itself, or, where Atlas's delimiter is not
  // ';', the file with each such delimiter replaced by ';' (keeping its line
  // ends, so lines stay where they are) and each DELIMITER command commented
  // out. `regions` are the ends of Atlas's statements in that text.
  const bool rewrite = !cut->directive_delim.empty() || !cut->commands.empty();
  std::string text;
  std::vector<size_t> regions;
  size_t cursor = 0;
  size_t command = 0;
  for (const Scanned& s : cut->stmts) {
    const bool replace = !s.delim.empty() && s.delim != ";";
    const size_t copy_to = replace ? s.end - s.delim.size() : s.end;
    if (rewrite) {
      for (; command < cut->commands.size() && cut->commands[command].first < copy_to; ++command) {
        text.append(content, cursor, cut->commands[command].first - cursor);
        text += "-- ";
        cursor = cut->commands[command].first;
      }
      text.append(content, cursor, copy_to - cursor);
      if (replace) {
        const size_t newlines = std::count(s.delim.begin(), s.delim.end(), '\n');
        text += newlines == 0        ? ";"
                : s.delim[0] == '\n' ? "\n;" + std::string(newlines - 1, '\n')
                                     : ";" + std::string(newlines, '\n');
      }
      cursor = s.end;
      regions.push_back(text.size());
    } else {
      regions.push_back(s.end);
    }
  }
  if (rewrite) {
    for (; command < cut->commands.size(); ++command) {
      text.append(content, cursor, cut->commands[command].first - cursor);
      text += "-- ";
      cursor = cut->commands[command].first;
    }
    text.append(content, cursor, std::string::npos);
  }
  const std::string_view runs = rewrite ? std::string_view(text) : std::string_view(content);

  const std::string stem = name.substr(0, name.size() - 4);
  const size_t us = stem.find('_');
  const std::string version = stem.substr(0, us);
  const std::string desc = us == std::string::npos ? "" : stem.substr(us + 1);
  CAIRN_ASSIGN_OR_RETURN(
      Migration m, ReadUpOnlyFile(version, desc, name, path, rewrite ? &text : nullptr, keep));
  m.checksum = CanonicalChecksum(content);
  m.no_transaction = m.no_transaction || dirs.no_transaction;

  // Atlas sends each of its statements on its own; cairn sends the text and
  // cuts it at ';' outside quotes, dollar quotes and comments. Both must
  // find the same statements: cairn's cut of each Atlas statement, one
  // after the other, must be cairn's cut of the whole text.
  std::string bytes;
  int64_t count = 0;
  size_t from = 0;
  std::vector<std::string_view> parts;  // cairn's cut, Atlas's statement by statement
  regions.push_back(runs.size());
  for (size_t i = 0; i < regions.size(); ++i) {
    const std::vector<db::SqlStatement> cut_here =
        db::SplitSqlStatements(runs.substr(from, regions[i] - from));
    if (dirs.no_transaction && cut_here.size() > 1)
      return InvalidArgumentError(
          path + ":" + std::to_string(LineAt(runs, from + cut_here[0].offset)) + ": Atlas sends " +
          std::to_string(cut_here.size()) +
          " statements as one here, outside a transaction (txmode none); cairn runs them one by "
          "one and refuses the difference");
    for (const db::SqlStatement& p : cut_here) {
      source::AppendStatementBytes(p.text, &bytes);
      parts.push_back(p.text);
      ++count;
    }
    from = regions[i];
  }
  const SectionFacts& facts = m.up.facts;
  if (facts.known) {
    auto digest = source::MakeHasher(/*background=*/false);
    digest->Update(bytes);
    if (count != facts.statements || digest->Finish() != facts.statements_sha256) {
      int line = 0;
      const std::vector<db::SqlStatement> whole = db::SplitSqlStatements(runs);
      for (size_t i = 0; i < whole.size() && line == 0; ++i)
        if (i >= parts.size() || whole[i].text != parts[i]) line = static_cast<int>(whole[i].line);
      return InvalidArgumentError(
          path + (line > 0 ? ":" + std::to_string(line) : "") +
          ": Atlas cuts this file into statements differently from cairn (a ';' inside "
          "parentheses or a BEGIN ... END block, or a quote only one of them knows); cairn "
          "refuses to run it differently");
    }
  }
  // Atlas runs a file in a transaction unless its txmode is none; a
  // statement the server refuses inside one fails under Atlas. cairn would
  // run it outside one: refused instead.
  if (!m.no_transaction) {
    for (db::Backend b : {db::Backend::kPostgres, db::Backend::kSqlite}) {
      std::string why = NoTransactionReason(m, m.up, b, b == db::Backend::kPostgres ? 1000000 : 0);
      if (!why.empty())
        return InvalidArgumentError(
            path + ": " + why +
            " cannot run in the transaction Atlas runs this file in (txmode file; Atlas fails "
            "on it); mark the file '-- atlas:txmode none' followed by an empty line");
    }
  }
  return m;
}

}  // namespace

StatusOr<std::vector<Migration>> LoadAtlas(const std::string& dir, size_t keep) {
  // Atlas's LocalDir.Files: every entry matching "*.sql" (hidden ones too),
  // in byte order of the name.
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return InvalidArgumentError("migrations directory '" + dir + "': cannot open");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != ".." && EndsWith(n, ".sql")) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  // Atlas holds every file in memory; cairn one at a time, read once for
  // the sum and once more for the statements.
  const FileBytes bytes = [&](size_t i) -> StatusOr<std::string> {
    const std::string path = Join(dir, names[i]);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      return InvalidArgumentError(path +
                                  ": a directory named *.sql; Atlas fails reading it as a "
                                  "migration file");
    return ReadFileAt(AT_FDCWD, path, path);
  };
  CAIRN_RETURN_IF_ERROR(VerifySum(dir, names, bytes));

  std::vector<Migration> out;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    const std::string version = n.substr(0, std::min(n.find('_'), n.size() - 4));
    if (version.empty())
      return InvalidArgumentError(Join(dir, n) +
                                  ": no version before the first '_' (Atlas names files "
                                  "<version>[_<name>].sql)");
    if (!out.empty()) {
      const int c = ledger::CompareMigrationIds(out.back().id, version);
      if (c == 0)
        return InvalidArgumentError(Join(dir, n) + ": duplicate migration version " + version +
                                    " (also " + Join(dir, out.back().file) + ")");
      if (c > 0)
        return InvalidArgumentError(
            Join(dir, n) + ": Atlas runs it after " + out.back().file +
            " (it orders files by name, byte by byte) but cairn orders version " + version +
            " before " + out.back().id + "; rename the files with versions of equal length");
    }
    CAIRN_ASSIGN_OR_RETURN(std::string content, bytes(i));
    CAIRN_ASSIGN_OR_RETURN(Migration m, ReadAtlasFile(dir, n, content, keep));
    out.push_back(std::move(m));
  }
  return out;
}

// ---- adopt: atlas_schema_revisions --------------------------------------

namespace {

Status Refuse(const std::string& what) {
  return FailedPreconditionError("adopt refused: " + what + "; nothing was written")
      .WithKind(kAdoptRefused);
}

// executed_at as either backend gives it ("2024-01-02 03:04:05[.frac][+hh:mm]")
// in micros since the epoch, UTC; 0 if unreadable.
int64_t ParseTime(const std::string& text) {
  std::tm tm{};
  int used = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%d%*c%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t micros = static_cast<int64_t>(::timegm(&tm)) * 1000000;
  size_t i = static_cast<size_t>(used);
  if (i < text.size() && text[i] == '.') {
    int64_t scale = 100000;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      micros += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  while (i < text.size() && text[i] == ' ') ++i;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int h = 0, m = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &h, &m) >= 1)
      micros -= (text[i] == '+' ? 1 : -1) * (static_cast<int64_t>(h) * 3600 + m * 60) * 1000000;
  }
  return micros;
}

}  // namespace

StatusOr<std::map<std::string, BaselineOptions::Original, ledger::MigrationIdLess>>
ReadAtlasRevisions(db::Connection& conn, const std::vector<Migration>& files) {
  const bool pg = conn.backend() == db::Backend::kPostgres;
  // SQLite: the main database. PostgreSQL: the connected schema (Atlas with
  // a schema-bound URL) or the schema atlas_schema_revisions (its default).
  std::string table = db::QuoteIdentifier("atlas_schema_revisions");
  if (pg) {
    CAIRN_ASSIGN_OR_RETURN(auto where,
                           conn.Query("SELECT table_schema FROM information_schema.tables WHERE "
                                      "table_name = 'atlas_schema_revisions' AND table_schema IN "
                                      "(current_schema(), 'atlas_schema_revisions') ORDER BY 1"));
    if (where.size() > 1)
      return Refuse(
          "atlas_schema_revisions exists both in the connected schema and in the schema "
          "atlas_schema_revisions; which one Atlas used depends on the URL it was given (and "
          "--revisions-schema); drop the one not in use");
    if (where.empty())
      return NotFoundError(
          "adopt --format atlas: the target has no atlas_schema_revisions table (looked in the "
          "connected schema and in the schema atlas_schema_revisions); nothing to adopt from");
    table = db::QuoteIdentifier(where[0][0].AsText()) + "." + table;
  } else {
    CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT count(*) FROM sqlite_schema WHERE type = "
                                                 "'table' AND name = 'atlas_schema_revisions'"));
    if (rows.empty() || rows[0][0].AsInt() == 0)
      return NotFoundError(
          "adopt --format atlas: the target has no atlas_schema_revisions table; nothing to "
          "adopt from");
  }
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query(
          std::string("SELECT version, CAST(type AS TEXT), applied, total, ") +
              (pg ? "CAST(executed_at AT TIME ZONE 'UTC' AS TEXT)" : "CAST(executed_at AS TEXT)") +
              ", COALESCE(error, ''), hash FROM " + table + " WHERE version <> $1",
          {db::Value(std::string(".atlas_cloud_identifier"))}));
  // Atlas compares versions as strings (Go's <).
  std::map<std::string, const db::Row*> revisions;
  for (const db::Row& r : rows) revisions[r[0].AsText()] = &r;
  std::map<std::string, const Migration*> by_version;
  for (const Migration& m : files) by_version[m.id] = &m;
  std::map<std::string, BaselineOptions::Original, ledger::MigrationIdLess> applied;
  for (const auto& [version, r] : revisions) {
    const int64_t done = (*r)[2].AsInt(), total = (*r)[3].AsInt();
    const std::string error = (*r)[5].AsText();
    const bool resolved = (std::stoll("0" + (*r)[1].AsText()) & 4) != 0;
    if (done != total || (!error.empty() && !resolved))
      return Refuse("atlas_schema_revisions: version " + version + " is partially applied (" +
                    std::to_string(done) + " of " + std::to_string(total) + " statements" +
                    (error.empty() ? "" : "; error: " + error) +
                    "); finish or repair it with Atlas (`atlas migrate apply` or `atlas migrate "
                    "set`), then adopt");
    if (!by_version.count(version))
      return Refuse("atlas_schema_revisions records version " + version +
                    " but no migration file in the folder has that version");
    BaselineOptions::Original o;
    o.applied_at_micros = ParseTime((*r)[4].AsText());
    if (const std::string hash = (*r)[6].AsText(); !hash.empty()) o.checksum = "h1:" + hash;
    applied[version] = o;
  }
  if (revisions.empty()) return applied;
  // As Atlas's Executor.Pending: files before the first revision count as
  // applied (a baseline, or a database Atlas started on late); a file
  // between the first and the last revision without one of its own is
  // "added out of order", which Atlas refuses to run by default.
  const std::string& first = revisions.begin()->first;
  const std::string& last = revisions.rbegin()->first;
  for (const auto& [version, m] : by_version) {
    if (version < first) {
      applied.try_emplace(version);
      continue;
    }
    if (version < last && !revisions.count(version))
      return Refuse(m->file +
                    " has no revision in atlas_schema_revisions though versions before "
                    "and after it have (Atlas: migration file was added out of order; it "
                    "refuses to run); apply it with Atlas first, then adopt");
  }
  return applied;
}

}  // namespace cairn::runner::internal
