// Internal (checks stage): checks of a migrate plan's data migrations that
// need the database (docs/data-migrations.md).
#ifndef CAIRN_RUNNER_SRC_CHECKS_DATA_CHECKS_H_
#define CAIRN_RUNNER_SRC_CHECKS_DATA_CHECKS_H_

#include <string>
#include <string_view>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/store/state.h"
#include "cairn/runner/migration.h"

namespace cairn::runner::internal {

// Partly applied migrations whose file changed, and declared names that do
// not exist (docs/data-migrations.md, "Names"). Appends one line per problem.
void AddDataRefusals(db::Connection& conn, const std::vector<const Migration*>& plan,
                     const ledger::StreamState& state, std::vector<std::string>* refusals);

// The nearest of `candidates` to `name` by edit distance, or "" when none is
// plausibly a typo of it.
std::string NearestName(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_CHECKS_DATA_CHECKS_H_
