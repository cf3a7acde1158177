#include "report_model.h"

#include <algorithm>
#include <unordered_map>

#include "cairn/base/hash.h"
#include "cairn/store/state.h"

namespace cairn::report {
namespace {

std::string ActorName(const v1::Actor& a) {
  if (a.host().empty()) return a.user();
  return a.user() + "@" + a.host();
}

RunKind KindOf(v1::Direction direction, v1::RunOutcome outcome, bool finished) {
  if (!finished) return RunKind::kOpen;
  switch (outcome) {
    case v1::RUN_OUTCOME_SUCCEEDED:
      return direction == v1::DIRECTION_DOWN ? RunKind::kRolledBack : RunKind::kApplied;
    case v1::RUN_OUTCOME_FAILED:
      return RunKind::kFailed;
    case v1::RUN_OUTCOME_INTERRUPTED:
      return RunKind::kOpen;
    default:
      return RunKind::kOther;
  }
}

// What the replayed state does not keep but the table shows.
struct MigrationExtra {
  std::string rolled_back_by;
  std::string error_file;
  int64_t last_event_at = 0;
  int64_t last_position = 0;
};

// Folds one target's events into `report`.
class TargetFolder {
 public:
  TargetFolder(Report& report, int target, const ReportOptions& options)
      : report_(report), target_(target), options_(options), state_(report.targets[target].name) {}

  void Apply(const v1::Event& e) {
    state_.Apply(e);
    const int64_t at = ledger::TimestampToMicros(e.recorded_at());
    ++report_.targets[target_].events;
    ++report_.total_events;
    if (report_.period_start == 0 || at < report_.period_start) report_.period_start = at;
    report_.period_end = std::max(report_.period_end, at);
    ++report_.events_per_day[{target_, DayNumber(at)}];

    RunSummary* run = nullptr;
    if (!e.run_id().empty()) {
      auto it = open_runs_.find(e.run_id());
      if (it != open_runs_.end()) {
        run = &report_.runs[it->second];
        run->last_event_at = std::max(run->last_event_at, at);
      }
    }

    auto touch = [&](const std::string& id) -> MigrationExtra& {
      MigrationExtra& x = extras_[id];
      x.last_event_at = at;
      x.last_position = e.position();
      return x;
    };

    switch (e.body_case()) {
      case v1::Event::kRunStarted: {
        RunSummary r;
        r.target = target_;
        r.run_id = e.run_id();
        r.direction = e.run_started().direction();
        r.started_at = at;
        r.last_event_at = at;
        r.actor = ActorName(e.actor());
        r.command_line = e.run_started().command_line();
        r.first_position = e.position();
        r.kind = RunKind::kOpen;
        open_runs_[r.run_id] = report_.runs.size();
        report_.runs.push_back(std::move(r));
        break;
      }
      case v1::Event::kRunFinished:
        if (run) {
          run->finished_at = at;
          run->outcome = e.run_finished().outcome();
          run->kind = KindOf(run->direction, run->outcome, true);
          open_runs_.erase(e.run_id());
        }
        break;
      case v1::Event::kMigrationStarted:
        touch(e.migration_started().migration_id());
        if (run) ++run->migrations;
        break;
      case v1::Event::kBatchApplied:
        touch(e.batch_applied().migration_id());
        if (run) run->batch_times.push_back(at);
        break;
      case v1::Event::kMigrationCommitted:
        touch(e.migration_committed().migration_id());
        break;
      case v1::Event::kMigrationRolledBack:
        touch(e.migration_rolled_back().migration_id()).rolled_back_by = ActorName(e.actor());
        break;
      case v1::Event::kMigrationFailed: {
        const auto& f = e.migration_failed();
        touch(f.migration_id()).error_file = f.file();
        if (report_.failures.size() >= options_.max_failures) {
          ++report_.failures_omitted;
          break;
        }
        FailureRow row;
        row.target = target_;
        row.at = at;
        row.position = e.position();
        row.migration_id = f.migration_id();
        row.direction = f.direction();
        row.file = f.file();
        row.line = f.line();
        row.message = f.error_message();
        row.statement = f.statement();
        if (row.statement.size() > options_.max_statement_chars) {
          size_t cut = options_.max_statement_chars;
          // Do not cut a UTF-8 sequence in half.
          while (cut > 0 && (static_cast<unsigned char>(row.statement[cut]) & 0xC0) == 0x80) --cut;
          row.statement.resize(cut);
          row.statement += "…";
        }
        report_.failures.push_back(std::move(row));
        break;
      }
      case v1::Event::kMigrationBaselined:
        touch(e.migration_baselined().migration_id());
        break;
      case v1::Event::kChecksumAccepted:
        touch(e.checksum_accepted().migration_id());
        break;
      case v1::Event::kStatementsCommitted:
        touch(e.statements_committed().migration_id());
        break;
      case v1::Event::kBackupRestored:  // about the whole target, no one migration
      case v1::Event::BODY_NOT_SET:
        break;
    }
  }

  // Adds the target's migration rows.
  void Finish() {
    const ledger::StreamState& s = state_.state();
    for (const auto& [id, rec] : s.migrations) {
      MigrationRow row;
      row.target = target_;
      row.id = id;
      row.description = rec.description;
      row.storage_type = rec.storage_type;
      row.state = std::string(ledger::MigrationStatusName(rec.status));
      row.applied_at = rec.applied_at;
      row.rolled_back_at = rec.rolled_back_at;
      row.applied_by = rec.applied_by;
      row.duration_micros = rec.duration_micros;
      row.checksum = rec.checksum;
      row.file = rec.file;
      row.error = rec.last_error;
      row.error_line = rec.last_error_line;
      if (auto it = extras_.find(id); it != extras_.end()) {
        row.rolled_back_by = it->second.rolled_back_by;
        row.error_file = it->second.error_file;
        row.last_event_at = it->second.last_event_at;
        row.last_position = it->second.last_position;
      }
      report_.migrations.push_back(std::move(row));
    }
  }

 private:
  Report& report_;
  const int target_;
  const ReportOptions& options_;
  ledger::StateBuilder state_;
  std::unordered_map<std::string, size_t> open_runs_;  // run id -> index in report_.runs
  std::unordered_map<std::string, MigrationExtra> extras_;
};

}  // namespace

int64_t DayNumber(int64_t micros) {
  constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
  // Floor division: days before 1970 stay on the right side of zero.
  return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

const char* RunKindName(RunKind kind) {
  switch (kind) {
    case RunKind::kApplied:
      return "applied";
    case RunKind::kRolledBack:
      return "rolled_back";
    case RunKind::kFailed:
      return "failed";
    case RunKind::kOpen:
      return "open";
    case RunKind::kOther:
      return "other";
  }
  return "other";
}

bool Report::AllVerified() const {
  return std::all_of(targets.begin(), targets.end(),
                     [](const TargetSummary& t) { return t.verified && t.verify.ok; });
}

StatusOr<Report> BuildReport(ledger::EventReader& reader, const std::vector<std::string>& targets,
                             const ReportOptions& options) {
  if (targets.empty()) return InvalidArgumentError("the report has no target (no stream given)");
  Report report;
  report.origin = reader.Origin();
  report.tool_version = options.tool_version;
  report.generated_at = options.now_micros ? options.now_micros : ledger::NowMicros();
  if (options.title.empty()) {
    report.title = "cairn ledger report: ";
    for (size_t i = 0; i < targets.size(); ++i) report.title += (i ? ", " : "") + targets[i];
  } else {
    report.title = options.title;
  }
  for (const std::string& t : targets) {
    TargetSummary summary;
    summary.name = t;
    report.targets.push_back(std::move(summary));
  }

  for (size_t i = 0; i < targets.size(); ++i) {
    TargetSummary& summary = report.targets[i];
    TargetFolder folder(report, static_cast<int>(i), options);
    Status read = reader.Read(targets[i], {}, [&](const v1::Event& e) {
      folder.Apply(e);
      return true;
    });
    if (!read.ok()) summary.read_error = read.ToString();
    folder.Finish();
    auto verified = reader.Verify(targets[i]);
    if (verified.ok()) {
      summary.verified = true;
      summary.verify = *verified;
    } else {
      summary.verify_error = verified.status().ToString();
    }
  }
  // Open runs whose process died have no RunFinished: they stay kOpen.
  std::stable_sort(
      report.runs.begin(), report.runs.end(),
      [](const RunSummary& a, const RunSummary& b) { return a.started_at < b.started_at; });
  std::stable_sort(report.failures.begin(), report.failures.end(),
                   [](const FailureRow& a, const FailureRow& b) { return a.at < b.at; });
  return report;
}

}  // namespace cairn::report
