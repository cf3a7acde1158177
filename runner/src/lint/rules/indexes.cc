// Index builds and drops on tables the migration did not create.
#include "rules.h"

namespace cairn::runner::lint {

void CheckIndexes(const StatementView& s, const MigrationState& m, const Report& report) {
  // CREATE INDEX ON ONLY a (partitioned) table builds nothing: the
  // partitions' indexes are built CONCURRENTLY and attached to it.
  if (s.kind == "IndexStmt" && !Bool(s.body, "concurrent") && s.facts.scans_table &&
      !m.IsNew(s.facts.table)) {
    report("index-without-concurrently", 0,
           "CREATE INDEX on existing table " + s.facts.table +
               " without CONCURRENTLY blocks writes to it while the index builds");
  }
  if (s.kind == "DropStmt" && Str(s.body, "removeType") == "OBJECT_INDEX" &&
      !Bool(s.body, "concurrent") && !m.IsNew(s.facts.table)) {
    report("require-concurrent-index-deletion", 0,
           "DROP INDEX " + s.facts.table +
               " without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table");
  }
}

}  // namespace cairn::runner::lint
