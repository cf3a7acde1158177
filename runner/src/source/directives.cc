#include "source/directives.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "cairn/db/sql_splitter.h"
#include "source/section_text.h"

namespace cairn::runner {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool Has(const std::vector<std::string>& words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

// The statement kinds PostgreSQL (or SQLite, for VACUUM) refuses inside a
// transaction block; empty when `words` is none of them.
std::string RefusedInTransaction(const std::vector<std::string>& words, db::Backend backend,
                                 int server_version) {
  if (words.empty()) return "";
  const std::string& w0 = words[0];
  if (w0 == "VACUUM") return "VACUUM";
  if (backend != db::Backend::kPostgres) return "";
  const std::string w1 = words.size() > 1 ? words[1] : "";
  if ((w0 == "CREATE" || w0 == "DROP") && Has(words, "INDEX") && Has(words, "CONCURRENTLY"))
    return w0 + " INDEX CONCURRENTLY";
  if (w0 == "REINDEX" && Has(words, "CONCURRENTLY")) return "REINDEX CONCURRENTLY";
  if (w0 == "ALTER" && w1 == "TABLE" && Has(words, "DETACH") && Has(words, "PARTITION") &&
      Has(words, "CONCURRENTLY"))
    return "ALTER TABLE ... DETACH PARTITION CONCURRENTLY";
  if ((w0 == "CREATE" || w0 == "DROP") && (w1 == "DATABASE" || w1 == "TABLESPACE"))
    return w0 + " " + w1;
  if (w0 == "ALTER" && w1 == "SYSTEM") return "ALTER SYSTEM";
  if (w0 == "REINDEX" && (w1 == "DATABASE" || w1 == "SYSTEM")) return "REINDEX " + w1;
  // Before PostgreSQL 12, ALTER TYPE ... ADD VALUE could not run in a transaction.
  if (w0 == "ALTER" && w1 == "TYPE" && Has(words, "ADD") && Has(words, "VALUE") &&
      server_version > 0 && server_version < 120000)
    return "ALTER TYPE ... ADD VALUE (PostgreSQL before 12)";
  return "";
}

}  // namespace

StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::string_view t = Trim(text);
  auto bad = [&]() {
    return InvalidArgumentError("invalid duration '" + std::string(text) +
                                "' (expected e.g. 500ms, 5s, 2m, 1h)");
  };
  int64_t n = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), n);
  if (r.ec != std::errc() || r.ptr == t.data() || n < 0) return bad();
  std::string_view unit(r.ptr, static_cast<size_t>(t.data() + t.size() - r.ptr));
  int64_t ms_per = 0;
  if (unit == "ms") ms_per = 1;
  if (unit == "s" || unit.empty()) ms_per = 1000;
  if (unit == "m" || unit == "min") ms_per = 60'000;
  if (unit == "h") ms_per = 3'600'000;
  if (ms_per == 0 || n > INT64_MAX / ms_per / 1000) return bad();
  return std::chrono::milliseconds(n * ms_per);
}

std::optional<Status> ParseOptionDirective(std::string_view line, bool in_header, Migration* m) {
  line = Trim(line);
  if (line.substr(0, 2) != "--") return std::nullopt;
  line = Trim(line.substr(2));
  if (line.substr(0, 6) != "cairn:") return std::nullopt;
  line.remove_prefix(6);
  const size_t sp = line.find_first_of(" \t");
  const std::string_view name = line.substr(0, sp);
  const std::string_view arg = sp == std::string_view::npos ? "" : Trim(line.substr(sp));
  if (name != "no-transaction" && name != "lock-timeout" && name != "statement-timeout" &&
      name != "lock-retries")
    return std::nullopt;
  const std::string directive = "'-- cairn:" + std::string(name) + "'";
  if (!in_header)
    return InvalidArgumentError(directive +
                                " must come before '-- cairn:up' (it applies to "
                                "the whole file)");
  if (name == "no-transaction") {
    if (!arg.empty()) return InvalidArgumentError(directive + " takes no argument");
    m->no_transaction = true;
    return Status::Ok();
  }
  if (name == "lock-retries") {
    int n = -1;
    auto r = std::from_chars(arg.data(), arg.data() + arg.size(), n);
    if (r.ec != std::errc() || r.ptr != arg.data() + arg.size() || n < 0 || n > 100)
      return InvalidArgumentError(directive + " needs a count from 0 to 100, got '" +
                                  std::string(arg) + "'");
    m->lock_retries = n;
    return Status::Ok();
  }
  auto d = ParseDuration(arg);
  if (!d.ok()) return d.status().Annotate(directive);
  if (d->count() == 0) return InvalidArgumentError(directive + " must be longer than 0");
  (name == "lock-timeout" ? m->lock_timeout : m->statement_timeout) = *d;
  return Status::Ok();
}

std::string NoTransactionReason(const Migration& m, const Section& section, db::Backend backend,
                                int server_version) {
  if (m.no_transaction) return "'-- cairn:no-transaction'";
  if (section.facts.known) {  // what the parse found
    for (const auto& [line, words] : section.facts.outside_candidates) {
      std::string kind = RefusedInTransaction(words, backend, server_version);
      if (!kind.empty()) return kind + " at line " + std::to_string(line);
    }
    return "";
  }
  std::string reason;
  // A read error surfaces again, with its message, when the section runs.
  (void)source::ForEachStatement(m, section, [&](const db::SqlStatement& st) {
    std::string kind = RefusedInTransaction(SqlWords(st.text), backend, server_version);
    if (kind.empty()) return true;
    reason = kind + " at line " + std::to_string(st.line);
    return false;
  });
  return reason;
}

}  // namespace cairn::runner
