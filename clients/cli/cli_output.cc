#include "cli/cli_output.h"

#include <csignal>
#include <cstdio>
#include <map>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"
#include "cli/exit_codes.h"

namespace cairn::cli {

using nlohmann::json;
using runner::RunReport;

std::string EventSummary(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kRunStarted: {
      const auto& r = e.run_started();
      std::string ids;
      for (const auto& id : r.planned_migration_ids()) ids += (ids.empty() ? "" : ",") + id;
      return std::string(r.direction() == v1::DIRECTION_DOWN ? "rollback" : "migrate") + " [" +
             ids + "]";
    }
    case v1::Event::kMigrationStarted: {
      const auto& m = e.migration_started();
      // A C++ data step ("c++:ID_NAME") is in the runner binary that ran it.
      const bool in_binary = m.file().rfind("c++:", 0) == 0;
      return m.migration_id() + " " + (m.direction() == v1::DIRECTION_DOWN ? "down" : "up") + " (" +
             m.description() + ") " + m.checksum().substr(0, 19) +
             (in_binary ? " [C++ step " + m.file() + ", in a runner binary]" : "");
    }
    case v1::Event::kMigrationCommitted: {
      const auto& m = e.migration_committed();
      return m.migration_id() + " " + std::to_string(m.statements_executed()) +
             " statement(s) in " + std::to_string(m.duration_micros() / 1000) + " ms";
    }
    case v1::Event::kMigrationRolledBack:
      return e.migration_rolled_back().migration_id() + " (" + e.migration_rolled_back().reason() +
             ")";
    case v1::Event::kMigrationFailed: {
      const auto& m = e.migration_failed();
      return m.migration_id() + " " + m.file() + ":" + std::to_string(m.line()) + ": " +
             m.error_message();
    }
    case v1::Event::kBatchApplied:
      return e.batch_applied().migration_id() + " batch " +
             std::to_string(e.batch_applied().batch_number()) + " cursor " +
             e.batch_applied().cursor();
    case v1::Event::kStatementsCommitted: {
      const auto& c = e.statements_committed();
      const std::string dir = c.direction() == v1::DIRECTION_DOWN ? " down" : " up";
      if (c.phase() == v1::STATEMENT_PHASE_INTENT)
        return c.migration_id() + dir + " statement " + std::to_string(c.statements_done() + 1) +
               " (line " + std::to_string(c.line()) + ") starts outside a transaction";
      return c.migration_id() + dir + " " + std::to_string(c.statements_done()) +
             " statement(s) done";
    }
    case v1::Event::kRunFinished:
      return v1::RunOutcome_Name(e.run_finished().outcome()).substr(12);
    case v1::Event::kMigrationBaselined: {
      const auto& m = e.migration_baselined();
      return m.migration_id() + " baselined by " + m.source() +
             (m.reason().empty() ? "" : " (" + m.reason() + ")");
    }
    case v1::Event::kChecksumAccepted: {
      const auto& m = e.checksum_accepted();
      return m.migration_id() + " " + m.old_checksum().substr(0, 19) + " -> " +
             m.new_checksum().substr(0, 19) + " (" + m.reason() + ")";
    }
    case v1::Event::kBackupRestored: {
      const auto& m = e.backup_restored();
      return m.backup_path() + " (head was " + std::to_string(m.previous_head_position()) +
             (m.forced() ? ", forced)" : ")");
    }
    default:
      return "";
  }
}

json EventJson(const v1::Event& e) {
  json j;
  j["stream"] = e.stream();
  j["position"] = e.position();
  j["event_id"] = e.event_id();
  j["run_id"] = e.run_id();
  j["type"] = cairn::ledger::EventTypeName(e);
  j["recorded_at"] = cairn::ledger::FormatMicros(cairn::ledger::TimestampToMicros(e.recorded_at()));
  j["actor"] = {{"user", e.actor().user()},
                {"host", e.actor().host()},
                {"tool_version", e.actor().tool_version()}};
  j["prev_hash"] = cairn::ledger::ToHex(e.prev_hash());
  j["hash"] = cairn::ledger::ToHex(e.hash());
  j["summary"] = EventSummary(e);
  switch (e.body_case()) {
    case v1::Event::kRunStarted:
      j["mode"] = v1::TransactionMode_Name(e.run_started().mode());
      j["planned"] = std::vector<std::string>(e.run_started().planned_migration_ids().begin(),
                                              e.run_started().planned_migration_ids().end());
      j["prepare"] = e.run_started().prepare();
      j["lock_wait_micros"] = e.run_started().lock_wait_micros();
      j["plan_hash"] = e.run_started().plan_hash();
      j["backup_path"] = e.run_started().backup_path();
      j["backup_sha256"] = e.run_started().backup_sha256();
      j["environment"] = e.run_started().environment();
      break;
    case v1::Event::kMigrationStarted:
      j["migration_id"] = e.migration_started().migration_id();
      j["checksum"] = e.migration_started().checksum();
      j["direction"] = v1::Direction_Name(e.migration_started().direction());
      j["outside_transaction"] = e.migration_started().outside_transaction();
      j["storage_type"] = v1::StorageType_Name(e.migration_started().storage_type());
      j["resumed"] = e.migration_started().resumed();
      j["repeatable"] = e.migration_started().repeatable();
      break;
    case v1::Event::kMigrationCommitted:
      j["migration_id"] = e.migration_committed().migration_id();
      j["duration_micros"] = e.migration_committed().duration_micros();
      break;
    case v1::Event::kMigrationRolledBack:
      j["migration_id"] = e.migration_rolled_back().migration_id();
      j["reason"] = e.migration_rolled_back().reason();
      break;
    case v1::Event::kMigrationFailed:
      j["migration_id"] = e.migration_failed().migration_id();
      j["error"] = e.migration_failed().error_message();
      j["file"] = e.migration_failed().file();
      j["line"] = e.migration_failed().line();
      j["statement"] = e.migration_failed().statement();
      j["direction"] = v1::Direction_Name(e.migration_failed().direction());
      j["statements_executed"] = e.migration_failed().statements_executed();
      break;
    case v1::Event::kRunFinished:
      j["outcome"] = v1::RunOutcome_Name(e.run_finished().outcome());
      j["migrations_applied"] = e.run_finished().migrations_applied();
      j["migrations_rolled_back"] = e.run_finished().migrations_rolled_back();
      j["error"] = e.run_finished().error_message();
      j["compensated"] =
          std::vector<std::string>(e.run_finished().compensated_migration_ids().begin(),
                                   e.run_finished().compensated_migration_ids().end());
      break;
    case v1::Event::kMigrationBaselined:
      j["migration_id"] = e.migration_baselined().migration_id();
      j["checksum"] = e.migration_baselined().checksum();
      j["source"] = e.migration_baselined().source();
      j["reason"] = e.migration_baselined().reason();
      j["original_checksum"] = e.migration_baselined().original_checksum();
      if (e.migration_baselined().has_original_applied_at())
        j["original_applied_at"] = cairn::ledger::FormatMicros(
            cairn::ledger::TimestampToMicros(e.migration_baselined().original_applied_at()));
      break;
    case v1::Event::kChecksumAccepted:
      j["migration_id"] = e.checksum_accepted().migration_id();
      j["old_checksum"] = e.checksum_accepted().old_checksum();
      j["new_checksum"] = e.checksum_accepted().new_checksum();
      j["reason"] = e.checksum_accepted().reason();
      break;
    case v1::Event::kBackupRestored:
      j["backup_path"] = e.backup_restored().backup_path();
      j["backup_sha256"] = e.backup_restored().backup_sha256();
      j["previous_head_position"] = e.backup_restored().previous_head_position();
      j["previous_head_hash"] = cairn::ledger::ToHex(e.backup_restored().previous_head_hash());
      j["backup_run_id"] = e.backup_restored().backup_run_id();
      j["forced"] = e.backup_restored().forced();
      break;
    case v1::Event::kStatementsCommitted: {
      const auto& c = e.statements_committed();
      j["migration_id"] = c.migration_id();
      j["direction"] = v1::Direction_Name(c.direction());
      j["statements_done"] = c.statements_done();
      j["phase"] = v1::StatementPhase_Name(c.phase());
      j["line"] = c.line();
      j["statement"] = c.statement();
      break;
    }
    case v1::Event::kBatchApplied: {
      const auto& b = e.batch_applied();
      j["migration_id"] = b.migration_id();
      j["cursor"] = b.cursor();
      j["rows"] = b.rows();
      j["batch_number"] = b.batch_number();
      j["loop"] = b.loop();
      j["batch_size"] = b.batch_size();
      j["duration_micros"] = b.duration_micros();
      j["direction"] = v1::Direction_Name(b.direction());
      break;
    }
    default:
      break;
  }
  return j;
}

namespace {
bool g_quiet = false;

// Standard output of the text report; nothing under --json, whose document
// says the same (the failure lines on stderr stay).
template <typename... Args>
void Out(const char* format, Args... args) {
  if (ActiveJson() == nullptr) std::printf(format, args...);
}
}  // namespace

void SetQuietOutput(bool quiet) { g_quiet = quiet; }

void PrintRun(const RunReport& r, bool up) {
  // Under -q only a failure is printed (to stderr); a prepared run still says
  // how to commit it, since nothing else would.
  if (g_quiet && !r.failure && !r.prepared) return;
  if (ActiveJson() != nullptr && !r.failure) return;
  if (!r.handover.empty()) Out("waited for another runner: %s\n", r.handover.c_str());
  if (r.prepared) {
    for (const auto& id : r.applied) Out("prepared %s\n", id.c_str());
    Out("run %s is prepared and not yet visible: `cairn commit %s` or `cairn abort %s`\n",
        r.run_id.c_str(), r.run_id.c_str(), r.run_id.c_str());
    return;
  }
  if (r.outcome == v1::RUN_OUTCOME_NOTHING_TO_DO) {
    Out("nothing to %s: %s\n", up ? "migrate" : "roll back",
        r.version_after.empty() ? "no migration is applied"
                                : ("database is at version " + r.version_after).c_str());
    return;
  }
  if (!g_quiet)
    for (const auto& id : up ? r.applied : r.rolled_back)
      Out("%s %s\n", up ? "applied" : "rolled back", id.c_str());
  if (r.failure) {
    std::fprintf(stderr, "cairn: error: %s:%d: migration %s failed: %s\n", r.failure->file.c_str(),
                 r.failure->line, r.failure->migration_id.c_str(), r.failure->message.c_str());
    if (!r.failure->statement.empty())
      std::fprintf(stderr, "cairn: error: failing statement: %s\n",
                   r.failure->statement.substr(0, 500).c_str());
    if (!r.compensated.empty())
      std::fprintf(stderr, "cairn: compensated (reverted) %zu migration(s) of this run\n",
                   r.compensated.size());
    if (r.compensation_failed)
      std::fprintf(stderr,
                   "cairn: error: compensation failed: the database is partly migrated; "
                   "see `cairn history`\n");
    const char* version = r.version_after.empty() ? "(none)" : r.version_after.c_str();
    if (!r.remains.empty())  // never "rolled back" when something remains
      std::fprintf(stderr, "cairn: error: %s; version is %s\n", r.remains.c_str(), version);
    else if (!r.compensation_failed)
      std::fprintf(stderr, "cairn: the failed migration was rolled back; version is %s\n", version);
    return;
  }
  Out("version %s -> %s (run %s)\n", r.version_before.empty() ? "(none)" : r.version_before.c_str(),
      r.version_after.empty() ? "(none)" : r.version_after.c_str(), r.run_id.c_str());
}

void PrintHistoryEvent(const v1::Event& e, bool json_out) {
  if (json_out) {
    // In history's document; subscribe, which does not end, has none: a line each.
    if (JsonDocument* doc = ActiveJson())
      doc->Element(EventJson(e));
    else
      std::printf("%s\n",
                  EventJson(e).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    std::printf(
        "%6lld  %s  %-21s %-14s %s\n", static_cast<long long>(e.position()),
        cairn::ledger::FormatMicros(cairn::ledger::TimestampToMicros(e.recorded_at())).c_str(),
        cairn::ledger::EventTypeName(e).c_str(), (e.actor().user()).c_str(),
        EventSummary(e).c_str());
  }
}

std::vector<v1::Event> RunEvents(runner::Runner& runner, int64_t head_before,
                                 const std::string& run_id) {
  std::vector<v1::Event> events;
  if (run_id.empty()) return events;
  // A read error leaves the fields without durations; the run's report stands.
  (void)runner.store().Read(runner.stream(), head_before + 1, 0, [&](const v1::Event& e) {
    if (e.run_id() == run_id) events.push_back(e);
    return true;
  });
  return events;
}

json StoppedBy(int exit_code) {
  const std::string_view name = ExitName(exit_code);
  // A lock timeout and a concurrent runner are named; anything else refused
  // the run before it started.
  if (exit_code == kExitLockTimeout || exit_code == kExitConflict)
    return {{"reason", std::string(name)}};
  return {{"reason", "refused"}, {"kind", std::string(name)}};
}

void RunJsonFields(JsonDocument& doc, const RunReport& r, bool up,
                   const std::vector<v1::Event>& events, bool target_given) {
  doc.Field("direction", up ? "up" : "down");
  doc.Field("run_id", r.run_id);
  doc.Field("version_before", r.version_before);
  doc.Field("version_after", r.version_after);
  json stopped;
  if (r.prepared) {
    stopped["reason"] = "prepared";
  } else if (r.outcome == v1::RUN_OUTCOME_NOTHING_TO_DO) {
    stopped["reason"] = "nothing_to_do";
  } else if (r.failure) {
    stopped["reason"] = r.compensation_failed ? "compensation_failed" : "failed";
    stopped["migration_id"] = r.failure->migration_id;
    stopped["file"] = r.failure->file;
    stopped["line"] = r.failure->line;
    stopped["message"] = r.failure->message;
  } else if (r.outcome == v1::RUN_OUTCOME_INTERRUPTED) {
    stopped["reason"] = "interrupted";
    stopped["signal"] = r.stop_signal == 0 ? "" : r.stop_signal == SIGTERM ? "SIGTERM" : "SIGINT";
    stopped["message"] = r.interruption;
  } else {
    stopped["reason"] = target_given ? "target_reached" : "finished";
  }
  doc.Field("stopped", stopped);
  // Each migration the run applied (up) or reverted (down), in order.
  std::map<std::string, json> details;
  for (const v1::Event& e : events) {
    if (e.has_migration_started()) {
      json& d = details[e.migration_started().migration_id()];
      d["description"] = e.migration_started().description();
      d["file"] = e.migration_started().file();
      d["checksum"] = e.migration_started().checksum();
      d["batches"] = 0;
      d["rows"] = 0;
    } else if (e.has_migration_committed()) {
      json& d = details[e.migration_committed().migration_id()];
      d["duration_micros"] = e.migration_committed().duration_micros();
      d["statements"] = e.migration_committed().statements_executed();
    } else if (e.has_migration_rolled_back()) {
      json& d = details[e.migration_rolled_back().migration_id()];
      d["duration_micros"] = e.migration_rolled_back().duration_micros();
      d["statements"] = e.migration_rolled_back().statements_executed();
    } else if (e.has_batch_applied()) {
      json& d = details[e.batch_applied().migration_id()];
      d["batches"] = d.value("batches", 0) + 1;
      d["rows"] = d.value("rows", int64_t{0}) + e.batch_applied().rows();
    }
  }
  doc.BeginArray("migrations");
  for (const std::string& id : up ? r.applied : r.rolled_back) {
    json m = {{"id", id}};
    if (auto it = details.find(id); it != details.end()) m.update(it->second);
    doc.Element(m);
  }
  doc.End();
  if (r.failure)
    doc.Field("failure", {{"migration_id", r.failure->migration_id},
                          {"file", r.failure->file},
                          {"line", r.failure->line},
                          {"statement", r.failure->statement.substr(0, 500)},
                          {"message", r.failure->message}});
  if (!r.compensated.empty()) doc.Field("compensated", r.compensated);
  if (!r.remains.empty()) doc.Field("remains", r.remains);
  if (!r.handover.empty()) doc.Field("waited_for", r.handover);
  if (r.failure) {
    const int exit_code = r.compensation_failed ? kExitCompensationFailed : kExitMigrationFailed;
    json e = JsonError(exit_code, r.failure->file + ":" + std::to_string(r.failure->line) +
                                      ": migration " + r.failure->migration_id +
                                      " failed: " + r.failure->message);
    e["file"] = r.failure->file;
    e["line"] = r.failure->line;
    e["migration_id"] = r.failure->migration_id;
    doc.SetError(e);
  } else if (r.outcome == v1::RUN_OUTCOME_INTERRUPTED) {
    doc.SetError(JsonError(r.stop_signal == 0 ? kExitInterrupted : 128 + r.stop_signal,
                           r.interruption.empty() ? "interrupted" : r.interruption));
  }
}

}  // namespace cairn::cli
