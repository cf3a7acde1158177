#include "plan/migrate_plan.h"

#include <algorithm>

#include "cairn/runner/unfinished.h"

namespace cairn::runner {

bool NothingPendingIn(const std::vector<MigrationSummary>& files, const ledger::StreamState& state,
                      const MigrateOptions& options, const RunnerOptions& runner_options) {
  // Files missing from the folder are warned about (or refused) by the full
  // path; it also says what remains, and closes a run that died.
  if (!AppliedWithoutFile(files, state, runner_options.dir).empty()) return false;
  if (HasUnfinishedAttempt(state) ||
      (!state.last_run.run_id.empty() && state.last_run.finished_at == 0))
    return false;
  bool to_known = !options.to;
  for (const MigrationSummary& m : files) {
    if (options.to && ledger::CompareMigrationIds(m.id, *options.to) == 0) to_known = true;
    auto it = state.migrations.find(m.id);
    if (it != state.migrations.end() && it->second.status == ledger::MigrationStatus::kApplied) {
      if (!it->second.checksum.empty() && it->second.checksum != m.checksum) return false;
    } else if (!options.to || ledger::CompareMigrationIds(m.id, *options.to) <= 0) {
      return false;
    }
  }
  return to_known;
}

std::vector<const Migration*> PlanUp(const MigrateOptions& options,
                                     const RunnerOptions& runner_options, MigratePlan* planned,
                                     std::vector<std::string>* refusals) {
  const std::vector<Migration>& files = planned->files;
  const ledger::StreamState& state = planned->state;
  for (std::string& line : UnfinishedRollbacks(state)) refusals->push_back(std::move(line));
  for (const Migration& m : files) {
    auto it = state.migrations.find(m.id);
    if (it == state.migrations.end() || it->second.status != ledger::MigrationStatus::kApplied)
      continue;
    if (!it->second.checksum.empty() && it->second.checksum != m.checksum && !m.repeatable) {
      refusals->push_back(m.path + ": migration " + m.id +
                          " was changed after it was applied (applied " + it->second.checksum +
                          ", file now " + m.checksum +
                          "); restore the file, or record the "
                          "change with `cairn accept-checksum " +
                          m.id + " --reason WHY`");
    }
  }
  if (options.to) {
    bool known = std::any_of(files.begin(), files.end(), [&](const Migration& m) {
      return ledger::CompareMigrationIds(m.id, *options.to) == 0;
    });
    if (!known)
      refusals->push_back("--to " + *options.to + ": no migration file has that number in " +
                          runner_options.dir);
  }
  const std::string version = state.CurrentVersion();
  std::vector<const Migration*> plan;
  for (const Migration& m : files) {
    // A repeatable script runs again when its checksum changed (docs/formats.md).
    if (state.IsApplied(m.id) &&
        !(m.repeatable && state.migrations.at(m.id).checksum != m.checksum))
      continue;
    if (options.to && ledger::CompareMigrationIds(m.id, *options.to) > 0) continue;
    if (!version.empty() && ledger::CompareMigrationIds(m.id, version) < 0 &&
        !runner_options.allow_out_of_order) {
      refusals->push_back(m.path + ": migration " + m.id +
                          " is numbered below the current version " + version +
                          " (out of order); renumber it or pass --allow-out-of-order");
    }
    plan.push_back(&m);
  }
  planned->missing_files = AppliedWithoutFile(files, state, runner_options.dir);
  return plan;
}

}  // namespace cairn::runner
