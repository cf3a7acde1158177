// Internal: running a section's statements on a connection, group by group
// (source/section_text.h, ForEachGroup).
#ifndef CAIRN_RUNNER_SRC_EXECUTE_SECTION_EXEC_H_
#define CAIRN_RUNNER_SRC_EXECUTE_SECTION_EXEC_H_

#include <cstdint>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/runner/migration.h"

namespace cairn::runner::execute {

// Where a section's run stopped.
struct SectionFailure {
  db::ScriptFailure where;  // offset: in the section's text; statement: cut (CutStatement)
  int line = 0;             // the file's line of the failing statement; 0 when none failed
};

// Runs the statements of `section` from offset `from` of its text (0, or a
// statement's start) on, one group at a time, on `conn` (inside or outside
// a transaction, as the caller has it), stopping at the first error, which
// `*failure` describes. `*executed` counts the statements that completed.
Status ExecuteSection(db::Connection& conn, const Migration& m, const Section& section, size_t from,
                      int64_t* executed, SectionFailure* failure);

}  // namespace cairn::runner::execute

#endif  // CAIRN_RUNNER_SRC_EXECUTE_SECTION_EXEC_H_
