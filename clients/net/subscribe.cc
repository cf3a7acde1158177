// cairn subscribe, the network half (the command's flags: cli/cmd_subscribe.cc).
#include <cstdio>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/net_commands.h"
#include "net/remote_options.h"

namespace cairn::cli {
namespace {

int RunSubscribe(const SubscribeFlags& f, CliContext& ctx) {
  if (f.remote.server.empty()) return Fail(InvalidArgumentError("--server: required"));
  if (f.from < 0) return Fail(InvalidArgumentError("--from: must not be negative"));
  int rc;
  auto c = Connect(f.remote, &rc);
  if (!c) return rc;
  client::SubscribeParams p;
  p.request.set_stream(f.stream.empty() ? ctx.stream : f.stream);
  if (f.from_end)
    p.request.set_from_end(true);
  else
    p.request.set_after_position(f.from);
  p.reconnect = true;
  int64_t received = 0;
  client::SubscribeHandlers h;
  h.on_record = [&](const v1::LedgerRecord& r) {
    PrintHistoryEvent(r.event(), f.json);
    std::fflush(stdout);
    return !(f.count > 0 && ++received >= f.count);
  };
  h.on_caught_up = [&](const v1::CaughtUp&) {
    if (!ctx.quiet) std::fprintf(stderr, "cairn: caught up; following live events\n");
    return !f.until_caught_up;
  };
  Status s = c->Subscribe(p, h);
  if (!s.ok()) return Fail(s.Annotate("server " + f.remote.server));
  return kExitOk;
}

[[maybe_unused]] const bool registered_subscribe =
    SetNetworkEntry(&NetworkCommands::subscribe, &RunSubscribe);

}  // namespace
}  // namespace cairn::cli
