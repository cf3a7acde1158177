// Runner: the runner lock, the hand-over report of a runner that waited, and
// the end of prepared runs (cairn commit / cairn abort).
#include <spdlog/spdlog.h>

#include <map>

#include "cairn/runner/runner.h"
#include "execute/strategies.h"
#include "record/ledger_recorder.h"

namespace cairn::runner {
namespace {

// "0003", "0003, 0004" or "0003..0008" for a run of consecutive applications.
std::string Span(const std::vector<std::string>& ids) {
  if (ids.size() <= 2) {
    std::string out;
    for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
    return out;
  }
  return ids.front() + ".." + ids.back();
}

}  // namespace

StatusOr<bool> IsPreparedRun(db::Connection& conn, const std::string& run_id) {
  if (conn.backend() != db::Backend::kPostgres || run_id.empty()) return false;
  CAIRN_ASSIGN_OR_RETURN(auto rows,
                         conn.Query("SELECT count(*) FROM pg_prepared_xacts WHERE gid = $1 AND "
                                    "database = current_database()",
                                    {PreparedGid(run_id)}));
  return !rows.empty() && rows[0][0].AsInt() > 0;
}

StatusOr<std::unique_ptr<RunnerLock>> Runner::Lock(int64_t* head_before) {
  auto head = store_->GetHead(stream_);
  *head_before = head.ok() ? head->position : 0;
  auto lock = RunnerLock::Acquire(*conn_, stream_, options_.lock_timeout, *options_.env);
  if (!lock.ok()) return lock.status().Annotate("stream " + stream_);
  if (!(*lock)->holder().empty())
    spdlog::debug("lock acquired after {} ms (was held by {})", (*lock)->waited().count(),
                  (*lock)->holder());
  return lock;
}

std::string Runner::Handover(const ledger::StreamState& state, int64_t head_before,
                             const RunnerLock& lock) const {
  if (lock.holder().empty()) return "";
  // Migrations applied by other runs while this one waited, per run, in order.
  std::map<int64_t, std::pair<std::string, std::vector<std::string>>> by_run;  // first position
  std::map<std::string, int64_t> first;
  for (const std::string& id : state.applied_order) {
    const ledger::MigrationRecord& r = state.migrations.at(id);
    if (r.applied_position <= head_before) continue;
    auto [it, inserted] = first.emplace(r.applied_run_id, r.applied_position);
    auto& entry = by_run[it->second];
    entry.first = r.applied_run_id;
    entry.second.push_back(id);
  }
  std::string out = "lock acquired after " + std::to_string(lock.waited().count()) + " ms";
  if (by_run.empty()) {
    out += state.head.position > head_before ? "; other runs applied nothing that is still applied"
                                             : "; nothing changed meanwhile";
  }
  for (const auto& [pos, run] : by_run)
    out += "; run " + run.first + " applied " + Span(run.second);
  spdlog::info("{}", out);
  return out;
}

Status Runner::RefuseIfPrepared(const ledger::StreamState& state) {
  if (state.last_run.finished_at != 0) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(bool prepared, IsPreparedRun(*conn_, state.last_run.run_id));
  if (!prepared) return Status::Ok();
  const std::string& id = state.last_run.run_id;
  return FailedPreconditionError("run " + id +
                                 " is prepared and waits to be committed or aborted: run "
                                 "`cairn commit " +
                                 id + "` or `cairn abort " + id + "` first");
}

StatusOr<RunReport> Runner::CommitPrepared(const std::string& run_id) {
  return EndPrepared(run_id, /*commit=*/true);
}

StatusOr<RunReport> Runner::AbortPrepared(const std::string& run_id) {
  return EndPrepared(run_id, /*commit=*/false);
}

StatusOr<RunReport> Runner::EndPrepared(const std::string& run_id, bool commit) {
  if (conn_->backend() != db::Backend::kPostgres)
    return FailedPreconditionError("prepared runs exist only on PostgreSQL");
  int64_t head_before = 0;
  CAIRN_ASSIGN_OR_RETURN(auto lock, Lock(&head_before));
  CAIRN_ASSIGN_OR_RETURN(bool prepared, IsPreparedRun(*conn_, run_id));
  CAIRN_ASSIGN_OR_RETURN(ledger::StreamState before, ledger::ReplayStream(*store_, stream_));
  if (!prepared || before.last_run.run_id != run_id)
    return NotFoundError("run " + run_id + " is not a prepared run of stream " + stream_ +
                         " (never prepared, or already committed or aborted)");
  const std::string gid = PreparedGid(run_id);
  CAIRN_RETURN_IF_ERROR((commit ? conn_->CommitPrepared(gid) : conn_->RollbackPrepared(gid))
                            .Annotate(commit ? "COMMIT PREPARED" : "ROLLBACK PREPARED"));
  // The prepared transaction's events are visible now (commit) or gone (abort).
  CAIRN_ASSIGN_OR_RETURN(ledger::StreamState after, ledger::ReplayStream(*store_, stream_));
  RunReport report;
  report.run_id = run_id;
  report.version_before = before.CurrentVersion();
  report.version_after = after.CurrentVersion();
  for (const std::string& id : after.applied_order)
    if (after.migrations.at(id).applied_run_id == run_id) report.applied.push_back(id);
  report.outcome = commit ? v1::RUN_OUTCOME_SUCCEEDED : v1::RUN_OUTCOME_FAILED;
  LedgerRecorder recorder(*conn_, *store_, stream_, after.head.position);
  RunContext ctx(*conn_, recorder, stream_, actor_, &report);
  CAIRN_RETURN_IF_ERROR(ctx.Record({ctx.Finished(
      report.outcome, commit ? "" : "prepared transaction aborted by `cairn abort`")}));
  spdlog::info("run {} {}", run_id, commit ? "committed" : "aborted");
  return report;
}

}  // namespace cairn::runner
