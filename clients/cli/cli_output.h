// Shared renderings of ledger events and run reports for the CLI.
#ifndef CAIRN_CLIENTS_CLI_CLI_OUTPUT_H_
#define CAIRN_CLIENTS_CLI_CLI_OUTPUT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cairn/runner/runner.h"
#include "cairn/v1/events.pb.h"
#include "cli/json_output.h"

namespace cairn::cli {

// One line describing the event's body, e.g. "0003 up (add users) sha256:…".
std::string EventSummary(const v1::Event& e);
// The event as a JSON object (the format of `history --json`).
nlohmann::json EventJson(const v1::Event& e);

// Prints one event as `history` does (a table row, or a JSON line).
void PrintHistoryEvent(const v1::Event& e, bool json_out);
// Prints what a migrate (up) or rollback run did; failures go to stderr.
// Under -q (SetQuietOutput) a successful run prints nothing.
void PrintRun(const runner::RunReport& r, bool up);
// -q: PrintRun reports failures only.
void SetQuietOutput(bool quiet);

// The events `run_id` appended after position `head_before`, read back from
// the ledger (for the durations and counts of migrate/rollback --json).
std::vector<v1::Event> RunEvents(runner::Runner& runner, int64_t head_before,
                                 const std::string& run_id);
// The fields of migrate/rollback --json (docs/json.md): what the run applied
// or reverted, with each migration's duration, statements and batches from
// `events`, and why it stopped. `target_given`: --to (or --steps) chose
// where to stop.
void RunJsonFields(JsonDocument& doc, const runner::RunReport& r, bool up,
                   const std::vector<v1::Event>& events, bool target_given);
// Why a run stopped, for a run that was refused or could not start: the
// error's exit code named (docs/json.md, "stopped").
nlohmann::json StoppedBy(int exit_code);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_CLI_OUTPUT_H_
