// Lint: dangerous PostgreSQL operations in migration files, by rule id and
// file:line. The rules, why they matter and how to silence them are in
// docs/lint.md.
//
//   CAIRN_ASSIGN_OR_RETURN(LintResult r, LintFiles({"migrations/0007_x.sql"}));
//   for (const LintFinding& f : r.findings) ... f.file, f.line, f.rule ...
#ifndef CAIRN_RUNNER_LINT_H_
#define CAIRN_RUNNER_LINT_H_

#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"

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
  std::string file;  // as given
  int line = 0;      // 1-based line of the offending clause
  std::string rule;  // a LintRules() id
  std::string severity;
  std::string message;
  std::string statement;  // the statement's text, whitespace collapsed
};

struct LintResult {
  std::vector<LintFinding> findings;  // in file order, then line order
  int files = 0;
  int silenced = 0;  // findings silenced by `-- cairn:lint-ignore`
};

struct LintOptions {
  int server_version = 150000;      // the target PostgreSQL, as server_version_num
  std::vector<std::string> enable;  // hint rules to switch on ("all": every hint)
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

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_LINT_H_
