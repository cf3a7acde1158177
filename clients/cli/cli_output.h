// Shared renderings of ledger events and run reports for the CLI.
#ifndef CAIRN_CLIENTS_CLI_CLI_OUTPUT_H_
#define CAIRN_CLIENTS_CLI_CLI_OUTPUT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "cairn/runner/runner.h"
#include "cairn/v1/events.pb.h"

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

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_CLI_OUTPUT_H_
