// The `-- cairn:batch` directive of migration files (docs/data-migrations.md).
#include <cctype>
#include <string>

#include "cairn/db/sql_splitter.h"
#include "cairn/runner/migration.h"

namespace cairn::runner {
namespace {

Status At(std::string_view path, int line, const std::string& what) {
  return InvalidArgumentError(std::string(path) + ":" + std::to_string(line) + ": " + what);
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// Replaces the placeholders :after and :upto outside quotes and comments by
// $1 and $2. Sets *after / *upto when seen.
std::string BindPlaceholders(std::string_view s, bool* after, bool* upto) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  auto copy_to = [&](std::string_view close) {
    size_t e = s.find(close, i);
    e = e == std::string_view::npos ? s.size() : e + close.size();
    out.append(s.substr(i, e - i));
    i = e;
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\'' || c == '"') {
      out.push_back(c);
      ++i;
      copy_to(std::string_view(&c, 1));
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      copy_to("\n");
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      copy_to("*/");
    } else if (c == ':' && i + 1 < s.size() && s[i + 1] == ':') {
      out.append("::");  // a PostgreSQL cast, not a placeholder
      i += 2;
    } else if (c == ':') {
      size_t e = i + 1;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
      std::string_view word = s.substr(i + 1, e - i - 1);
      if (word == "after") {
        out.append("$1");
        *after = true;
      } else if (word == "upto") {
        out.append("$2");
        *upto = true;
      } else {
        out.append(s.substr(i, e - i));
      }
      i = e;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace

StatusOr<BatchSpec> ParseBatchDirective(std::string_view path, int line, std::string_view options) {
  BatchSpec spec;
  spec.line = line;
  size_t i = 0;
  while (i < options.size()) {
    while (i < options.size() && (options[i] == ' ' || options[i] == '\t')) ++i;
    if (i >= options.size()) break;
    size_t e = i;
    while (e < options.size() && options[e] != ' ' && options[e] != '\t') ++e;
    std::string_view word = options.substr(i, e - i);
    i = e;
    size_t eq = word.find('=');
    if (eq == std::string_view::npos)
      return At(path, line, "cairn:batch option '" + std::string(word) + "' is not name=value");
    std::string_view name = word.substr(0, eq), value = word.substr(eq + 1);
    if (name == "table" || name == "key") {
      if (!IsIdentifier(value))
        return At(path, line,
                  "cairn:batch " + std::string(name) + "='" + std::string(value) +
                      "' is not a plain identifier (letters, digits, '_')");
      (name == "table" ? spec.table : spec.key) = std::string(value);
    } else if (name == "size") {
      int64_t n = 0;
      bool digits = !value.empty() && value.size() <= 7;
      for (char c : value) {
        digits = digits && c >= '0' && c <= '9';
        if (digits) n = n * 10 + (c - '0');
      }
      if (!digits || n < 1 || n > 1000000)
        return At(path, line, "cairn:batch size='" + std::string(value) + "' must be 1 to 1000000");
      spec.size = n;
    } else {
      return At(path, line,
                "unknown cairn:batch option '" + std::string(name) +
                    "' (expected table=, key= and optionally size=)");
    }
  }
  if (spec.table.empty()) return At(path, line, "cairn:batch needs table=NAME");
  if (spec.key.empty()) return At(path, line, "cairn:batch needs key=COLUMN");
  return spec;
}

Status FinishBatchSection(std::string_view path, Section* section) {
  BatchSpec& spec = *section->batch;
  std::vector<db::SqlStatement> statements = db::SplitSqlStatements(section->sql);
  if (statements.empty()) return At(path, spec.line, "cairn:batch section has no statement");
  if (statements.size() > 1) {
    const int line = section->first_line + static_cast<int>(statements[1].line) - 1;
    return At(path, line,
              "a batched section holds exactly one statement; put other statements in a "
              "migration of their own");
  }
  bool after = false, upto = false;
  spec.bound_sql = BindPlaceholders(statements[0].text, &after, &upto);
  if (!after || !upto)
    return At(path, spec.line,
              std::string("the batched statement must use ") + (after ? "" : ":after") +
                  (!after && !upto ? " and " : "") + (upto ? "" : ":upto") + " (e.g. WHERE " +
                  spec.key + " > :after AND " + spec.key + " <= :upto)");
  return Status::Ok();
}

}  // namespace cairn::runner
