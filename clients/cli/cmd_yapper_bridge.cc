// cairn yapper-bridge --yapper URL [--server ADDR]: emits a ledger's events
// into Yapper's tables (docs/yapper-bridge.md), exactly once across restarts.
// With --server the events come from a `cairn serve` subscription; without,
// from the target's database. Both feed the same YapperBridge::Run.
#include <csignal>
#include <cstdio>
#include <functional>

#include "cairn/store/database_reader.h"
#include "cli/cmd_export.h"
#include "cli/net_commands.h"
#include "yapper/yapper_bridge.h"

namespace cairn::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int RunBridge(CliContext& ctx, const BridgeCommandOptions& o) {
  if (o.batch < 1 || o.poll_ms < 1) {
    std::fprintf(stderr, "cairn: error: --batch and --poll-ms must be at least 1\n");
    return kExitUsage;
  }
  // One mapping, two readers: whichever reader, the same bridge maps and
  // persists the events.
  std::function<int(ledger::EventReader&, const std::string&)> run =
      [&](ledger::EventReader& reader, const std::string& stream) -> int {
    auto bridge = YapperBridge::Open(o.yapper, stream);
    if (!bridge.ok()) return Fail(bridge.status().Annotate("--yapper"), /*connecting=*/true);
    std::signal(SIGTERM, OnSignal);
    std::signal(SIGINT, OnSignal);
    BridgeOptions options;
    options.batch = o.batch;
    options.once = o.once;
    options.wait = std::chrono::milliseconds(500);
    options.stop = &g_stop;
    auto written = (*bridge)->Run(reader, stream, options);
    // Yapper's tables refused a row (kYapperMismatch): restarting will not
    // help (exit 13).
    if (!written.ok()) return Fail(written.status());
    auto position = (*bridge)->Position();
    if (!position.ok()) return Fail(position.status());
    if (!ctx.quiet) {
      std::printf("stream %s: %lld Yapper event(s) written, bridged up to position %lld\n",
                  stream.c_str(), static_cast<long long>(*written),
                  static_cast<long long>(*position));
    }
    return kExitOk;
  };
  int rc = 0;
  if (o.remote.server.empty()) {
    auto target = OpenLedgerOf(ctx, "", &rc);
    if (!target) return rc;
    ledger::DatabaseEventReader reader(*target->store, target->conn->url().redacted,
                                       std::chrono::milliseconds(o.poll_ms));
    return run(reader, target->stream);
  }
  return RunNetwork(Network().yapper_bridge, ctx, o, run);  // net/yapper_bridge.cc
}

CommandAction BridgeSetup(CLI::App* cmd) {
  auto o = std::make_shared<BridgeCommandOptions>();
  cmd->add_option("--yapper", o->yapper, "Yapper's database: sqlite:PATH or postgres://...")
      ->required();
  cmd->add_option("--batch", o->batch, "ledger events per Yapper transaction")
      ->capture_default_str();
  cmd->add_flag("--once", o->once, "stop when caught up instead of following the ledger");
  cmd->add_option("--poll-ms", o->poll_ms,
                  "how often to look for new events in the database (without --server)")
      ->capture_default_str();
  o->remote.Add(cmd);
  cmd->add_option("--target", o->target,
                  "with --server: the served target, to follow a stream before its first event");
  return [o](CliContext& ctx) { return RunBridge(ctx, *o); };
}

// The name has a dash, so register without the macro.
[[maybe_unused]] const bool registered = RegisterCommand(
    {"yapper-bridge", "emit ledger events into Yapper's tables, exactly once", 63, BridgeSetup});

}  // namespace
}  // namespace cairn::cli
