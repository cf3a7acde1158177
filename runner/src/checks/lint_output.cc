// Lint's output formats (docs/lint.md, "Output"): the text line, SARIF 2.1.0
// for code-scanning services, GitHub Actions workflow commands; and the
// table sizes read from a PostgreSQL target's catalog.
#include <cctype>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cairn/db/database.h"
#include "cairn/runner/lint.h"

namespace cairn::runner {
namespace {

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// The message with what the catalog said about a large table.
std::string FullMessage(const LintFinding& f) {
  if (!f.large_table) return f.message;
  return f.message + " [large table " + f.table + ": ~" + std::to_string(f.table_rows) + " rows, " +
         HumanBytes(f.table_bytes) + "]";
}

// RFC 3986: everything but unreserved characters and '/' percent-encoded.
std::string UriPath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string SarifLevel(std::string_view severity) {
  if (severity == "error") return "error";
  if (severity == "warning") return "warning";
  return "note";
}

// As @actions/core's escapeData and escapeProperty.
std::string EscapeGithub(std::string_view s, bool property) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else if (property && c == ':')
      out += "%3A";
    else if (property && c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string LintTextLine(const LintFinding& f) {
  return f.file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " + f.rule +
         ": " + FullMessage(f);
}

std::string LintSarif(const LintResult& result, std::string_view version) {
  using json = nlohmann::json;
  json rules = json::array();
  std::map<std::string_view, size_t> index;
  for (const LintRule& r : LintRules()) {
    index[r.id] = rules.size();
    json rule = {{"id", r.id},
                 {"shortDescription", {{"text", r.summary}}},
                 {"help", {{"text", "docs/lint.md, rule " + std::string(r.id)}}},
                 {"defaultConfiguration",
                  {{"level", SarifLevel(r.severity)}, {"enabled", r.severity != "hint"}}}};
    if (!r.squawk.empty()) rule["properties"] = {{"squawk", r.squawk}};
    rules.push_back(std::move(rule));
  }
  json results = json::array();
  for (const LintFinding& f : result.findings) {
    const bool absolute = !f.file.empty() && f.file.front() == '/';
    json res = {
        {"ruleId", f.rule},
        {"level", SarifLevel(f.severity)},
        {"message", {{"text", FullMessage(f)}}},
        {"locations",
         json::array({{{"physicalLocation",
                        {{"artifactLocation",
                          {{"uri", absolute ? "file://" + UriPath(f.file) : UriPath(f.file)}}},
                         {"region", {{"startLine", f.line}, {"startColumn", f.column}}}}}}})}};
    if (auto it = index.find(f.rule); it != index.end()) res["ruleIndex"] = it->second;
    if (!f.table.empty()) {
      json props = {{"table", f.table}};
      if (f.table_rows >= 0) props["tableRows"] = f.table_rows;
      if (f.table_bytes >= 0) props["tableBytes"] = f.table_bytes;
      props["largeTable"] = f.large_table;
      res["properties"] = std::move(props);
    }
    results.push_back(std::move(res));
  }
  json sarif = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       json::array(
           {{{"tool",
              {{"driver", {{"name", "cairn"}, {"version", version}, {"rules", std::move(rules)}}}}},
             {"columnKind", "unicodeCodePoints"},
             {"results", std::move(results)}}})}};
  return sarif.dump(2) + "\n";
}

std::string LintGithubAnnotations(const LintResult& result) {
  std::string out;
  for (const LintFinding& f : result.findings) {
    const char* command = f.severity == "error"     ? "error"
                          : f.severity == "warning" ? "warning"
                                                    : "notice";
    out += std::string("::") + command + " file=" + EscapeGithub(f.file, true) +
           ",line=" + std::to_string(f.line) + ",col=" + std::to_string(f.column) +
           ",title=" + EscapeGithub(f.rule, true) + "::" + EscapeGithub(FullMessage(f), false) +
           "\n";
  }
  return out;
}

Status AddTableSizes(db::Connection& conn, int64_t large_rows, int64_t large_bytes,
                     LintResult* result) {
  if (conn.backend() != db::Backend::kPostgres)
    return FailedPreconditionError("lint reads table sizes from PostgreSQL targets only");
  // An index resolves to its table. to_regclass gives NULL for a name the
  // target lacks (no error), on the target's search_path.
  constexpr std::string_view kSql =
      "SELECT t.reltuples::bigint, pg_total_relation_size(t.oid) FROM pg_class t "
      "WHERE t.oid = COALESCE((SELECT i.indrelid FROM pg_index i "
      "WHERE i.indexrelid = to_regclass(quote_ident($1))), to_regclass(quote_ident($1)))";
  struct Size {
    int64_t rows = -1, bytes = -1;
  };
  std::map<std::string, Size> sizes;
  for (const LintFinding& f : result->findings) {
    if (f.table.empty() || sizes.count(f.table)) continue;
    CAIRN_ASSIGN_OR_RETURN(std::vector<db::Row> rows, conn.Query(kSql, {f.table}));
    Size s;
    if (!rows.empty()) {
      // reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+).
      s.rows = rows[0][0].AsInt();
      s.bytes = rows[0][1].AsInt();
    }
    sizes[f.table] = s;
  }
  for (LintFinding& f : result->findings) {
    auto it = sizes.find(f.table);
    if (it == sizes.end()) continue;
    f.table_rows = it->second.rows;
    f.table_bytes = it->second.bytes;
    f.large_table = (large_rows > 0 && f.table_rows >= large_rows) ||
                    (large_bytes > 0 && f.table_bytes >= large_bytes);
  }
  return Status::Ok();
}

}  // namespace cairn::runner
