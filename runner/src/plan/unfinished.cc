// What status, history and migrate say about interrupted work
// (docs/transactions.md, "Interrupted runs").
#include "cairn/runner/unfinished.h"

#include <algorithm>

#include "cairn/base/hash.h"

namespace cairn::runner {
namespace {

std::string Named(const ledger::MigrationRecord& r) {
  return "migration " + r.id + (r.description.empty() ? "" : " (" + r.description + ")");
}

// "after batch 7 (4300 rows)" or "after statement 2": the committed part.
std::string DoneSoFar(const ledger::BatchProgress& p, bool down) {
  if (p.batches > 0)
    return "at batch " + std::to_string(p.batches) + " (" + std::to_string(p.rows) + " rows " +
           (down ? "reverted" : "done") + ", each batch committed with its event)";
  return "after statement " + std::to_string(p.statements) + " of its " + (down ? "down" : "up") +
         " section (those statements committed and remain)";
}

std::string Resumes(const ledger::BatchProgress& p) {
  if (p.batches > 0) return "it resumes after batch " + std::to_string(p.batches);
  return "it continues with statement " + std::to_string(p.statements + 1);
}

std::string IntentNote(const ledger::BatchProgress& p) {
  if (p.intent.empty()) return "";
  return "; statement " + std::to_string(p.statements + 1) + " (line " +
         std::to_string(p.intent_line) + ": " + p.intent.substr(0, 80) +
         ") cannot run in a transaction and was started without an outcome: it may have run in "
         "part, and the next run checks the catalog before running it again";
}

std::string RunDoing(const ledger::StreamState& s) {
  const ledger::RunRecord& run = s.last_run;
  if (!run.current.empty()) {
    std::string what = "in migration " + run.current + " (" +
                       (run.current_direction == v1::DIRECTION_DOWN ? "down" : "up") + ")";
    auto it = s.migrations.find(run.current);
    if (it != s.migrations.end() && it->second.progress.active)
      what += " " + DoneSoFar(it->second.progress, run.current_direction == v1::DIRECTION_DOWN);
    else
      what += ", started outside a transaction, before any statement was recorded";
    return what;
  }
  if (run.mode == v1::TRANSACTION_MODE_ALL)
    return "inside its one transaction (nothing of the run was kept)";
  const size_t done = static_cast<size_t>(std::max(0, run.steps_done));
  if (done < run.planned.size())
    return "in migration " + run.planned[done] + " (" + std::to_string(done) + " of " +
           std::to_string(run.planned.size()) +
           " planned migrations had finished; that migration's transaction left nothing)";
  return "after its last migration, before recording its end";
}

}  // namespace

bool HasUnfinishedAttempt(const ledger::StreamState& state) {
  return std::any_of(state.migrations.begin(), state.migrations.end(),
                     [](const auto& kv) { return kv.second.progress.active; });
}

std::vector<std::string> UnfinishedRollbacks(const ledger::StreamState& state) {
  std::vector<std::string> out;
  for (const auto& [id, r] : state.migrations) {
    const ledger::BatchProgress& p = r.progress;
    if (!p.active || p.direction != v1::DIRECTION_DOWN ||
        r.status != ledger::MigrationStatus::kApplied)
      continue;
    out.push_back(Named(r) + ": its rollback was interrupted " + DoneSoFar(p, true) +
                  "; finish it with `cairn rollback --steps 1` (" + Resumes(p) +
                  "), then migrate; nothing was applied");
  }
  return out;
}

std::vector<std::string> UnfinishedWork(const ledger::StreamState& state, bool prepared) {
  std::vector<std::string> out;
  for (const auto& [id, r] : state.migrations) {
    const ledger::BatchProgress& p = r.progress;
    if (!p.active) continue;
    const bool down = p.direction == v1::DIRECTION_DOWN;
    std::string line;
    if (down && r.status == ledger::MigrationStatus::kApplied) {
      line = "rolling back: " + Named(r) + " is still applied, its rollback interrupted " +
             DoneSoFar(p, true) + "; run `cairn rollback --steps 1` to finish it (" + Resumes(p) +
             "); migrate refuses until then";
    } else if (down) {
      line = "rolling back: " + Named(r) + " stopped " + DoneSoFar(p, true);
    } else {
      line = "applying: " + Named(r) + " is not applied, interrupted " + DoneSoFar(p, false) +
             "; run `cairn migrate` to finish it (" + Resumes(p) + ")";
    }
    if (r.status == ledger::MigrationStatus::kFailed && !r.last_error.empty())
      line += "; its last attempt failed: " + r.last_error;
    out.push_back(line + IntentNote(p));
  }
  const ledger::RunRecord& run = state.last_run;
  // A --tx none run that failed and whose compensation failed too (exit 8).
  // migrate: a migration still applied that failed during the run failed
  // in its down section, so undoing it failed. rollback: one this run rolled
  // back that failed after that failed to be applied again.
  if (run.finished_at != 0 && run.mode == v1::TRANSACTION_MODE_NONE &&
      run.outcome == v1::RUN_OUTCOME_FAILED) {
    const bool up = run.direction != v1::DIRECTION_DOWN;
    for (const auto& [id, r] : state.migrations) {
      const bool applied = r.status == ledger::MigrationStatus::kApplied;
      if (r.failed_at < run.started_at || applied != up ||
          (!up && r.rolled_back_at < run.started_at))
        continue;
      out.push_back("compensation failed: run " + run.run_id + " (--tx none) failed and " +
                    (up ? "undoing " : "applying again ") + Named(r) + " failed too (" +
                    r.last_error +
                    "): the database is partly migrated; see `cairn history`, fix the cause, then "
                    "`cairn migrate` or `cairn rollback`");
    }
  }
  if (!run.run_id.empty() && run.finished_at == 0 && !prepared) {
    out.push_back("unfinished run: " + run.run_id + " (" +
                  (run.direction == v1::DIRECTION_DOWN ? "rollback" : "migrate") + ", started " +
                  ledger::FormatMicros(run.started_at) + " by " + run.actor +
                  ") has no end recorded: it is still running, or it was killed " +
                  RunDoing(state));
  }
  return out;
}

}  // namespace cairn::runner
