// cairn report --server, the network half (the command: cli/cmd_report.cc).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "cli/net_commands.h"
#include "net/remote_options.h"

namespace cairn::cli {
namespace {

// The events read through `cairn serve` (client::ServerEventReader):
// ReadStream and Verify. The streams are resolved first, which also checks
// the address and the token.
int BuildRemote(const ReportArgs& args, const CliContext& ctx, const report::ReportOptions& opts,
                report::Report* out) {
  int rc;
  auto reader = ConnectReader(args.remote, &rc);
  if (!reader) return rc;
  const std::string server = "server " + args.remote.server;
  std::vector<std::string> streams;
  if (args.all_streams) {
    auto listed = reader->client().ListStreams();
    if (!listed.ok()) return Fail(listed.status().Annotate(server));
    for (const auto& s : listed->streams()) {
      // A name several targets hold is read from the first one listed.
      if (std::find(streams.begin(), streams.end(), s.stream()) == streams.end())
        reader->SetTarget(s.stream(), s.target());
      streams.push_back(s.stream());
    }
  } else {
    std::vector<std::string> names = args.streams;
    if (names.empty()) names.push_back(ctx.stream);  // empty: the server's only stream
    for (const std::string& name : names) {
      auto info = ResolveStream(reader->client(), name);
      if (!info.ok()) return Fail(info.status().Annotate(server));
      reader->SetTarget(info->stream(), info->target());
      streams.push_back(info->stream());
    }
  }
  auto built = report::BuildReport(*reader, streams, opts);
  if (!built.ok()) return Fail(built.status());
  *out = std::move(*built);
  return kExitOk;
}

[[maybe_unused]] const bool registered_report =
    SetNetworkEntry(&NetworkCommands::report, &BuildRemote);

}  // namespace
}  // namespace cairn::cli
