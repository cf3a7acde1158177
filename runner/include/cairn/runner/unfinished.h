// Work the ledger shows as begun and never finished: an interrupted batched
// rollback or migration, a section run outside a transaction that stopped
// after some statements, a run without RunFinished (docs/transactions.md,
// "Interrupted runs"). `status` and `history` print these as problems;
// `migrate` refuses while a rollback is unfinished.
#ifndef CAIRN_RUNNER_UNFINISHED_H_
#define CAIRN_RUNNER_UNFINISHED_H_

#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/store/state.h"

namespace cairn::runner {

// One line per unfinished piece of work, each saying what remains and which
// command finishes it. `prepared`: the last run is a prepared transaction
// waiting for commit or abort (status reports that itself). Empty when the
// ledger shows nothing unfinished.
std::vector<std::string> UnfinishedWork(const ledger::StreamState& state, bool prepared = false);

// Refusals for `migrate`: migrations whose rollback was interrupted (they
// must be finished by `rollback` before anything is applied). Empty when
// there are none.
std::vector<std::string> UnfinishedRollbacks(const ledger::StreamState& state);

// Whether replay shows any unfinished attempt (progress of any kind).
bool HasUnfinishedAttempt(const ledger::StreamState& state);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_UNFINISHED_H_
