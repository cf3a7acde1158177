// Baseline and accept-checksum: appends to the ledger, never edits it.
#include "cairn/runner/repair.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cairn/base/hash.h"

namespace cairn::runner {
namespace {

// Appends `events` (stream, run id and actor filled in) in one transaction
// that first checks the head is still `expected_head`. Returns the new head.
StatusOr<int64_t> AppendAll(Runner& runner, int64_t expected_head, const std::string& run_id,
                            std::vector<v1::Event> events) {
  CAIRN_RETURN_IF_ERROR(runner.store().EnsureSchema());
  CAIRN_ASSIGN_OR_RETURN(auto tx, runner.connection().Begin());
  CAIRN_RETURN_IF_ERROR(runner.store().CheckHead(*tx, runner.stream(), expected_head));
  int64_t head = expected_head;
  for (v1::Event& e : events) {
    e.set_stream(runner.stream());
    e.set_run_id(run_id);
    *e.mutable_actor() = runner.actor();
    CAIRN_ASSIGN_OR_RETURN(auto r, runner.store().Append(*tx, std::move(e)));
    head = r.position;
  }
  CAIRN_RETURN_IF_ERROR(tx->Commit());
  return head;
}

// "0004 and 0007" style description of the ids around a missing `id`.
std::string NearestIds(const std::vector<Migration>& files, const std::string& id) {
  const Migration* below = nullptr;
  const Migration* above = nullptr;
  for (const Migration& m : files) {
    if (ledger::CompareMigrationIds(m.id, id) < 0) below = &m;
    if (ledger::CompareMigrationIds(m.id, id) > 0 && above == nullptr) above = &m;
  }
  if (below == nullptr && above == nullptr) return "there are no migration files";
  std::string out = "nearest: ";
  if (below) out += below->id + " (" + below->file + ")";
  if (below && above) out += ", ";
  if (above) out += above->id + " (" + above->file + ")";
  return out;
}

StatusOr<BaselineReport> AppendBaselined(Runner& runner, const BaselineOptions& options,
                                         const std::vector<const Migration*>& chosen,
                                         const ledger::StreamState& state);

// Baseline of an explicit set of ids (adopters).
StatusOr<BaselineReport> BaselineIds(Runner& runner, const BaselineOptions& options,
                                     const std::vector<Migration>& files,
                                     const ledger::StreamState& state) {
  std::vector<const Migration*> chosen;
  for (const std::string& id : options.ids) {
    auto f =
        std::find_if(files.begin(), files.end(), [&](const Migration& m) { return m.id == id; });
    if (f == files.end())
      return NotFoundError("baseline " + id + ": no migration file has that id in " +
                           runner.options().dir + "; " + NearestIds(files, id));
    if (state.IsApplied(id))
      return FailedPreconditionError("baseline " + id + ": already applied on stream " +
                                     runner.stream() + "; nothing was written");
    chosen.push_back(&*f);
  }
  return AppendBaselined(runner, options, chosen, state);
}

}  // namespace

StatusOr<BaselineReport> Baseline(Runner& runner, const BaselineOptions& options) {
  if (options.to.empty()) return InvalidArgumentError("baseline: --to is required");
  CAIRN_ASSIGN_OR_RETURN(std::vector<Migration> files, LoadMigrations(runner.options().dir));
  CAIRN_ASSIGN_OR_RETURN(ledger::StreamState state,
                         ledger::ReplayStream(runner.store(), runner.stream()));
  if (!options.ids.empty()) return BaselineIds(runner, options, files, state);
  if (!state.applied_order.empty()) {
    return FailedPreconditionError(
        "baseline: stream " + runner.stream() + " already has " +
        std::to_string(state.applied_order.size()) + " applied migration(s), the newest " +
        state.applied_order.back() +
        "; a baseline only adopts a database cairn has not migrated; nothing was written");
  }
  bool known = false;
  for (const Migration& m : files)
    known = known || ledger::CompareMigrationIds(m.id, options.to) == 0;
  if (!known) {
    return NotFoundError("baseline --to " + options.to + ": no migration file has that id in " +
                         runner.options().dir + "; " + NearestIds(files, options.to));
  }
  std::vector<const Migration*> chosen;
  for (const Migration& m : files) {
    if (ledger::CompareMigrationIds(m.id, options.to) > 0) break;
    chosen.push_back(&m);
  }
  return AppendBaselined(runner, options, chosen, state);
}

namespace {

// One MigrationBaselined event per chosen migration, in one transaction.
StatusOr<BaselineReport> AppendBaselined(Runner& runner, const BaselineOptions& options,
                                         const std::vector<const Migration*>& chosen,
                                         const ledger::StreamState& state) {
  BaselineReport report;
  report.run_id = NewUuid(*runner.options().env);
  std::vector<v1::Event> events;
  for (const Migration* mp : chosen) {
    const Migration& m = *mp;
    v1::Event e;
    auto* b = e.mutable_migration_baselined();
    b->set_migration_id(m.id);
    b->set_description(m.description);
    b->set_checksum(m.checksum);
    b->set_file(m.file);
    b->set_reason(options.reason);
    b->set_source(options.source);
    b->set_baseline_to(options.to);
    if (auto it = options.originals.find(m.id); it != options.originals.end()) {
      if (it->second.applied_at_micros != 0)
        ledger::MicrosToTimestamp(it->second.applied_at_micros, b->mutable_original_applied_at());
      b->set_original_checksum(it->second.checksum);
    }
    events.push_back(std::move(e));
    report.baselined.push_back(m.id);
  }
  CAIRN_ASSIGN_OR_RETURN(report.head_position,
                         AppendAll(runner, state.head.position, report.run_id, std::move(events)));
  spdlog::info("baselined {} migration(s) up to {} on {}", report.baselined.size(), options.to,
               runner.stream());
  return report;
}

}  // namespace

StatusOr<AcceptChecksumReport> AcceptChecksum(Runner& runner, const std::string& id,
                                              const std::string& reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return InvalidArgumentError("accept-checksum " + id +
                                ": --reason is required (it is recorded in the ledger)");
  CAIRN_ASSIGN_OR_RETURN(std::vector<Migration> files, LoadMigrations(runner.options().dir));
  CAIRN_ASSIGN_OR_RETURN(ledger::StreamState state,
                         ledger::ReplayStream(runner.store(), runner.stream()));
  if (!state.IsApplied(id)) {
    return FailedPreconditionError("accept-checksum " + id + ": migration " + id +
                                   " is not applied on stream " + runner.stream() +
                                   "; only an applied migration's checksum can be accepted");
  }
  const Migration* file = nullptr;
  for (const Migration& m : files)
    if (m.id == id) file = &m;
  if (file == nullptr)
    return NotFoundError("accept-checksum " + id + ": no migration file has that id in " +
                         runner.options().dir);
  AcceptChecksumReport report;
  report.old_checksum = state.migrations.at(id).checksum;
  report.new_checksum = file->checksum;
  if (report.old_checksum == report.new_checksum) return report;
  v1::Event e;
  auto* a = e.mutable_checksum_accepted();
  a->set_migration_id(id);
  a->set_file(file->file);
  a->set_old_checksum(report.old_checksum);
  a->set_new_checksum(report.new_checksum);
  a->set_reason(reason);
  std::vector<v1::Event> events;
  events.push_back(std::move(e));
  CAIRN_RETURN_IF_ERROR(AppendAll(runner, state.head.position, "", std::move(events)).status());
  report.appended = true;
  return report;
}

}  // namespace cairn::runner
