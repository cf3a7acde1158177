// `migrate --lint` (docs/lint.md, "Before migrate"): lints the pending
// migrations with the project's [lint] settings, in the context of the
// target, and refuses the run on an error-level finding.
#ifndef CAIRN_CLIENTS_CLI_LINT_GATE_H_
#define CAIRN_CLIENTS_CLI_LINT_GATE_H_

#include "cairn/runner/runner.h"
#include "cli/cli.h"

namespace cairn::cli {

// Prints every finding on stderr; returns kExitOk when none is an error,
// kExitLintFindings (after saying nothing was migrated) when one is, or the
// exit code of a failure to plan or lint.
int LintBeforeMigrate(const CliContext& ctx, runner::Runner& runner,
                      const runner::MigrateOptions& migrate);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_LINT_GATE_H_
