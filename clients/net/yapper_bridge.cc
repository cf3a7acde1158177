// cairn yapper-bridge --server, the network half (the command:
// cli/cmd_yapper_bridge.cc): the events come from a `cairn serve`
// subscription instead of the target's database.
#include <algorithm>
#include <functional>

#include "cli/cli.h"
#include "cli/net_commands.h"
#include "net/remote_options.h"
#include "net/subscription_source.h"

namespace cairn::cli {
namespace {

int RunRemoteBridge(const CliContext& ctx, const BridgeCommandOptions& o,
                    const std::function<int(EventSource&)>& run) {
  int rc = 0;
  // Through the server: ListStreams checks the address, the token and the
  // stream before Yapper's database is touched.
  auto client_options = ClientOptionsOf(o.remote);
  if (!client_options.ok()) return Fail(client_options.status());
  auto client = Connect(o.remote, &rc);
  if (!client) return rc;
  auto info = ResolveStream(*client, ctx.stream, o.target);
  if (!info.ok()) return Fail(info.status().Annotate("server " + o.remote.server));
  SubscriptionEventSource source(*client_options, info->stream(), info->target(),
                                 static_cast<size_t>(std::max(o.batch * 4, 256)));
  return run(source);
}

[[maybe_unused]] const bool registered =
    SetNetworkEntry(&NetworkCommands::yapper_bridge, &RunRemoteBridge);

}  // namespace
}  // namespace cairn::cli
