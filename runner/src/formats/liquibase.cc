// Liquibase changelogs read as Liquibase 4.x reads them (docs/formats.md,
// "Liquibase"): formatted SQL files parsed line by line with the regular
// expressions of Liquibase's AbstractFormattedChangeLogParser, the statements
// of each changeset cut as Liquibase's StringUtil.processMultiLineSQL cuts
// them, the version 9 checksum of each changeset, and XML or YAML master
// changelogs whose include / includeAll name those files.
#include "liquibase.h"

#include <dirent.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>

#include "../source/background_sha.h"
#include "../source/migration_dir.h"
#include "../source/section_text.h"
#include "cairn/db/sql_splitter.h"
#include "cairn/runner/formats.h"
#include "cairn/store/state.h"
#include "dispatch.h"

namespace cairn::runner::internal {
namespace {

// ---- text as Java reads it ----------------------------------------------

struct JLine {
  std::string text;
  int number = 0;
};

// The file's lines as Java's BufferedReader.readLine returns them (ends at
// "\n", "\r\n" or "\r"), a leading UTF-8 byte order mark removed as
// Liquibase's BOM-aware reader removes it. Text that is not UTF-8 is refused:
// Java would decode it to U+FFFD, which changes both the SQL and the checksum.
StatusOr<std::vector<JLine>> JavaLines(const std::string& path, std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<JLine> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find_first_of("\r\n", i);
    if (j == std::string_view::npos) j = text.size();
    JLine l{std::string(text.substr(i, j - i)), static_cast<int>(out.size()) + 1};
    if (!ValidUtf8(l.text))
      return InvalidArgumentError(path + ":" + std::to_string(l.number) +
                                  ": not valid UTF-8 (Liquibase would read it as U+FFFD, "
                                  "changing the SQL and its checksum); cairn refuses the file");
    out.push_back(std::move(l));
    if (j < text.size() && text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n') ++j;
    i = j + 1;
  }
  return out;
}

// Java's String.trim: every char <= ' ' at both ends.
std::string_view JTrim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string StripEnclosingQuotes(const std::string& s) {
  if (s.size() >= 2 &&
      ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\'')))
    return s.substr(1, s.size() - 2);
  return s;
}

// ---- Liquibase's patterns -------------------------------------------------

// Each is one of AbstractFormattedChangeLogParser's, with "--" as the
// comment sequence, matched whole (Java's Matcher.matches) and ignoring
// ASCII case (Pattern.CASE_INSENSITIVE).
struct Patterns {
  static std::regex R(const char* re) {
    return std::regex(re, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  }
  std::regex first_line = R(R"(^\s*--\s*liquibase\s*formatted.*)");
  std::regex property = R(R"(\s*--[\s]*property\s+(.*:.*)\s+(.*:.*).*)");
  std::regex alt_property = R(R"(\s*?[-]+\s*property\s.*)");
  std::regex change_set = R(R"(\s*--[\s]*changeset\s+("[^"]+"|[^:]+):\s*("[^"]+"|\S+).*)");
  std::regex alt_change_set_one = R(R"(-[\s]*changeset\s.*)");
  std::regex alt_change_set_no_info = R(R"(\s*--[\s]*changeset[\s]*.*$)");
  std::regex rollback = R(R"(\s*--[\s]*rollback (.*))");
  std::regex alt_rollback_one = R(R"(\s*-[\s]*rollback\s.*)");
  std::regex preconditions = R(R"(\s*--[\s]*preconditions(.*))");
  std::regex alt_preconditions_one = R(R"(\s*-[\s]*preconditions\s.*)");
  std::regex precondition = R(R"(\s*--[\s]*precondition-([a-zA-Z0-9-]+) (.*))");
  std::regex invalid_empty_precondition = R(R"(\s*--[\s]*precondition-([a-zA-Z0-9-]+))");
  std::regex alt_precondition_one = R(R"(\s*-[\s]*precondition(.*))");
  std::regex comment = R(R"(--[\s]*comment:? (.*))");
  std::regex alt_comment_plural = R(R"(--[\s]*comments:? (.*))");
  std::regex alt_comment_one = R(R"(-[\s]*comment:? (.*))");
  std::regex valid_check_sum = R(R"(--[\s]*validCheckSum:? (.*))");
  std::regex alt_valid_check_sum_one = R(R"(^-[\s]*validCheckSum(.*)$)");
  std::regex ignore_lines = R(R"(--[\s]*ignoreLines:(\w+))");
  std::regex alt_ignore_lines_one = R(R"(-[\s]*?ignoreLines:(\w+).*$)");
  std::regex alt_ignore = R(R"(--[\s]*ignore:(\w+))");
  std::regex rollback_multi_start = R(R"(\s*/\*\s*liquibase\s*rollback\s*$)");
  std::regex rollback_multi_end = R(R"(.*\s*\*/\s*$)");
  std::regex rollback_multi_end_split = R(R"(\*/\s*$)");
  // The changeset line's attributes.
  std::regex run_with = R(R"(.*runWith:([\w\$\{\}]+).*)");
  std::regex run_with_spool_file = R(R"(.*runWithSpoolFile:(.*).*)");
  std::regex rollback_split_statements = R(R"(.*rollbackSplitStatements:(\w+).*)");
  std::regex rollback_end_delimiter = R(R"(.*\brollbackEndDelimiter:(\S*).*)");
  std::regex logical_file_path = R(R"(.*logicalFilePath:(\S*).*)");
  std::regex run_on_change = R(R"(.*runOnChange:(\w+).*)");
  std::regex run_always = R(R"(.*runAlways:(\w+).*)");
  std::regex context = R(R"(.*context:(".*?"|\S*).*)");
  std::regex context_filter = R(R"(.*contextFilter:(".*?"|\S*).*)");
  std::regex labels = R(R"(.*labels:(".*?"|\S*).*)");
  std::regex run_in_transaction = R(R"(.*runInTransaction:(\w+).*)");
  std::regex ignore = R(R"(.*ignore:(\w*).*)");
  std::regex fail_on_error = R(R"(.*failOnError:(\w+).*)");
  std::regex dbms = R(R"(.*dbms:([^,][\w!,]+).*)");
  std::regex split_statements = R(R"(.*splitStatements:(\w+).*)");
  std::regex strip_comments = R(R"(.*stripComments:(\w+).*)");
  std::regex end_delimiter = R(R"(.*\bendDelimiter:(\S*).*)");
};

const Patterns& P() {
  static const Patterns* p = new Patterns();
  return *p;
}

// std::regex backtracks recursively: a line that could be a directive (it
// starts with '-' or '/' after blanks) is matched only up to this length.
constexpr size_t kMaxDirectiveLine = 16 << 10;

// Whether any of Liquibase's patterns could match the line: after blanks,
// "/*" and "liquibase", or dashes and blanks and one of the directives'
// words. Other lines are SQL without a regular expression run on them.
bool CouldBeDirective(std::string_view line) {
  size_t i = 0;
  auto blank = [&](size_t k) { return std::isspace(static_cast<unsigned char>(line[k])) != 0; };
  while (i < line.size() && blank(i)) ++i;
  if (i >= line.size()) return false;
  if (line[i] == '/') {
    if (line.substr(i, 2) != "/*") return false;
    for (i += 2; i < line.size() && blank(i);) ++i;
    return Lower(line.substr(i, 9)) == "liquibase";
  }
  if (line[i] != '-') return false;
  while (i < line.size() && (line[i] == '-' || blank(i))) ++i;
  const std::string word = Lower(line.substr(i, 13));
  for (std::string_view kw : {"liquibase", "property", "changeset", "rollback", "precondition",
                              "comment", "validchecksum", "ignore"})
    if (word.rfind(kw, 0) == 0) return true;
  return false;
}

bool Matches(const std::string& line, const std::regex& re, std::smatch* m = nullptr) {
  std::smatch local;
  return std::regex_match(line, m ? *m : local, re);
}

// parseString: group 1 when the pattern matches the line.
std::optional<std::string> Attr(const std::string& line, const std::regex& re) {
  std::smatch m;
  if (!std::regex_match(line, m, re)) return std::nullopt;
  return m[1].str();
}
// parseBoolean: Java's Boolean.parseBoolean of group 1 ("true" in any case),
// the default when the attribute is absent.
bool BoolAttr(const std::string& line, const std::regex& re, bool def) {
  auto v = Attr(line, re);
  return v ? Lower(*v) == "true" : def;
}

// ---- the checksum -----------------------------------------------------------

std::string Md5Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return HexBytes(md, len);
}

// ---- the statement cut --------------------------------------------------

// A token of Liquibase's SimpleSqlGrammar, as far as the cut depends on it:
// blanks, comments, quoted strings and identifiers (a doubled quote inside;
// a backslash escapes nothing: 'C:\' ends there for Liquibase 4.28), words,
// single symbols.
std::vector<std::string> Tokens(std::string_view s) {
  std::vector<std::string> out;
  auto word = [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '$' || c == '#' || c >= 0x80;
  };
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    const unsigned char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      while (i < s.size() &&
             (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f'))
        ++i;
    } else if (s.compare(i, 2, "--") == 0) {
      while (i < s.size() && s[i] != '\n' && s[i] != '\r') ++i;
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? s.size() : e + 2;
    } else if (c == '\'' || c == '"' || c == '`') {
      ++i;
      while (i < s.size()) {
        if (s[i] == static_cast<char>(c)) {
          ++i;
          if (i < s.size() && s[i] == static_cast<char>(c)) {
            ++i;  // a doubled quote
          } else {
            break;
          }
        } else {
          ++i;
        }
      }
    } else if (word(c)) {
      while (i < s.size() && word(static_cast<unsigned char>(s[i]))) ++i;
    } else {
      ++i;
    }
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

bool IEquals(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

// StringUtil.processMultiLineSQL (comments kept: they change nothing the
// server does): the statements Liquibase sends for `sql`. `other_delimiter`
// is set when a statement ended at anything but ";". Errors: an end
// delimiter cairn cannot read as Liquibase does.
StatusOr<std::vector<std::string>> LiquibaseStatements(std::string_view sql, bool split,
                                                       const std::optional<std::string>& end,
                                                       bool* other_delimiter) {
  std::vector<std::string> tokens = Tokens(sql);
  if (end) {  // mergeTokens: a delimiter such as "//" spans several tokens
    std::vector<std::string> merged, possible;
    for (const std::string& t : tokens) {
      if (possible.empty()) {
        if (end->rfind(t, 0) == 0)
          possible.push_back(t);
        else
          merged.push_back(t);
        continue;
      }
      std::string joined;
      for (const std::string& p : possible) joined += p;
      joined += t;
      if (*end == joined) {
        merged.push_back(joined);
        possible.clear();
      } else if (end->rfind(joined, 0) == 0) {
        possible.push_back(t);
      } else {
        merged.insert(merged.end(), possible.begin(), possible.end());
        merged.push_back(t);
        possible.clear();
      }
    }
    // Liquibase drops tokens still held as a possible delimiter at the end.
    tokens = std::move(merged);
  }
  std::optional<std::regex> end_re;
  if (end && end->size() > 1) {
    try {
      end_re = std::regex(R"([\s\n\r]*)" + Lower(*end), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return InvalidArgumentError("endDelimiter '" + *end +
                                  "' is a regular expression to Liquibase that cairn cannot read");
    }
  }
  auto is_delimiter = [&](const std::string& piece, const std::optional<std::string>& prev) {
    if (!end)
      return piece == ";" ||
             ((IEquals(piece, "go") || piece == "/") && (!prev || EndsWith(*prev, "\n")));
    if (end->size() == 1) {
      if (*end == "/" && prev && !EndsWith(*prev, "\n")) return false;
      return IEquals(piece, *end);
    }
    return IEquals(piece, *end) ||
           std::regex_match(Lower((prev ? *prev : std::string("null")) + piece), *end_re);
  };
  std::vector<std::string> out;
  std::string current;
  std::optional<std::string> previous;
  bool previous_delimiter = false;
  int in_clause = 0, block = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& piece = tokens[i];
    std::string next;
    for (size_t k = i + 1; k < tokens.size() && next.empty(); ++k) next = JTrim(tokens[k]);
    const bool tx_word =
        IEquals(next, "transaction") || IEquals(next, "trans") || IEquals(next, "tran");
    const bool begin = IEquals(piece, "BEGIN") && !tx_word && !IEquals(next, "dialog") &&
                       !IEquals(next, "conversation") && !IEquals(next, "distributed");
    if (begin) ++in_clause;
    if (IEquals(piece, "END") && in_clause > 0 && !tx_word) --in_clause;
    // The blocks as the server reads them: CASE ... END and IF / LOOP ...
    // END IF / END LOOP nest inside BEGIN ... END, while to Liquibase any
    // END closes its BEGIN.
    if (begin || IEquals(piece, "CASE")) {
      ++block;
    } else if (IEquals(piece, "END") && block > 0 && !tx_word && !IEquals(next, "IF") &&
               !IEquals(next, "LOOP") && !IEquals(next, "WHILE") && !IEquals(next, "REPEAT")) {
      --block;
    }
    if (in_clause == 0 && split && is_delimiter(piece, previous)) {
      if (block > 0)
        return InvalidArgumentError(
            "Liquibase ends a statement here inside a BEGIN ... END block (an END of a CASE, IF "
            "or LOOP closes the block for Liquibase), so it would run a broken statement; cairn "
            "refuses the changeset (splitStatements:false or endDelimiter tells Liquibase where "
            "statements end)");
      std::string_view t = JTrim(current);
      if (!t.empty()) out.emplace_back(t);
      if (piece != ";") *other_delimiter = true;
      current.clear();
      previous_delimiter = true;
    } else {
      const bool blank = JTrim(piece).empty();
      if ((!previous_delimiter || !blank) && (!current.empty() || !blank)) current += piece;
      previous_delimiter = false;
    }
    previous = piece;
  }
  std::string_view t = JTrim(current);
  if (!t.empty()) out.emplace_back(t);
  return out;
}

// ---- formatted SQL ----------------------------------------------------------

struct Attributes {
  bool split = true, split_set = false, rollback_split = true, rollback_split_set = false;
  bool run_in_transaction = true;
  std::optional<std::string> end_delimiter, rollback_end_delimiter;
};

// One changeset while and after its file is read.
struct ChangeSetText {
  LiquibaseChangeSet cs;
  int line = 0;                 // of its --changeset line
  std::string file;             // the path as opened
  std::string changeset_line;   // the --changeset line itself
  std::vector<JLine> body;      // its lines up to the next changeset; directives blanked
  std::string region;           // its lines as written, for cairn's checksum
  std::string sql;              // currentSequence: the non-directive lines
  std::string rollback;         // currentRollbackSequence
  int rollback_line = 0;        // the first --rollback line
  bool rollback_empty = false;  // "not required" / "empty"
  bool has_rollback = false;
  std::string comment;
  Attributes attrs;
  bool last_in_file = false;
  std::string physical;  // the file's include path (before any logicalFilePath)
};

// The changeset a rollback names: (path, author, id) among those read so
// far, this one included; null for none.
using FindChangeSet = std::function<const ChangeSetText*(
    const std::string& path, const std::string& author, const std::string& id)>;

class FormattedSqlReader {
 public:
  FormattedSqlReader(std::string path, std::string logical) : path_(std::move(path)) {
    logical_ = std::move(logical);
  }

  // Liquibase's parse loop over the file's lines.
  Status Read(const std::vector<JLine>& lines, std::vector<ChangeSetText>* out) {
    const Patterns& p = P();
    std::optional<std::string> changelog_logical;
    for (size_t i = 0; i < lines.size(); ++i) {
      const JLine& l = lines[i];
      const std::string& line = l.text;
      if (current_) current_->region += line + "\n";
      if (!CouldBeDirective(line)) {
        if (current_) AddSql(l);
        continue;
      }
      if (line.size() > kMaxDirectiveLine)
        return Error(l.number, "a directive-like line longer than 16 KiB; cairn refuses it");
      if (Matches(line, p.property))
        return Error(l.number,
                     "'--property': cairn does not substitute Liquibase changelog parameters; "
                     "refused rather than run the text unsubstituted");
      if (Matches(line, p.alt_property))
        return Malformed(l.number, "--property name=<property name> value=<property value>");
      if (Matches(line, p.first_line)) changelog_logical = Attr(line, p.logical_file_path);
      std::smatch m;
      if (Matches(line, p.ignore_lines, &m)) {
        const std::string what = m[1].str();
        if (what == "start") {
          for (++i; i < lines.size(); ++i) {
            if (current_) current_->region += lines[i].text + "\n";
            if (!CouldBeDirective(lines[i].text) || lines[i].text.size() > kMaxDirectiveLine)
              continue;
            std::smatch e;
            if (Matches(lines[i].text, p.ignore_lines, &e)) {
              if (e[1].str() == "end") break;
            } else if (Matches(lines[i].text, p.alt_ignore_lines_one)) {
              return Malformed(lines[i].number, "--ignoreLines:end");
            }
          }
          continue;
        }
        if (what.empty() || !std::all_of(what.begin(), what.end(), ::isdigit) || what.size() > 18)
          return Error(l.number, "Unknown ignoreLines syntax: \"" + what + "\" (Liquibase fails)");
        for (long long n = std::stoll(what); n > 0 && i + 1 < lines.size(); --n) {
          ++i;
          if (current_) current_->region += lines[i].text + "\n";
        }
        continue;
      }
      if (Matches(line, p.alt_ignore_lines_one) || Matches(line, p.alt_ignore))
        return Malformed(l.number, "--ignoreLines:<count|start>");
      if (Matches(line, p.change_set, &m)) {
        CAIRN_RETURN_IF_ERROR(StartChangeSet(l, m[1].str(), m[2].str(), changelog_logical, out));
        continue;
      }
      if (Matches(line, p.alt_change_set_one) || Matches(line, p.alt_change_set_no_info))
        return Malformed(l.number, "--changeset <authorname>:<changesetId>");
      if (current_) {
        CAIRN_RETURN_IF_ERROR(Directive(lines, &i));
      } else if (Matches(line, p.comment)) {
        return Error(l.number,
                     "a '--comment' line outside a changeset (Liquibase refuses it: "
                     "formatted SQL changelogs do not allow comment lines outside of changesets)");
      }
      // Other lines before the first changeset: Liquibase ignores them.
    }
    if (current_) out->push_back(std::move(*current_));
    current_.reset();
    return Status::Ok();
  }

 private:
  Status Error(int line, const std::string& msg) const {
    return InvalidArgumentError(path_ + ":" + std::to_string(line) + ": " + msg);
  }
  Status Malformed(int line, const std::string& expected) const {
    return Error(line, "unexpected formatting (Liquibase refuses the whole file; expected '" +
                           expected + "')");
  }

  void AddSql(const JLine& l) {
    current_->sql += l.text + "\n";
    current_->body.push_back(l);
  }
  void Blank(const JLine& l) { current_->body.push_back(JLine{"", l.number}); }

  Status StartChangeSet(const JLine& l, const std::string& author_group,
                        const std::string& id_group,
                        const std::optional<std::string>& changelog_logical,
                        std::vector<ChangeSetText>* out) {
    const Patterns& p = P();
    const std::string& line = l.text;
    if (current_) {
      // Read() added this line to the changeset before it: not its text.
      current_->region.resize(current_->region.size() - line.size() - 1);
      if (JTrim(current_->sql).empty())
        return Error(current_->line, "no SQL for changeset " + current_->cs.path +
                                         "::" + current_->cs.id + "::" + current_->cs.author +
                                         " (Liquibase refuses the file)");
      out->push_back(std::move(*current_));
    }
    // The author and id must be written "author:id", no blank after ':'.
    std::regex exact(
        R"(\s*--[\s]*changeset\s+)" + EscapeRegex(author_group + ":" + id_group) + ".*$",
        std::regex::ECMAScript | std::regex::icase);
    if (!std::regex_match(line, exact))
      return Malformed(l.number, "--changeset <authorname>:<changesetId>");
    ChangeSetText c;
    c.line = l.number;
    c.file = path_;
    c.physical = logical_;
    c.changeset_line = line;
    c.region = line + "\n";
    c.cs.id = StripEnclosingQuotes(id_group);
    c.cs.author = StripEnclosingQuotes(author_group);
    std::string bare;
    for (char ch : c.cs.id)
      if (ch != ':' && ch != ' ') bare.push_back(ch);
    if (bare.empty()) return Error(l.number, "the changeset id is empty (Liquibase refuses it)");
    std::optional<std::string> logical = Attr(line, p.logical_file_path);
    if (!logical || logical->empty()) logical = changelog_logical;
    c.cs.path = logical && !logical->empty() ? NormalizePath(*logical) : logical_;
    if (line.find("${") != std::string::npos)
      return Error(l.number,
                   "'${...}' is a Liquibase changelog parameter; cairn does not "
                   "substitute them and refuses the changeset");
    // What cairn cannot run as Liquibase would: refused, naming the attribute.
    auto refuse = [&](const std::string& what, const std::string& why) {
      return Error(l.number, "changeset " + c.cs.author + ":" + c.cs.id + ": " + what + ": " + why);
    };
    if (BoolAttr(line, p.run_always, false))
      return refuse("runAlways:true",
                    "cairn runs a migration once; refused rather than run it only once");
    if (BoolAttr(line, p.run_on_change, false))
      return refuse("runOnChange:true",
                    "cairn refuses a changed applied migration rather than run it again");
    if (!BoolAttr(line, p.fail_on_error, true))
      return refuse("failOnError:false", "cairn stops at a failing statement; refused");
    if (auto rw = Attr(line, p.run_with); rw && !rw->empty())
      return refuse("runWith:" + *rw, "cairn runs SQL through its own connection only");
    if (Attr(line, p.run_with_spool_file))
      return refuse("runWithSpoolFile", "cairn runs SQL through its own connection only");
    if (auto d = Attr(line, p.dbms)) {
      const std::string v = Lower(*d);
      if (v == "none")
        c.cs.ignored = true;
      else if (v != "all")
        return refuse("dbms:" + *d,
                      "cairn reads a folder the same way for every database; refused rather "
                      "than run the changeset on the wrong one");
    }
    if (auto ig = Attr(line, p.ignore); ig && Lower(*ig) == "true") c.cs.ignored = true;
    c.attrs.run_in_transaction = BoolAttr(line, p.run_in_transaction, true);
    c.attrs.split_set = Attr(line, p.split_statements).has_value();
    c.attrs.split = BoolAttr(line, p.split_statements, true);
    c.attrs.rollback_split_set = Attr(line, p.rollback_split_statements).has_value();
    c.attrs.rollback_split = BoolAttr(line, p.rollback_split_statements, true);
    c.attrs.end_delimiter = Attr(line, p.end_delimiter);
    c.attrs.rollback_end_delimiter = Attr(line, p.rollback_end_delimiter);
    for (const auto* d : {&c.attrs.end_delimiter, &c.attrs.rollback_end_delimiter})
      if (*d && (*d)->empty())
        return refuse("an empty end delimiter",
                      "Liquibase would take every blank as a delimiter; refused");
    current_ = std::move(c);
    return Status::Ok();
  }

  static std::string EscapeRegex(const std::string& s) {
    std::string out;
    for (char ch : s) {
      if (std::strchr(R"(\^$.|?*+()[]{}-/)", ch) != nullptr) out.push_back('\\');
      out.push_back(ch);
    }
    return out;
  }

  // configureChangeSet: a line inside a changeset.
  Status Directive(const std::vector<JLine>& lines, size_t* i) {
    const Patterns& p = P();
    const JLine& l = lines[*i];
    const std::string& line = l.text;
    std::smatch m;
    if (Matches(line, p.comment, &m)) {
      current_->comment = m[1].str();
    } else if (Matches(line, p.alt_comment_one) || Matches(line, p.alt_comment_plural)) {
      return Malformed(l.number, "--comment <comment>");
    } else if (Matches(line, p.valid_check_sum, &m)) {
      current_->cs.valid_checksums.push_back(m[1].str());
    } else if (Matches(line, p.alt_valid_check_sum_one)) {
      return Malformed(l.number, "--validChecksum <checksum>");
    } else if (Matches(line, p.rollback, &m)) {
      if (!current_->has_rollback) current_->rollback_line = l.number;
      current_->has_rollback = true;
      current_->rollback += m[1].str() + "\n";
    } else if (Matches(line, p.alt_rollback_one)) {
      return Malformed(l.number, "--rollback <rollback SQL>");
    } else if (Matches(line, p.rollback_multi_start)) {
      // Liquibase joins the block's lines without line breaks.
      if (!current_->has_rollback) current_->rollback_line = l.number + 1;
      current_->has_rollback = true;
      for (++*i;; ++*i) {
        if (*i >= lines.size())
          return Error(l.number, "'/* liquibase rollback' block not closed (Liquibase fails)");
        const std::string& b = lines[*i].text;
        current_->region += b + "\n";
        if (Matches(b, p.rollback_multi_end)) {
          std::smatch e;
          std::string before = b;
          if (std::regex_search(b, e, p.rollback_multi_end_split))
            before = b.substr(0, e.position(0));
          if (!JTrim(before).empty()) current_->rollback += before;
          break;
        }
        if (JTrim(b).substr(0, 2) == "--" && *i + 1 < lines.size() &&
            !Matches(lines[*i + 1].text, p.rollback_multi_end))
          return Error(lines[*i].number,
                       "Liquibase joins the lines of a '/* liquibase rollback' block without "
                       "line breaks, so this comment swallows the lines after it; cairn refuses "
                       "it (use --rollback lines)");
        current_->rollback += b;
      }
      Blank(l);
      return Status::Ok();
    } else if (Matches(line, p.preconditions)) {
      // The container alone (onFail, onError) checks nothing.
    } else if (Matches(line, p.alt_preconditions_one)) {
      return Malformed(l.number, "--preconditions <onFail>|<onError>|<onUpdate>");
    } else if (Matches(line, p.precondition, &m)) {
      const std::string name = m[1].str();
      if (name != "sql-check" && name != "table-exists" && name != "view-exists")
        return Error(l.number, "the '" + name +
                                   "' precondition type is not supported (Liquibase "
                                   "refuses the file)");
      return Error(l.number, "'--precondition-" + name +
                                 "': cairn does not evaluate Liquibase preconditions; refused "
                                 "rather than run the changeset unconditionally");
    } else if (Matches(line, p.alt_precondition_one)) {
      return Malformed(l.number, "--precondition-sql-check");
    } else if (Matches(line, p.invalid_empty_precondition, &m)) {
      return Error(l.number, "'" + std::string(JTrim(line)) +
                                 "' without its parameters (Liquibase refuses the file)");
    } else {
      AddSql(l);
      return Status::Ok();
    }
    Blank(l);
    return Status::Ok();
  }

  static std::string NormalizePath(std::string p) {
    std::replace(p.begin(), p.end(), '\\', '/');
    if (p.rfind("classpath:", 0) == 0) p = p.substr(10);
    while (!p.empty() && p[0] == '/') p.erase(0, 1);
    return p;
  }

  std::string path_, logical_;
  std::optional<ChangeSetText> current_;
};

// The migration cairn runs for a changeset, after Liquibase's cut of its
// SQL and rollback was checked against cairn's.
StatusOr<Migration> ToMigration(ChangeSetText& c, const FindChangeSet& find) {
  const bool last_in_file = c.last_in_file;
  const std::string where = c.file + ":" + std::to_string(c.line);
  const std::string who = "changeset " + c.cs.author + ":" + c.cs.id;
  auto error = [&](const std::string& msg) {
    return InvalidArgumentError(where + ": " + who + ": " + msg);
  };
  if (c.sql.find("${") != std::string::npos || c.rollback.find("${") != std::string::npos)
    return error(
        "'${...}' is a Liquibase changelog parameter; cairn does not substitute them "
        "and refuses the changeset");
  const std::string sql(JTrim(c.sql));
  c.cs.md5sum = LiquibaseCheckSum(sql);
  // At the end of a file a changeset ending in a line "/" ends its statements
  // there (Liquibase's isNotEndDelimiter).
  if (last_in_file && !c.attrs.end_delimiter && EndsWith(sql, "\n/"))
    c.attrs.end_delimiter = "\n/$";
  // The rollback: "not required" / "empty" is a rollback that does nothing.
  std::string rollback(JTrim(c.rollback));
  const std::string lower = Lower(rollback);
  if (c.has_rollback && !rollback.empty() &&
      (lower.rfind("not required", 0) == 0 || lower.rfind("empty", 0) == 0)) {
    rollback.clear();
    c.rollback_empty = true;
  } else if (lower.find("changesetid") != std::string::npos) {
    // The rollback runs another changeset's SQL, as that changeset runs it.
    std::string flat;
    for (char ch : c.rollback)
      if (ch != '\n' && ch != '\r') flat.push_back(ch);
    auto get = [&](const char* re) {
      std::smatch m;
      const std::regex r(re, std::regex::ECMAScript | std::regex::icase);
      return std::regex_match(flat, m, r) ? std::string(JTrim(m[1].str())) : std::string();
    };
    const std::string id = get(R"(.*changeSetId:(\S+).*)");
    const std::string author = get(R"(.*changesetAuthor:(\S+).*)");
    std::string path = get(R"(.*changesetPath:(\S+).*)");
    if (id.empty() || author.empty())
      return error(std::string("'") + (id.empty() ? "changesetId" : "changesetAuthor") +
                   "' not set in the rollback naming another changeset (Liquibase fails)");
    if (path.empty()) path = c.physical;
    const ChangeSetText* ref = find(path, author, id);
    if (ref == nullptr)
      return error("the rollback names changeset " + path + "::" + id + "::" + author +
                   ", which is not in the changelog before it (Liquibase fails)");
    rollback = std::string(JTrim(ref->sql));
    c.attrs.rollback_split_set = true;
    c.attrs.rollback_split = ref->attrs.split;
    c.attrs.rollback_end_delimiter = ref->attrs.end_delimiter;
  }
  const bool has_down = c.has_rollback && (c.rollback_empty || !rollback.empty());

  // Liquibase's statements of each section; each must be cut by cairn into
  // the same statements as cairn cuts the text it runs.
  struct Cut {
    std::vector<std::string> statements;
    bool other_delimiter = false;
  };
  Cut up, down;
  {
    auto s = LiquibaseStatements(sql, c.attrs.split, c.attrs.end_delimiter, &up.other_delimiter);
    if (!s.ok()) return error(s.status().message());
    up.statements = std::move(*s);
    auto r =
        LiquibaseStatements(rollback, c.attrs.rollback_split_set ? c.attrs.rollback_split : true,
                            c.attrs.rollback_end_delimiter, &down.other_delimiter);
    if (!r.ok()) return error(r.status().message());
    down.statements = std::move(*r);
  }
  // The text cairn parses: the changeset's own lines (directives blank) when
  // Liquibase cut only at ';', else Liquibase's statements one per
  // ";"-ended group; the rollback as Liquibase reads it.
  std::string synth = "-- cairn:up\n";
  const bool up_as_written = !up.other_delimiter;
  if (up_as_written) {
    // One line per file line from the --changeset line on, so that synth
    // line n is file line c.line + n - 1 (lines Liquibase skipped are blank).
    int next = c.line + 1;
    for (const JLine& l : c.body) {
      for (; next < l.number; ++next) synth += "\n";
      synth += l.text + "\n";
      next = l.number + 1;
    }
  } else {
    for (const std::string& s : up.statements) synth += s + "\n;\n";
  }
  const int up_synth_lines = static_cast<int>(std::count(synth.begin(), synth.end(), '\n'));
  if (has_down) {
    synth += "-- cairn:down\n";
    if (!down.other_delimiter) {
      synth += rollback + "\n";
    } else {
      for (const std::string& s : down.statements) synth += s + "\n;\n";
    }
  }
  for (const std::string_view text : {std::string_view(synth)}) {
    for (std::string_view rest = text; !rest.empty();) {
      size_t nl = rest.find('\n');
      std::string_view t = JTrim(rest.substr(0, nl));
      if (t.substr(0, 2) == "--" && JTrim(t.substr(2)).substr(0, 6) == "cairn:" &&
          t != "-- cairn:up" && t != "-- cairn:down")
        return error("'" + std::string(t) +
                     "' is a comment to Liquibase but a directive to cairn; cairn refuses the "
                     "ambiguity (remove it)");
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
  }
  const std::string synth_path = "\x01lb";
  auto parsed = ParseMigration(synth_path, "1_x.sql", synth);
  if (!parsed.ok()) {
    std::string msg = parsed.status().message();
    if (msg.rfind(synth_path + ":", 0) == 0) {
      std::string rest = msg.substr(synth_path.size() + 1);
      size_t colon = rest.find(':');
      int n = 0;
      if (colon != std::string::npos && colon > 0 &&
          std::all_of(rest.begin(), rest.begin() + colon, ::isdigit))
        n = std::stoi(rest.substr(0, colon));
      const bool in_up = n >= 2 && n <= up_synth_lines;
      const int file_line = in_up && up_as_written ? c.line + n - 1
                            : in_up                ? c.line
                                                   : c.rollback_line;
      msg = c.file + ":" + std::to_string(file_line) + ": " + who + ":" +
            (colon == std::string::npos || n == 0 ? rest : rest.substr(colon + 1));
    }
    return InvalidArgumentError(msg);
  }
  Migration m = std::move(*parsed);
  if (up_as_written) {
    const int delta = c.line - 1;
    m.up.first_line += delta;
    for (auto& cand : m.up.facts.outside_candidates) cand.first += delta;
  } else {
    m.up.first_line = c.line + 1;
  }
  if (m.down) m.down->first_line = c.rollback_line;
  m.no_transaction = !c.attrs.run_in_transaction;

  // Liquibase's statements, each cut by cairn, must be cairn's cut of the
  // section: then running cairn's statements in a transaction runs what
  // Liquibase runs. Outside one, each Liquibase statement must be one of
  // cairn's.
  auto check = [&](const Cut& cut, const Section* section, const char* which) -> Status {
    if (section == nullptr || !section->facts.known) return Status::Ok();
    auto hasher = source::MakeHasher(/*background=*/false);
    std::string bytes;
    int64_t count = 0;
    for (const std::string& s : cut.statements) {
      std::vector<db::SqlStatement> parts = db::SplitSqlStatements(s);
      if (m.no_transaction && parts.size() > 1)
        return error(std::string("runInTransaction:false, and Liquibase sends these ") +
                     std::to_string(parts.size()) + " statements of the " + which +
                     " section as one: cairn refuses to run them one by one outside a "
                     "transaction");
      for (const db::SqlStatement& part : parts) {
        source::AppendStatementBytes(part.text, &bytes);
        ++count;
      }
    }
    hasher->Update(bytes);
    if (count != section->facts.statements || hasher->Finish() != section->facts.statements_sha256)
      return error(std::string("Liquibase cuts the ") + which +
                   " SQL into statements differently from cairn (it does not know dollar "
                   "quotes, and ends a statement at ';' outside BEGIN ... END); it would run "
                   "different statements, so cairn refuses the changeset (splitStatements:false "
                   "or endDelimiter tells Liquibase where statements end)");
    return Status::Ok();
  };
  CAIRN_RETURN_IF_ERROR(check(up, &m.up, "up"));
  CAIRN_RETURN_IF_ERROR(check(down, m.down ? &*m.down : nullptr, "rollback"));

  m.id = c.cs.cairn_id;
  m.name = c.cs.id;
  m.description = c.comment.empty() ? c.cs.author + ":" + c.cs.id : c.comment;
  m.file = c.cs.path;
  m.path = c.file;
  m.checksum = CanonicalChecksum("-- liquibase changeset " + c.cs.path + "::" + c.cs.id +
                                 "::" + c.cs.author + "\n" + c.region);
  return m;
}

// ---- changelogs -----------------------------------------------------------

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir + (dir.back() == '/' ? "" : "/") + name;
}

// "a/./b/../c" -> "a/c"; Liquibase's paths are relative to the search path.
std::string Normalize(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsXml(std::string_view n) { return EndsWith(Lower(n), ".xml"); }
bool IsYaml(std::string_view n) {
  return EndsWith(Lower(n), ".yaml") || EndsWith(Lower(n), ".yml");
}

// An include: a path relative to the search path (--dir), and whether it is
// an includeAll folder.
struct Include {
  std::string path;
  bool all = false;
  int line = 0;
};

Status ParseIncludeAttrs(const std::string& from, int line, const std::string& kind,
                         const std::map<std::string, std::string>& attrs,
                         const std::string& from_logical, std::vector<Include>* out) {
  const std::string key = kind == "include" ? "file" : "path";
  auto it = attrs.find(key);
  if (it == attrs.end() || it->second.empty())
    return InvalidArgumentError(from + ":" + std::to_string(line) + ": " + kind + " without '" +
                                key + "' (Liquibase refuses it)");
  auto ignore = attrs.find("ignore");
  if (ignore != attrs.end() && Lower(ignore->second) == "true") return Status::Ok();
  std::string p = it->second;
  std::replace(p.begin(), p.end(), '\\', '/');
  if (p.rfind("classpath:", 0) == 0) p = p.substr(10);
  if (!p.empty() && p[0] == '/')
    return InvalidArgumentError(from + ":" + std::to_string(line) + ": " + kind + " '" + p +
                                "' is an absolute path; cairn reads paths relative to --dir");
  auto rel = attrs.find("relativeToChangelogFile");
  if (rel != attrs.end() && Lower(rel->second) == "true") p = Join(DirName(from_logical), p);
  for (const auto& [name, value] : attrs) {
    if (name == key || name == "relativeToChangelogFile" || name == "ignore" || name == "context" ||
        name == "contextFilter" || name == "labels" || name == "errorIfMissing" ||
        name == "errorIfMissingOrEmpty")
      continue;
    return InvalidArgumentError(from + ":" + std::to_string(line) + ": " + kind + " attribute '" +
                                name + "': cairn does not read it; refused");
  }
  out->push_back(Include{Normalize(p), kind == "includeAll", line});
  return Status::Ok();
}

StatusOr<std::vector<Include>> ReadXmlChangelog(const std::string& path,
                                                const std::string& logical) {
  // The first error libxml2 reports (its last one is often a consequence).
  struct FirstError {
    int line = 0;
    std::string message;
  } first;
  xmlSetStructuredErrorFunc(&first, [](void* ctx, xmlErrorPtr e) {
    auto* f = static_cast<FirstError*>(ctx);
    if (f->message.empty() && e != nullptr && e->message != nullptr) {
      f->line = e->line;
      f->message = e->message;
    }
  });
  xmlDocPtr doc = xmlReadFile(path.c_str(), nullptr, XML_PARSE_NONET);
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  if (doc == nullptr) {
    std::string msg = first.message.empty() ? "cannot parse" : first.message;
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return InvalidArgumentError(path + ":" + std::to_string(first.line) +
                                ": not well-formed XML: " + msg);
  }
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> guard(doc, xmlFreeDoc);
  xmlNodePtr root = xmlDocGetRootElement(doc);
  if (root == nullptr ||
      std::string(reinterpret_cast<const char*>(root->name)) != "databaseChangeLog")
    return InvalidArgumentError(path + ": not a Liquibase changelog (no databaseChangeLog root)");
  std::vector<Include> out;
  for (xmlNodePtr n = root->children; n != nullptr; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    const std::string name = reinterpret_cast<const char*>(n->name);
    const int line = static_cast<int>(xmlGetLineNo(n));
    if (name != "include" && name != "includeAll")
      return InvalidArgumentError(
          path + ":" + std::to_string(line) + ": <" + name +
          ">: cairn reads master changelogs of include and includeAll only (changesets in "
          "formatted SQL files); refused");
    std::map<std::string, std::string> attrs;
    for (xmlAttrPtr a = n->properties; a != nullptr; a = a->next) {
      xmlChar* v = xmlNodeListGetString(doc, a->children, 1);
      attrs[reinterpret_cast<const char*>(a->name)] = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
    }
    CAIRN_RETURN_IF_ERROR(ParseIncludeAttrs(path, line, name, attrs, logical, &out));
  }
  return out;
}

StatusOr<std::vector<Include>> ReadYamlChangelog(const std::string& path,
                                                 const std::string& logical) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileAt(AT_FDCWD, path, path));
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  const bool loaded = yaml_parser_load(&parser, &doc) != 0;
  if (!loaded) {
    Status s = InvalidArgumentError(
        path + ":" + std::to_string(parser.problem_mark.line + 1) +
        ": not valid YAML: " + (parser.problem ? parser.problem : "cannot parse"));
    yaml_parser_delete(&parser);
    return s;
  }
  yaml_parser_delete(&parser);
  std::unique_ptr<yaml_document_t, void (*)(yaml_document_t*)> guard(&doc, yaml_document_delete);
  auto scalar = [&](yaml_node_t* n) -> std::optional<std::string> {
    if (n == nullptr || n->type != YAML_SCALAR_NODE) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(n->data.scalar.value), n->data.scalar.length);
  };
  auto node = [&](int id) { return yaml_document_get_node(&doc, id); };
  auto line = [](yaml_node_t* n) { return static_cast<int>(n->start_mark.line) + 1; };
  yaml_node_t* root = yaml_document_get_root_node(&doc);
  yaml_node_t* list = nullptr;
  if (root != nullptr && root->type == YAML_MAPPING_NODE)
    for (auto* p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; ++p)
      if (scalar(node(p->key)) == "databaseChangeLog") list = node(p->value);
  if (list == nullptr)
    return InvalidArgumentError(path + ": not a Liquibase changelog (no databaseChangeLog key)");
  std::vector<Include> out;
  if (list->type != YAML_SEQUENCE_NODE)
    return InvalidArgumentError(path + ":" + std::to_string(line(list)) +
                                ": databaseChangeLog is not a list");
  for (auto* item = list->data.sequence.items.start; item < list->data.sequence.items.top; ++item) {
    yaml_node_t* entry = node(*item);
    if (entry->type != YAML_MAPPING_NODE ||
        entry->data.mapping.pairs.top - entry->data.mapping.pairs.start != 1)
      return InvalidArgumentError(path + ":" + std::to_string(line(entry)) +
                                  ": each databaseChangeLog entry must be one key");
    auto* pair = entry->data.mapping.pairs.start;
    const std::string kind = scalar(node(pair->key)).value_or("");
    yaml_node_t* body = node(pair->value);
    if (kind != "include" && kind != "includeAll")
      return InvalidArgumentError(
          path + ":" + std::to_string(line(entry)) + ": '" + kind +
          "': cairn reads master changelogs of include and includeAll only (changesets in "
          "formatted SQL files); refused");
    std::map<std::string, std::string> attrs;
    if (body->type != YAML_MAPPING_NODE)
      return InvalidArgumentError(path + ":" + std::to_string(line(body)) + ": " + kind +
                                  " is not a mapping");
    for (auto* p = body->data.mapping.pairs.start; p < body->data.mapping.pairs.top; ++p) {
      auto k = scalar(node(p->key));
      auto v = scalar(node(p->value));
      if (!k || !v)
        return InvalidArgumentError(path + ":" + std::to_string(line(body)) + ": " + kind +
                                    ": expected key: value pairs");
      attrs[*k] = *v;
    }
    CAIRN_RETURN_IF_ERROR(ParseIncludeAttrs(path, line(entry), kind, attrs, logical, &out));
  }
  return out;
}

// Every file under `dir` (recursively), as paths relative to it, sorted as
// Liquibase's includeAll sorts them (by the whole path).
void ListAll(const std::string& root, const std::string& rel, std::vector<std::string>* out) {
  DIR* d = ::opendir(Join(root, rel).c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    names.push_back(n);
  }
  ::closedir(d);
  for (const std::string& n : names) {
    const std::string r = Join(rel, n);
    if (IsDir(Join(root, r)))
      ListAll(root, r, out);
    else
      out->push_back(r);
  }
}

class ChangelogWalker {
 public:
  explicit ChangelogWalker(std::string dir) : dir_(std::move(dir)) {}

  // A changelog file by its path relative to --dir.
  Status Walk(const std::string& logical, int depth) {
    const std::string real = Join(dir_, logical);
    if (depth > 32)
      return InvalidArgumentError(real + ": includes nested more than 32 deep (a cycle?)");
    if (!IsFile(real)) return InvalidArgumentError(real + ": included changelog does not exist");
    if (IsXml(logical) || IsYaml(logical)) {
      if (!active_.insert(logical).second)
        return InvalidArgumentError(real + ": includes itself (a cycle)");
      auto includes =
          IsXml(logical) ? ReadXmlChangelog(real, logical) : ReadYamlChangelog(real, logical);
      if (!includes.ok()) return includes.status();
      for (const Include& inc : *includes) {
        if (!inc.all) {
          CAIRN_RETURN_IF_ERROR(Walk(inc.path, depth + 1));
          continue;
        }
        std::vector<std::string> files;
        if (!IsDir(Join(dir_, inc.path)))
          return InvalidArgumentError(real + ":" + std::to_string(inc.line) + ": includeAll '" +
                                      inc.path + "' is not a directory (Liquibase fails)");
        ListAll(Join(dir_, inc.path), "", &files);
        std::sort(files.begin(), files.end());
        int n = 0;
        for (const std::string& f : files) {
          if (!EndsWith(Lower(f), ".sql") && !IsXml(f) && !IsYaml(f)) continue;
          ++n;
          CAIRN_RETURN_IF_ERROR(Walk(Join(inc.path, f), depth + 1));
        }
        if (n == 0)
          return InvalidArgumentError(real + ":" + std::to_string(inc.line) + ": includeAll '" +
                                      inc.path + "' holds no changelog (Liquibase fails)");
      }
      active_.erase(logical);
      return Status::Ok();
    }
    if (EndsWith(Lower(logical), ".json"))
      return InvalidArgumentError(real + ": a JSON changelog; cairn reads formatted SQL only");
    if (!EndsWith(Lower(logical), ".sql"))
      return InvalidArgumentError(real + ": not a changelog cairn reads (.sql, .xml, .yaml)");
    return ReadSql(logical, real);
  }

  // Top-level *.sql files in name order (no master changelog).
  Status WalkSqlFiles(const std::vector<std::string>& names) {
    for (const std::string& n : names) {
      CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileAt(AT_FDCWD, Join(dir_, n), Join(dir_, n)));
      CAIRN_ASSIGN_OR_RETURN(std::vector<JLine> lines, JavaLines(Join(dir_, n), text));
      if (!FormattedHeader(lines))
        return InvalidArgumentError(Join(dir_, n) +
                                    ": not a Liquibase formatted SQL changelog (its first line "
                                    "must be '--liquibase formatted sql')");
      CAIRN_RETURN_IF_ERROR(ReadSql(n, Join(dir_, n)));
    }
    return Status::Ok();
  }

  std::vector<ChangeSetText>& changesets() { return changesets_; }

 private:
  // Liquibase's supports(): the first line that is not blank is the header.
  static bool FormattedHeader(const std::vector<JLine>& lines) {
    for (const JLine& l : lines)
      if (!JTrim(l.text).empty()) return Matches(l.text, P().first_line);
    return false;
  }

  Status ReadSql(const std::string& logical, const std::string& real) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadFileAt(AT_FDCWD, real, real));
    CAIRN_ASSIGN_OR_RETURN(std::vector<JLine> lines, JavaLines(real, text));
    const size_t first = changesets_.size();
    if (FormattedHeader(lines)) {
      FormattedSqlReader reader(real, logical);
      CAIRN_RETURN_IF_ERROR(reader.Read(lines, &changesets_));
    } else {
      // Liquibase runs a plain .sql file as one changeset "raw" by "includeAll".
      bool any = false;
      for (const JLine& l : lines) any = any || !JTrim(l.text).empty();
      if (!any) return InvalidArgumentError(real + ": an empty changelog file");
      ChangeSetText c;
      c.cs.id = "raw";
      c.cs.author = "includeAll";
      c.cs.path = logical;
      c.file = real;
      c.line = 0;
      for (const JLine& l : lines) {
        c.sql += l.text + "\n";
        c.body.push_back(l);
        c.region += l.text + "\n";
      }
      changesets_.push_back(std::move(c));
    }
    for (size_t i = first; i < changesets_.size(); ++i)
      changesets_[i].last_in_file = i + 1 == changesets_.size();
    return Status::Ok();
  }

  std::string dir_;
  std::set<std::string> active_;
  std::vector<ChangeSetText> changesets_;
};

}  // namespace
std::string LiquibaseCheckSum(std::string_view sql) {
  // AbstractSQLChange.generateCheckSum (version 9): MD5 of the SQL's UTF-8
  // bytes without ' ', '\t', '\n' and '\r'; ChangeSet.generateCheckSum: MD5
  // of each change's "9:<md5>" followed by ":".
  std::string compact;
  compact.reserve(sql.size());
  for (char c : sql)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') compact.push_back(c);
  return "9:" + Md5Hex("9:" + Md5Hex(compact) + ":");
}

StatusOr<std::vector<std::string>> LiquibaseStatementsOf(
    std::string_view sql, bool split_statements, const std::optional<std::string>& end_delimiter) {
  bool other = false;
  return LiquibaseStatements(sql, split_statements, end_delimiter, &other);
}

bool IsLiquibaseHeader(std::string_view line) {
  if (!CouldBeDirective(line) || line.size() > kMaxDirectiveLine) return false;
  return Matches(std::string(line), P().first_line);
}

bool IsLiquibaseChangelogFile(const std::string& path) {
  if (!IsXml(path) && !IsYaml(path)) return false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string buf(4096, '\0');
  ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if (n <= 0) return false;
  buf.resize(static_cast<size_t>(n));
  return buf.find("databaseChangeLog") != std::string::npos;
}

StatusOr<std::vector<LiquibaseChangeSet>> ReadLiquibase(const std::string& dir,
                                                        std::vector<Migration>* migrations) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return InvalidArgumentError("migrations directory '" + dir + "': cannot open");
  std::vector<std::string> masters, sql_files;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n.empty() || n[0] == '.' || !IsFile(Join(dir, n))) continue;
    if (IsLiquibaseChangelogFile(Join(dir, n))) masters.push_back(n);
    if (EndsWith(Lower(n), ".sql")) sql_files.push_back(n);
  }
  ::closedir(d);
  std::sort(masters.begin(), masters.end());
  std::sort(sql_files.begin(), sql_files.end());
  ChangelogWalker walker(dir);
  if (masters.size() > 1) {
    std::vector<std::string> named;
    for (const std::string& m : masters)
      if (Lower(m).find("master") != std::string::npos) named.push_back(m);
    if (named.size() != 1) {
      std::string list;
      for (const std::string& m : masters) list += (list.empty() ? "" : ", ") + m;
      return InvalidArgumentError(dir + ": " + std::to_string(masters.size()) +
                                  " Liquibase changelogs (" + list +
                                  "); cairn takes the one whose name holds 'master' as the "
                                  "master changelog, and none or several do");
    }
    masters = named;
  }
  if (!masters.empty()) {
    CAIRN_RETURN_IF_ERROR(walker.Walk(masters[0], 0));
  } else {
    if (sql_files.empty())
      return InvalidArgumentError(dir +
                                  ": no Liquibase changelog (an XML or YAML master "
                                  "changelog, or formatted SQL files)");
    CAIRN_RETURN_IF_ERROR(walker.WalkSqlFiles(sql_files));
  }
  std::vector<ChangeSetText>& all = walker.changesets();
  std::vector<LiquibaseChangeSet> out;
  std::map<std::string, const ChangeSetText*> seen;
  for (size_t i = 0; i < all.size(); ++i) {
    ChangeSetText& c = all[i];
    c.cs.cairn_id = std::to_string(i + 1);
    const std::string key = c.cs.path + "::" + c.cs.id + "::" + c.cs.author;
    auto [it, fresh] = seen.emplace(key, &c);
    if (!fresh)
      return InvalidArgumentError(c.file + ":" + std::to_string(c.line) + ": changeset " + key +
                                  " is also at " + it->second->file + ":" +
                                  std::to_string(it->second->line) +
                                  " (Liquibase refuses duplicate changeset identifiers)");
    if (c.cs.ignored) {
      c.cs.md5sum = LiquibaseCheckSum(JTrim(c.sql));
    } else {
      auto find = [&](const std::string& path, const std::string& author,
                      const std::string& id) -> const ChangeSetText* {
        for (size_t k = 0; k <= i; ++k)
          if (all[k].cs.path == path && all[k].cs.author == author && all[k].cs.id == id)
            return &all[k];
        return nullptr;
      };
      CAIRN_ASSIGN_OR_RETURN(Migration m, ToMigration(c, find));
      if (migrations) migrations->push_back(std::move(m));
    }
    out.push_back(c.cs);
  }
  return out;
}

std::string LiquibaseTable(db::Connection& conn) {
  // Liquibase creates it unquoted: upper case on SQLite, folded to lower
  // case by PostgreSQL.
  return conn.backend() == db::Backend::kPostgres ? "databasechangelog" : "DATABASECHANGELOG";
}

StatusOr<std::vector<LiquibaseApplied>> ReadLiquibaseHistory(db::Connection& conn,
                                                             const std::string& dir) {
  auto refuse = [](const std::string& what) {
    return FailedPreconditionError("adopt refused: " + what + "; nothing was written")
        .WithKind(kAdoptRefused);
  };
  CAIRN_ASSIGN_OR_RETURN(std::vector<LiquibaseChangeSet> changesets, ReadLiquibase(dir, nullptr));
  CAIRN_ASSIGN_OR_RETURN(
      auto rows, conn.Query("SELECT id, author, filename, CAST(dateexecuted AS TEXT), exectype, "
                            "md5sum FROM " +
                            db::QuoteIdentifier(LiquibaseTable(conn)) +
                            " ORDER BY orderexecuted, dateexecuted"));
  std::vector<LiquibaseApplied> out;
  for (const db::Row& r : rows) {
    const std::string id = r[0].AsText(), author = r[1].AsText();
    std::string filename = r[2].AsText();
    std::replace(filename.begin(), filename.end(), '\\', '/');
    if (filename.rfind("classpath:", 0) == 0) filename = filename.substr(10);
    while (!filename.empty() && filename[0] == '/') filename.erase(0, 1);
    const std::string name = filename + "::" + id + "::" + author;
    // The row's changeset: the same id, author and path, or a path the row's
    // FILENAME ends with (Liquibase ran from a folder above --dir).
    const LiquibaseChangeSet* match = nullptr;
    for (const LiquibaseChangeSet& c : changesets) {
      if (c.id != id || c.author != author) continue;
      if (c.path == filename) {
        match = &c;
        break;
      }
      if (match == nullptr && EndsWith(filename, "/" + c.path)) match = &c;
    }
    if (match == nullptr)
      return refuse("DATABASECHANGELOG records changeset " + name + " but no changelog in " + dir +
                    " has it");
    const std::string exectype = r[4].AsText();
    if (exectype != "EXECUTED" && exectype != "MARK_RAN" && exectype != "RERAN")
      return refuse("DATABASECHANGELOG records changeset " + name + " as " + exectype +
                    "; cairn adopts EXECUTED, RERAN and MARK_RAN rows only");
    const std::string md5 = r[5].is_null() ? "" : r[5].AsText();
    if (md5.rfind("9:", 0) == 0 && md5 != match->md5sum) {
      bool valid = false;
      for (const std::string& v : match->valid_checksums)
        valid = valid || JTrim(v) == md5 || Lower(JTrim(v)) == "any" || Lower(JTrim(v)) == "1:any";
      if (!valid)
        return refuse("changeset " + name + " changed since Liquibase ran it (MD5SUM " + md5 +
                      ", now " + match->md5sum +
                      "; Liquibase's validation would fail too): restore it, or list the old "
                      "checksum in a --validCheckSum line");
    }
    if (match->ignored) continue;
    out.push_back(
        LiquibaseApplied{match->cairn_id, r[3].AsText(), md5.empty() ? "" : "liquibase:" + md5});
  }
  return out;
}

}  // namespace cairn::runner::internal
