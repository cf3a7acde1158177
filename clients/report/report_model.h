// The auditor report's data: what `cairn report` shows, folded from a
// sequence of ledger events and the result of verifying their chain.
//
//   ledger::DatabaseEventReader reader(runner.store(), runner.connection().url().redacted);
//   report::ReportOptions options;
//   CAIRN_ASSIGN_OR_RETURN(report::Report r, report::BuildReport(reader, {"campus"}, options));
//   std::string html = report::RenderHtml(r);   // html_report.h
//
// Where the events come from is an EventReader (cairn/store/event_reader.h):
// a database, a `cairn serve`, or a signed bundle. The report reads each
// target's events in position order and its chain's VerifyReport.
//
// The model keeps everything the page needs and nothing per event: a report
// over 10,000 migrations holds one row per migration, one summary per run,
// the failures, and event counts per day.
#ifndef CAIRN_CLIENTS_REPORT_REPORT_MODEL_H_
#define CAIRN_CLIENTS_REPORT_REPORT_MODEL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/store/event_reader.h"
#include "cairn/store/store.h"
#include "cairn/v1/events.pb.h"

namespace cairn::report {

// How a run ended, as the page colours it.
enum class RunKind {
  kApplied,     // an up run that succeeded
  kRolledBack,  // a down run that succeeded
  kFailed,      // a run that recorded a failure
  kOpen,        // no RunFinished: still running, or the process died
  kOther,       // nothing to do, or an outcome this version does not know
};
// "applied", "rolled_back", "failed", "open", "other".
const char* RunKindName(RunKind kind);

struct TargetSummary {
  std::string name;
  bool verified = false;  // Verify ran (whatever its result)
  ledger::VerifyReport verify;
  std::string verify_error;  // why Verify could not run, when !verified
  std::string read_error;    // why the history could not be read to its end
  int64_t events = 0;        // events read
};

struct RunSummary {
  int target = 0;  // index into Report::targets
  std::string run_id;
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  v1::RunOutcome outcome = v1::RUN_OUTCOME_UNSPECIFIED;
  RunKind kind = RunKind::kOpen;
  int64_t started_at = 0;   // micros
  int64_t finished_at = 0;  // micros; 0 when there is no RunFinished
  int64_t last_event_at = 0;
  std::string actor;  // "user@host"
  std::string command_line;
  int32_t migrations = 0;            // migrations started in the run
  std::vector<int64_t> batch_times;  // micros of its BatchApplied events
  int64_t first_position = 0;
};

// One migration of one target, as the table shows it.
struct MigrationRow {
  int target = 0;
  std::string id;
  std::string description;
  v1::StorageType storage_type = v1::STORAGE_TYPE_UNSPECIFIED;
  std::string state;           // "applied", "rolled_back", "failed"
  int64_t applied_at = 0;      // micros; 0 if never applied
  int64_t rolled_back_at = 0;  // micros; 0 if never rolled back
  std::string applied_by;
  std::string rolled_back_by;
  int64_t duration_micros = 0;  // of the last apply
  std::string checksum;         // of the version last applied
  std::string file;
  // The last failure, when there was one (kept when a later attempt succeeded).
  std::string error;
  std::string error_file;
  int32_t error_line = 0;
  int64_t last_event_at = 0;  // micros of the last event about this migration
  int64_t last_position = 0;  // its position
};

// One MigrationFailed event.
struct FailureRow {
  int target = 0;
  int64_t at = 0;
  int64_t position = 0;
  std::string migration_id;
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  std::string file;
  int32_t line = 0;
  std::string message;
  std::string statement;  // trimmed to ReportOptions::max_statement_chars
};

enum class BundleCheck { kNotChecked, kValid, kInvalid };

struct Report {
  std::string title;
  std::string origin;
  int64_t generated_at = 0;  // micros
  std::string tool_version;  // e.g. "cairn 0.1.0"
  std::vector<TargetSummary> targets;
  int64_t period_start = 0;  // micros of the first event; 0 when there are none
  int64_t period_end = 0;
  int64_t total_events = 0;
  std::vector<RunSummary> runs;          // by start time
  std::vector<MigrationRow> migrations;  // by target, then migration id
  std::vector<FailureRow> failures;      // oldest first, at most max_failures
  int64_t failures_omitted = 0;          // failures beyond max_failures
  // Events per UTC day (days since 1970-01-01), per target index.
  std::map<std::pair<int, int64_t>, int64_t> events_per_day;
  // The signature of an exported bundle; the database source has none.
  BundleCheck bundle = BundleCheck::kNotChecked;
  std::string bundle_detail;

  // True when every target's chain verified.
  bool AllVerified() const;
};

struct ReportOptions {
  std::string title;  // empty: "cairn ledger report: " + the targets
  std::string tool_version;
  int64_t now_micros = 0;  // 0: the current time
  size_t max_failures = 1000;
  size_t max_statement_chars = 500;
};

// Days since 1970-01-01 (UTC) of `micros`, rounded down.
int64_t DayNumber(int64_t micros);

// Reads each of `targets` (streams of `reader`, in the order the report
// lists them) and folds them into a Report; the header's origin is
// reader.Origin(). An error is returned only when nothing useful can be
// shown (no targets); a history that cannot be read to its end, or a chain
// that cannot be verified, is recorded in the target's summary and shown
// on the page.
StatusOr<Report> BuildReport(ledger::EventReader& reader, const std::vector<std::string>& targets,
                             const ReportOptions& options);

}  // namespace cairn::report

#endif  // CAIRN_CLIENTS_REPORT_REPORT_MODEL_H_
