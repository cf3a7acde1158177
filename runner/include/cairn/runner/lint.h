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
  std::string_view id;       // e.g. "drop-table"
  std::string_view summary;  // one line
};

// Every rule, in the order of docs/lint.md.
const std::vector<LintRule>& LintRules();

struct LintFinding {
  std::string file;  // as given
  int line = 0;      // 1-based line of the offending clause
  std::string rule;  // a LintRules() id
  std::string message;
  std::string statement;  // the statement's text, whitespace collapsed
};

struct LintResult {
  std::vector<LintFinding> findings;  // in file order, then line order
  int files = 0;
  int silenced = 0;  // findings silenced by `-- cairn:lint-ignore`
};

// Lints one migration file's text (the up section). kInvalidArgument
// ("path:line: ...") for a file without '-- cairn:up' or a lint-ignore
// comment naming an unknown rule.
StatusOr<LintResult> LintMigrationText(std::string_view path, std::string_view contents);

// Lints each file; kNotFound for an unreadable file. Results are merged.
StatusOr<LintResult> LintFiles(const std::vector<std::string>& paths);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_LINT_H_
