// Shared between cmd_export.cc and the commands that route to it: the export
// itself, opening a target's ledger read-only, and offline bundle
// verification for `verify`.
#ifndef CAIRN_CLIENTS_CLI_CMD_EXPORT_H_
#define CAIRN_CLIENTS_CLI_CMD_EXPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/export/export.h"
#include "cairn/store/event_reader.h"
#include "cairn/store/store.h"
#include "cli/cli.h"
#include "cli/net_commands.h"

namespace cairn::cli {

// `verify --bundle FILE --pubkey KEY`: the options and the check.
struct BundleCheckOptions {
  std::string bundle;
  std::string pubkey;
  bool json = false;
};
void AddBundleCheckOptions(CLI::App* cmd, BundleCheckOptions* options);
// Verifies the bundle offline (docs/export.md). Returns the exit code.
int VerifyBundleFile(const BundleCheckOptions& options);

// `export`'s work, from any reader (the database, or a server: net/export.cc):
// writes the records of `streams` (empty: every stream) in `format` to
// --out (through a temporary file) or stdout, and returns how many. Errors
// while reading or writing the records are annotated with `reading_from`
// when it is not empty.
StatusOr<int64_t> ExportWith(ledger::EventReader& reader, const std::vector<std::string>& streams,
                             const ExportOptions& options, ledger::ExportFormat format,
                             const ledger::SigningKey* key, const std::string& reading_from = "");

// A connection to --database and a ledger store on it.
struct OpenLedger {
  std::unique_ptr<db::Connection> conn;
  std::unique_ptr<ledger::LedgerStore> store;
  std::string stream;  // the target's stream (ledger::ResolveStream); for another URL,
                       // --stream or the database's name
};
// Opens `url` (ctx.database, the target, when empty). On error prints it and
// sets *exit_code. The target's stream is resolved from its ledger
// (ledger::ResolveStream; `any_stream`: the caller reads every stream).
// A SQLite file that does not exist is an error (exit 4) unless `create`.
std::unique_ptr<OpenLedger> OpenLedgerOf(const CliContext& ctx, const std::string& url,
                                         int* exit_code, bool any_stream = false,
                                         bool create = false);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_CMD_EXPORT_H_
