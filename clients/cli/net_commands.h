// The commands that can talk to a `cairn serve`, split along the line that
// keeps gRPC out of `cairn` (docs/design.md, "Three files, one command line").
//
// The command table -- each command's name, flags and help, and the work
// that reads the target's database directly -- is in clients/cli/, compiled
// once and linked into both `cairn` and `cairn-net`, so `cairn --help`,
// completion and "did you mean" know every command. The network half of
// each command is in clients/net/, linked only into `cairn-net` (and into
// runner binaries built with cairn_add_migrations); when it is loaded it
// fills in NetworkCommands. Where it is not linked, every entry is empty and
// RunNetwork hands the process over to cairn-net (net_exec.h).
#ifndef CAIRN_CLIENTS_CLI_NET_COMMANDS_H_
#define CAIRN_CLIENTS_CLI_NET_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/export/export.h"
#include "cairn/store/event_reader.h"
#include "cli/cli.h"
#include "cli/history_filter.h"
#include "cli/net_exec.h"
#include "cli/remote_flags.h"
#include "report/report_model.h"
#include "yapper/yapper_bridge.h"

namespace cairn::cli {

// `cairn serve` (docs/service.md): all of it is network.
struct ServeFlags {
  std::vector<std::string> databases;
  std::string config;
  std::string listen;
  std::string tokens_file;
  std::string tls_cert, tls_key, tls_client_ca;
  std::string ready_file;
  int64_t queue = 1024;
  int64_t fallback_poll_ms = 1000;
};

// `cairn subscribe`: all of it is network.
struct SubscribeFlags {
  RemoteFlags remote;
  std::string stream;
  int64_t from = 0;
  bool from_end = false;
  bool json = false;
  int64_t count = 0;
  bool until_caught_up = false;
};

// `cairn export` (docs/export.md); --server reads through the server.
struct ExportOptions {
  std::string format;
  std::string stream;
  bool all_streams = false;
  std::string out;
  std::string key;
  RemoteFlags remote;
};

// `cairn report` (docs/report.md); --server reads through the server.
struct ReportArgs {
  std::string out;
  std::vector<std::string> streams;
  bool all_streams = false;
  std::string title;
  RemoteFlags remote;
  std::string bundle, pubkey;
};

// `cairn yapper-bridge` (docs/yapper-bridge.md); --server follows a
// subscription.
struct BridgeCommandOptions {
  RemoteFlags remote;
  std::string target;
  std::string yapper;
  int batch = 100;
  bool once = false;
  int poll_ms = 50;
};

// The network half of each command. Each returns the process exit code
// (after printing one error line on failure), as a CommandAction does.
struct NetworkCommands {
  bool linked = false;  // clients/net is in this program
  int (*serve)(const ServeFlags&, CliContext&) = nullptr;
  int (*subscribe)(const SubscribeFlags&, CliContext&) = nullptr;
  // `history --server`: prints the stream like `history` (json: one object per
  // line), through the same filters.
  int (*history)(const RemoteFlags&, const std::string& stream, bool json,
                 const HistoryFilter& filter) = nullptr;
  // `export --server`: writes the export as the direct export does.
  int (*export_records)(const CliContext&, const ExportOptions&, ledger::ExportFormat,
                        const ledger::SigningKey*) = nullptr;
  // `report --server`: folds the served streams into *out.
  int (*report)(const ReportArgs&, const CliContext&, const report::ReportOptions&,
                report::Report* out) = nullptr;
  // `yapper-bridge --server`: calls `run` with the server's reader (which
  // follows through a subscription) and the stream.
  int (*yapper_bridge)(const CliContext&, const BridgeCommandOptions&,
                       const std::function<int(ledger::EventReader&, const std::string&)>& run) =
      nullptr;
};

// This program's entries (empty in `cairn`).
NetworkCommands& Network();

// Sets one entry; clients/net calls it once per command at static
// initialisation: `const bool r = SetNetworkEntry(&NetworkCommands::serve, &RunServe);`
template <typename Fn>
bool SetNetworkEntry(Fn NetworkCommands::*entry, Fn fn) {
  Network().*entry = fn;
  Network().linked = true;
  return true;
}

// Runs the network half `entry` with `args`, or, where clients/net is not
// linked, hands the process over to cairn-net (which runs the same command).
template <typename... Params, typename... Args>
int RunNetwork(int (*entry)(Params...), Args&&... args) {
  if (entry == nullptr) return RunInCairnNet();
  return entry(std::forward<Args>(args)...);
}

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_NET_COMMANDS_H_
