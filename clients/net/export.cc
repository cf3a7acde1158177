// cairn export --server, the network half (the command: cli/cmd_export.cc):
// the same export as the direct one (ExportWith), its records read through
// the server (client::ServerEventReader).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/cmd_export.h"
#include "cli/net_commands.h"
#include "client/server_reader.h"
#include "net/remote_options.h"

namespace cairn::cli {
namespace {

// export --server: the same export, read through the server's Export RPC
// (ServerEventReader::ReadRecords).
int RunRemoteExport(const CliContext& ctx, const ExportOptions& o, ledger::ExportFormat format,
                    const ledger::SigningKey* key) {
  int rc = 0;
  auto reader = ConnectReader(o.remote, &rc);
  if (!reader) return rc;
  const std::string server = "server " + o.remote.server;
  std::vector<std::string> streams;  // empty (--all-streams): every stream of every target
  if (!o.all_streams) {
    // A named stream goes to Export as is (an exporter token suffices);
    // finding the server's only stream takes ListStreams (a reader's call).
    std::string stream = o.stream.empty() ? ctx.stream : o.stream;
    if (stream.empty()) {
      auto info = ResolveStream(reader->client(), "");
      if (!info.ok()) return Fail(info.status().Annotate(server));
      stream = info->stream();
      reader->SetTarget(stream, info->target());
    }
    streams.push_back(stream);
  }
  auto n = ExportWith(*reader, streams, o, format, key, server);
  if (!n.ok()) return Fail(n.status());
  if (!ctx.quiet && !o.out.empty()) {
    std::fprintf(stderr, "exported %lld record(s) from %s to %s\n", static_cast<long long>(*n),
                 server.c_str(), o.out.c_str());
  }
  return kExitOk;
}
[[maybe_unused]] const bool registered_export =
    SetNetworkEntry(&NetworkCommands::export_records, &RunRemoteExport);

}  // namespace
}  // namespace cairn::cli
