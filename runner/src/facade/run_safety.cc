// Runner::PrepareRun: the reviewed-plan check and the backup that happen
// after Migrate's checks and before its first write.
#include "cairn/runner/backup.h"
#include "cairn/runner/checks.h"
#include "cairn/runner/plan.h"
#include "cairn/runner/runner.h"

namespace cairn::runner {

StatusOr<v1::RunStarted> Runner::PrepareRun(const MigrateOptions& options,
                                            const MigratePlan& planned) {
  v1::RunStarted extra;
  // The hash is computed as the sections are read: no statement is held.
  CAIRN_ASSIGN_OR_RETURN(std::string hash,
                         WalkPlan(stream_, v1::DIRECTION_UP, planned.steps, nullptr));
  CAIRN_RETURN_IF_ERROR(CheckPlanHash(options.expected_plan_hash, hash, [&] {
    return MakeReviewedPlan(stream_, v1::DIRECTION_UP, planned.steps, /*with_statements=*/false);
  }));
  if (planned.steps.empty()) return extra;
  extra.set_plan_hash(hash);
  extra.set_environment(options.environment);
  if (!options.backup_dir.empty()) {
    CAIRN_ASSIGN_OR_RETURN(BackupFile b,
                           TakeBackup(*conn_, options.backup_dir, stream_, *options_.env));
    extra.set_backup_path(b.path);
    extra.set_backup_sha256(b.sha256);
  }
  return extra;
}

}  // namespace cairn::runner
