// Adopting a database and repairing its ledger without rewriting history:
// both append events; nothing already in the ledger is ever changed.
//
//   BaselineOptions b;
//   b.to = "0005";
//   b.reason = "schema created by hand before cairn";
//   CAIRN_ASSIGN_OR_RETURN(BaselineReport r, Baseline(*runner, b));
//   // 0001..0005 now replay as applied (baselined); migrate runs 0006 on.
//
//   CAIRN_RETURN_IF_ERROR(AcceptChecksum(*runner, "0003", "comment typo fixed").status());
#ifndef CAIRN_RUNNER_REPAIR_H_
#define CAIRN_RUNNER_REPAIR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/runner/runner.h"

namespace cairn::runner {

struct BaselineOptions {
  std::string to;      // required: the last migration id the database already has
  std::string reason;  // recorded; may be empty
  // Who decided, recorded as MigrationBaselined.source: "cairn baseline" for
  // the command; fresh-database detection or an adopter from another tool
  // names itself.
  std::string source = "cairn baseline";
  // For adopters: what the other tool recorded per migration id (its
  // applied time in micros since the epoch and its checksum).
  struct Original {
    int64_t applied_at_micros = 0;
    std::string checksum;
  };
  std::map<std::string, Original> originals;
  // Adopters (formats.h): when not empty, exactly these ids are baselined
  // instead of every file up to `to` (which is then only recorded). Each must
  // be a file's id and not applied; other applied migrations do not refuse.
  std::vector<std::string> ids;
};

struct BaselineReport {
  std::string run_id;                  // groups the events of this baseline
  std::vector<std::string> baselined;  // ids, in order
  int64_t head_position = 0;           // the ledger head after the baseline
};

// Records every migration file numbered up to and including `to` as applied
// without running it: one MigrationBaselined event per migration, all in one
// transaction (with the file's current checksum, so later changes to the
// file are caught like any applied migration's). Refusals, nothing written:
//  - kFailedPrecondition if any migration is already applied on the target
//    (with `ids`: if one of those is);
//  - kNotFound if no file has id `to` (the message names the nearest ids);
//  - file errors from LoadMigrations.
// kAborted if another writer appended to the stream meanwhile.
StatusOr<BaselineReport> Baseline(Runner& runner, const BaselineOptions& options);

struct AcceptChecksumReport {
  std::string old_checksum, new_checksum;
  bool appended = false;  // false: the file already matched, nothing written
};

// Accepts the current file of applied migration `id` as the applied version:
// appends ChecksumAccepted(old, new, reason). Refusals, nothing written:
// kInvalidArgument for an empty reason; kFailedPrecondition when `id` is not
// applied; kNotFound when its file is missing.
StatusOr<AcceptChecksumReport> AcceptChecksum(Runner& runner, const std::string& id,
                                              const std::string& reason);

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_REPAIR_H_
