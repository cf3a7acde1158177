// Internal: a section run outside one transaction, statement by statement,
// its progress in the ledger (docs/transactions.md, "Progress outside a
// transaction"). Used by --tx none and by migrations that cannot run in a
// transaction.
#ifndef CAIRN_RUNNER_SRC_EXECUTE_STEPWISE_H_
#define CAIRN_RUNNER_SRC_EXECUTE_STEPWISE_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/store/state.h"
#include "execute/strategies.h"

namespace cairn::runner::internal {

// One statement of a section as the stepwise executor runs it.
struct SectionStatement {
  size_t offset = 0;      // in the section's text
  std::string_view text;  // without the terminating ';'
  int line = 0;           // 1-based file line of its first character
};

// Visits the statements of `section` of `m` in order, as the backend's own
// splitting sees them (SQLite: trigger bodies stay whole), read from memory
// or from the file in blocks (source/section_text.h); `visit` returns false
// to stop. The text passed is valid only during the call.
Status ForEachSectionStatement(const Migration& m, const Section& section, db::Backend backend,
                               const std::function<bool(const SectionStatement&)>& visit);

// The committed part of an earlier attempt of `m` in `d` that a run may
// continue after: the replayed progress when it comes from StatementsCommitted
// events of the same file version; null otherwise.
const ledger::BatchProgress* StepwiseResume(const ledger::StreamState* state, const Migration& m,
                                            v1::Direction d);

// Runs section `d` of `m` outside one transaction: MigrationStarted
// committed first; then each statement in a transaction of its own together
// with a StatementsCommitted event, or, for a statement that cannot run in a
// transaction, an INTENT event before it and a DONE event after it; then the
// outcome event. With `resume`, the statements it counts are skipped (and an
// announced statement is checked against the catalog first). Returns like
// RunContext::ApplyOne: `executed` counts every statement of the section that
// is applied now, the resumed ones included. A stop request (SIGINT/SIGTERM)
// ends it between statements with kCancelled.
StepResult RunStepwise(RunContext& ctx, const Migration& m, v1::Direction d,
                       const std::string& reason, const ledger::BatchProgress* resume);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_EXECUTE_STEPWISE_H_
