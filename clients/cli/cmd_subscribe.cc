// cairn subscribe: follows a stream (or every stream) of a `cairn serve`:
// history, then live events, reconnecting and resuming after server restarts.
// The command table's entry; net/subscribe.cc does the work (net_commands.h).
#include <memory>

#include "cli/cli.h"
#include "cli/net_commands.h"

namespace cairn::cli {

CAIRN_REGISTER_COMMAND(
    subscribe, "follow a ledger stream served by `cairn serve`", 70,
    [](CLI::App* cmd) -> CommandAction {
      auto f = std::make_shared<SubscribeFlags>();
      f->remote.Add(cmd);
      cmd->add_option("--stream", f->stream, "stream to follow (default: every stream)");
      cmd->add_option("--from", f->from, "start after this position (0: from the start)");
      cmd->add_flag("--from-end", f->from_end, "only events committed from now");
      cmd->add_flag("--json", f->json, "print one JSON object per line");
      cmd->add_option("--count", f->count, "exit after this many events");
      cmd->add_flag("--until-caught-up", f->until_caught_up, "exit once the history is printed");
      return [f](CliContext& ctx) { return RunNetwork(Network().subscribe, *f, ctx); };
    });

}  // namespace cairn::cli
