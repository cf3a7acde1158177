// Internal (record stage): closing a run that died before recording its end.
#ifndef CAIRN_RUNNER_SRC_RECORD_ABANDONED_RUN_H_
#define CAIRN_RUNNER_SRC_RECORD_ABANDONED_RUN_H_

#include <string>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/store/state.h"
#include "cairn/store/store.h"

namespace cairn::runner {

// A `migrate` or `rollback` that holds the runner lock and finds nothing to
// do (one with work records it with its RunStarted: execute/strategies.cc,
// ExecuteRun): if the last run has no RunFinished, it died (no run can be going on
// while the lock is held, and a prepared run was refused before), so its end
// is recorded now, RunFinished(INTERRUPTED) under its run id, and `status`
// stops reporting it. A no-op otherwise.
Status CloseAbandonedRun(db::Connection& conn, ledger::LedgerStore& store,
                         const std::string& stream, const v1::Actor& actor,
                         const ledger::StreamState& state);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SRC_RECORD_ABANDONED_RUN_H_
