// Internal (record stage): the schema fingerprint a run records with its
// events, for drift detection (docs/schema-model.md).
#ifndef CAIRN_RUNNER_SRC_RECORD_SCHEMA_STAMP_H_
#define CAIRN_RUNNER_SRC_RECORD_SCHEMA_STAMP_H_

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/v1/events.pb.h"

namespace cairn::runner {

// Sets the schema fingerprint (and, on RunFinished, the canonical snapshot)
// of `event`'s body from the schema `conn` sees now: call it inside the
// transaction, right before appending the event. It reads the whole catalog:
// the runner calls it for RunFinished. Bodies other than
// MigrationCommitted, MigrationRolledBack and RunFinished are left alone.
Status StampSchema(db::Connection& conn, v1::Event* event);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SRC_RECORD_SCHEMA_STAMP_H_
