// What a run did: the report the execute stage fills and the Runner returns
// (docs/design.md, "The run pipeline"). Plain values.
#ifndef CAIRN_RUNNER_REPORT_H_
#define CAIRN_RUNNER_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "cairn/v1/events.pb.h"

namespace cairn::runner {

// Why a migration failed, with its place in the file.
struct Failure {
  std::string migration_id;
  std::string file;  // path
  int line = 0;
  std::string statement;
  std::string message;
};

struct RunReport {
  std::string run_id;  // empty when nothing ran
  v1::RunOutcome outcome = v1::RUN_OUTCOME_NOTHING_TO_DO;
  std::vector<std::string> applied;      // ids applied (migrate)
  std::vector<std::string> rolled_back;  // ids reverted (rollback)
  std::optional<Failure> failure;
  std::string version_before, version_after;
  // This runner waited for another's lock: what the others did meanwhile,
  // e.g. "lock acquired after 812 ms; run 5f0c... applied 0003..0008".
  std::string handover;
  bool prepared = false;  // --prepare: applied in a prepared transaction, not yet visible
  // --tx none: migrations reverted (newest first) to compensate for the failure;
  // compensation_failed when one of those reversals failed too.
  std::vector<std::string> compensated;
  bool compensation_failed = false;
  // What of the failed migration stays applied (statements committed outside
  // a transaction); empty when its failure left nothing.
  std::string remains;
  // SIGINT/SIGTERM stopped an ordinary migration (outcome INTERRUPTED): the
  // signal, and what became of the work it stopped. A batched step stopped
  // after a batch leaves stop_signal 0 (docs/data-migrations.md).
  int stop_signal = 0;
  std::string interruption;
};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_REPORT_H_
