// cairn report --server, the network half (the command: cli/cmd_report.cc).
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "cli/net_commands.h"
#include "net/remote_options.h"
#include "net/remote_sources.h"

namespace cairn::cli {
namespace {

// The events read through `cairn serve`: ReadStream and Verify. The streams
// are resolved first, which also checks the address and the token.
int BuildRemote(const ReportArgs& args, const CliContext& ctx, const report::ReportOptions& opts,
                report::Report* out) {
  int rc;
  auto client = Connect(args.remote, &rc);
  if (!client) return rc;
  const std::string server = "server " + args.remote.server;
  std::vector<ServedStream> streams;
  if (args.all_streams) {
    auto listed = client->ListStreams();
    if (!listed.ok()) return Fail(listed.status().Annotate(server));
    for (const auto& s : listed->streams()) streams.push_back({s.target(), s.stream()});
  } else {
    std::vector<std::string> names = args.streams;
    if (names.empty()) names.push_back(ctx.stream);  // empty: the server's only stream
    for (const std::string& name : names) {
      auto info = ResolveStream(*client, name);
      if (!info.ok()) return Fail(info.status().Annotate(server));
      streams.push_back({info->target(), info->stream()});
    }
  }
  ServerReportSource source(*client, streams, "grpc://" + args.remote.server);
  auto built = report::BuildReport(source, opts);
  if (!built.ok()) return Fail(built.status());
  *out = std::move(*built);
  return kExitOk;
}

[[maybe_unused]] const bool registered = SetNetworkEntry(&NetworkCommands::report, &BuildRemote);

}  // namespace
}  // namespace cairn::cli
