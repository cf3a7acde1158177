// Reviewed plans in the CLI: printing a plan (text or JSON) and the
// production pre-flight that `migrate` runs before applying anything.
#ifndef CAIRN_CLIENTS_CLI_PLAN_OUTPUT_H_
#define CAIRN_CLIENTS_CLI_PLAN_OUTPUT_H_

#include <optional>
#include <string>
#include <vector>

#include "cairn/runner/plan.h"
#include "cairn/runner/runner.h"

namespace cairn::cli {

// Plans `options` on `runner` and prints the plan (docs/plans.md) on stdout;
// warnings about missing down sections go to stderr. If `options` has an
// expected plan hash, a different plan fails like migrate would. Returns the
// exit code.
int ShowPlan(runner::Runner& runner, const runner::MigrateOptions& options, bool json);

// The production pre-flight: lists the pending migrations, warns about
// missing down sections and, unless `yes`, asks for the target's stream
// name on the terminal. Returns kExitOk to go ahead; kExitNotConfirmed when
// there is no terminal (and no --yes) or the answer does not match.
// `why` says why the environment is protected (docs/config.md).
int ProductionPreflight(runner::Runner& runner, const runner::MigrateOptions& options,
                        const std::vector<std::string>& protected_environments,
                        const std::string& why, bool yes);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_PLAN_OUTPUT_H_
