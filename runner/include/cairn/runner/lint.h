// Lint: dangerous PostgreSQL operations in migration files, by rule id and
// file:line. The rules, why they matter and how to silence them are in
// docs/lint.md.
//
//   CAIRN_ASSIGN_OR_RETURN(LintResult r, LintFiles({"migrations/0007_x.sql"}));
//   for (const LintFinding& f : r.findings) ... f.file, f.line, f.rule ...
#ifndef CAIRN_RUNNER_LINT_H_
#define CAIRN_RUNNER_LINT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"

namespace cairn::db {
class Connection;
}

namespace cairn::runner {

struct LintRule {
  std::string_view id;        // e.g. "drop-table"
  std::string_view summary;   // one line
  std::string_view severity;  // "error", "warning", or "hint" (off unless enabled)
  std::string_view squawk;    // squawk's name for the rule, accepted in lint-ignore; "" if none
};

// Every rule, in the order of docs/lint.md.
const std::vector<LintRule>& LintRules();

struct LintFinding {
  std::string file;      // as given
  int line = 0;          // 1-based line of the offending clause
  int column = 0;        // 1-based column of it, in Unicode code points
  std::string rule;      // a LintRules() id
  std::string severity;  // the rule's, or LintOptions::severity's for it
  std::string message;
  std::string statement;  // the statement's text, whitespace collapsed
  // The table (or index) the statement locks or changes, without schema;
  // empty when none.
  std::string table;
  // Filled by AddTableSizes from the target's catalog; -1 when unknown.
  int64_t table_rows = -1, table_bytes = -1;
  bool large_table = false;
};

struct LintResult {
  std::vector<LintFinding> findings;  // in file order, then line order
  int files = 0;
  int silenced = 0;       // findings silenced by `-- cairn:lint-ignore...` comments
  int ignored_files = 0;  // files matching LintOptions::ignore (read for context only)
};

struct LintOptions {
  int server_version = 150000;       // the target PostgreSQL, as server_version_num
  std::vector<std::string> enable;   // hint rules to switch on ("all": every hint)
  std::vector<std::string> disable;  // rules to switch off, whatever their severity
  // rule id (or squawk name) -> "error", "warning" or "hint": replaces the
  // rule's severity. A rule made a hint is off unless enabled; a hint made a
  // warning or error is on.
  std::map<std::string, std::string> severity;
  // Files not to report on (docs/lint.md): a pattern without '/' matches the
  // file name, one with '/' the path relative to `ignore_base` (fnmatch).
  std::vector<std::string> ignore;
  std::string ignore_base;  // empty: the working directory
  // Unapplied migrations, in the order they will run (paths). A table or
  // index one of them creates is exempt from the locking rules in the ones
  // after it, as one created earlier in the same file is (docs/lint.md,
  // "Context"). Files linted that are not in the list are linted alone.
  std::vector<std::string> pending;
  // Findings made outside the file's text (rehearsal on a database: rule
  // down-does-not-reverse-up), added to the file's own before severities,
  // disabled rules and lint-ignore-file comments apply.
  struct External {
    std::string path;  // as in the linted paths (compared canonically)
    int line = 0;
    std::string rule, message;
  };
  std::vector<External> external;
};

// Lints one migration file's text (the up section). kInvalidArgument
// ("path:line: ...") for a file without '-- cairn:up' or a lint-ignore
// comment naming an unknown rule.
StatusOr<LintResult> LintMigrationText(std::string_view path, std::string_view contents,
                                       const LintOptions& options = {});

// Lints each file; kNotFound for an unreadable file. Results are merged.
// kInvalidArgument for an unknown rule in options.enable.
StatusOr<LintResult> LintFiles(const std::vector<std::string>& paths,
                               const LintOptions& options = {});

// Whether a finding has error severity (what `migrate --lint` refuses).
inline bool IsLintError(const LintFinding& f) { return f.severity == "error"; }

// Table sizes from a PostgreSQL target's catalog (pg_class.reltuples,
// pg_total_relation_size) for every table the findings name, resolved on the
// target's search_path (an index: its table). A finding touches a large
// table when the table has at least `large_rows` rows (estimated) or
// `large_bytes` bytes; <= 0 disables that threshold. Tables the target lacks
// stay unknown (-1). kFailedPrecondition on a SQLite target.
Status AddTableSizes(db::Connection& conn, int64_t large_rows, int64_t large_bytes,
                     LintResult* result);

// Output formats (docs/lint.md, "Output"). SARIF 2.1.0: one run whose tool
// driver is cairn (`version`), with every rule of LintRules() and one result
// per finding; columns are Unicode code points (run.columnKind). Paths are
// given as relative URIs (percent-encoded) when relative.
std::string LintSarif(const LintResult& result, std::string_view version);
// GitHub Actions workflow commands, one line per finding:
// `::error file=F,line=L,col=C,title=RULE::MESSAGE` (warning for warnings,
// notice for hints), escaped as GitHub's toolkit escapes them.
std::string LintGithubAnnotations(const LintResult& result);
// The text form: `FILE:LINE:COLUMN: RULE: MESSAGE` and, on a large table,
// ` [large table TABLE: ~ROWS rows, BYTES]`.
std::string LintTextLine(const LintFinding& f);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_LINT_H_
