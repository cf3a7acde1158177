// cairn subscribe: follows a stream (or every stream) of a `cairn serve`:
// history, then live events, reconnecting and resuming after server restarts.
#include <cstdio>
#include <memory>

#include "cli.h"
#include "cli_output.h"
#include "net_exec.h"
#include "remote_flags.h"
#if !CAIRN_CLI_LOCAL
#include "remote_options.h"
#endif

namespace cairn::cli {
namespace {

struct SubscribeFlags {
  RemoteFlags remote;
  std::string stream;
  int64_t from = 0;
  bool from_end = false;
  bool json = false;
  int64_t count = 0;
  bool until_caught_up = false;
};

#if CAIRN_CLI_LOCAL
// The `cairn` executable hands subscribing to cairn-net (net_exec.h).
int RunSubscribe(const SubscribeFlags&, CliContext&) { return RunInCairnNet(); }
#else
int RunSubscribe(const SubscribeFlags& f, CliContext& ctx) {
  if (f.remote.server.empty()) return Fail(InvalidArgumentError("--server: required"));
  if (f.from < 0) return Fail(InvalidArgumentError("--from: must not be negative"));
  int rc;
  auto c = f.remote.Connect(&rc);
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
#endif  // CAIRN_CLI_LOCAL

}  // namespace

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
      return [f](CliContext& ctx) { return RunSubscribe(*f, ctx); };
    });

}  // namespace cairn::cli
