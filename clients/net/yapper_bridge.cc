// cairn yapper-bridge --server, the network half (the command:
// cli/cmd_yapper_bridge.cc): the events come from a `cairn serve`
// subscription (client::ServerEventReader) instead of the target's database.
#include <algorithm>
#include <functional>

#include "cli/cli.h"
#include "cli/net_commands.h"
#include "net/remote_options.h"

namespace cairn::cli {
namespace {

int RunRemoteBridge(const CliContext& ctx, const BridgeCommandOptions& o,
                    const std::function<int(ledger::EventReader&, const std::string&)>& run) {
  int rc = 0;
  // Through the server: ListStreams checks the address, the token and the
  // stream before Yapper's database is touched.
  auto reader = ConnectReader(o.remote, &rc, static_cast<size_t>(std::max(o.batch * 4, 256)));
  if (!reader) return rc;
  auto info = ResolveStream(reader->client(), ctx.stream, o.target);
  if (!info.ok()) return Fail(info.status().Annotate("server " + o.remote.server));
  reader->SetTarget(info->stream(), info->target());
  return run(*reader, info->stream());
}

[[maybe_unused]] const bool registered_yapper_bridge =
    SetNetworkEntry(&NetworkCommands::yapper_bridge, &RunRemoteBridge);

}  // namespace
}  // namespace cairn::cli
