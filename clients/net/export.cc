// cairn export --server, the network half (the command: cli/cmd_export.cc):
// the same writer as the direct export, fed by the server's Export RPC.
#include <cstdio>
#include <string>

#include "cairn/base/hash.h"
#include "cli/cli.h"
#include "cli/net_commands.h"
#include "cli/output_file.h"
#include "net/remote_options.h"
#include "net/remote_sources.h"

namespace cairn::cli {
namespace {

// export --server: the same writer, fed by the server's Export RPC.
int RunRemoteExport(const CliContext& ctx, const ExportOptions& o, ledger::ExportFormat format,
                    const ledger::SigningKey* key) {
  int rc = 0;
  auto client = Connect(o.remote, &rc);
  if (!client) return rc;
  const std::string server = "server " + o.remote.server;
  v1::ExportRequest request;
  if (!o.all_streams) {
    // A named stream goes to Export as is (an exporter token suffices);
    // finding the server's only stream takes ListStreams (a reader's call).
    request.set_stream(o.stream.empty() ? ctx.stream : o.stream);
    if (request.stream().empty()) {
      auto info = ResolveStream(*client, "");
      if (!info.ok()) return Fail(info.status().Annotate(server));
      request.set_target(info->target());
      request.set_stream(info->stream());
    }
  }
  const std::string origin = "grpc://" + o.remote.server;
  OutputFile out;
  if (Status s = out.Open(o.out); !s.ok()) return Fail(s);
  auto writer = ledger::NewExportWriter(
      format, [&](std::string_view b) { return out.Write(b); }, key, origin, ledger::NowMicros());
  if (!writer.ok()) return Fail(writer.status());
  auto n = ExportThroughServer(*client, request, **writer);
  if (!n.ok()) return Fail(n.status().Annotate(server));
  if (Status s = out.Commit(); !s.ok()) return Fail(s);
  if (!ctx.quiet && !o.out.empty()) {
    std::fprintf(stderr, "exported %lld record(s) from %s to %s\n", static_cast<long long>(*n),
                 server.c_str(), o.out.c_str());
  }
  return kExitOk;
}
[[maybe_unused]] const bool registered =
    SetNetworkEntry(&NetworkCommands::export_records, &RunRemoteExport);

}  // namespace
}  // namespace cairn::cli
