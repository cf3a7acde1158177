// Internal (plan stage): what a migrate will do, as a pure function of the
// replayed state, the files and the options. No database and no folder: the
// facade loads them once, and this decides.
#ifndef CAIRN_RUNNER_SRC_PLAN_MIGRATE_PLAN_H_
#define CAIRN_RUNNER_SRC_PLAN_MIGRATE_PLAN_H_

#include <set>
#include <string>
#include <vector>

#include "cairn/runner/migration.h"
#include "cairn/runner/options.h"
#include "cairn/runner/plan.h"
#include "cairn/store/state.h"

namespace cairn::runner {

// Migrations the ledger shows as applied that have no file among `files`,
// one line each: another folder may be migrating this database.
template <typename File>
std::vector<std::string> AppliedWithoutFile(const std::vector<File>& files,
                                            const ledger::StreamState& state,
                                            const std::string& dir) {
  std::vector<std::string> out;
  std::set<std::string, ledger::MigrationIdLess> ids;
  for (const File& f : files) ids.insert(f.id);
  for (const auto& [id, rec] : state.migrations) {
    if (rec.status != ledger::MigrationStatus::kApplied || ids.count(id)) continue;
    if (rec.file.rfind("c++:", 0) == 0) {  // registered_steps.cc: not a file at all
      out.push_back("migration " + id + " (" + rec.file +
                    ") is a C++ data step, applied by a runner binary built with it; this "
                    "binary does not hold it (run that binary to roll it back)");
      continue;
    }
    out.push_back("migration " + id + " (" + rec.file +
                  ") is applied in the ledger but has no file in " + dir +
                  " (is another folder migrating this database?)");
  }
  return out;
}

// The nothing-pending answer, from the folder's summaries (the checksum
// cache) and the replayed state: true when a migrate with `options` applies
// nothing and has nothing to warn about or close (no missing files, no
// unfinished work, a known --to). False means "take the full path", which
// also reports every error.
bool NothingPendingIn(const std::vector<MigrationSummary>& files, const ledger::StreamState& state,
                      const MigrateOptions& options, const RunnerOptions& runner_options);

// Plans a migrate from planned->files and planned->state: returns the
// pending migrations in run order (pointers into planned->files), fills
// the facts the checks judge (planned->missing_files, changed, below_version,
// version; cairn/runner/checks.h, FolderPolicy), and appends one line per
// refusal to `refusals` where no plan can be made (unfinished rollbacks, an
// unknown --to). Checks that need the database come after
// (checks/data_checks.h).
std::vector<const Migration*> PlanUp(const MigrateOptions& options,
                                     const RunnerOptions& runner_options, MigratePlan* planned,
                                     std::vector<std::string>* refusals);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SRC_PLAN_MIGRATE_PLAN_H_
