// cairn yapper-bridge --yapper URL: emits the target's ledger events into
// Yapper's tables (docs/yapper-bridge.md), exactly once across restarts.
#include <csignal>
#include <cstdio>

#include "cmd_export.h"
#include "yapper_bridge.h"

namespace cairn::cli {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

struct BridgeCommandOptions {
  std::string yapper;
  int batch = 100;
  bool once = false;
  int poll_ms = 50;
};

int RunBridge(CliContext& ctx, const BridgeCommandOptions& o) {
  if (o.batch < 1 || o.poll_ms < 1) {
    std::fprintf(stderr, "cairn: error: --batch and --poll-ms must be at least 1\n");
    return runner::kExitUsage;
  }
  int rc = 0;
  auto target = OpenLedgerOf(ctx, "", &rc);
  if (!target) return rc;
  auto bridge = YapperBridge::Open(o.yapper, target->stream);
  if (!bridge.ok()) return Fail(bridge.status().Annotate("--yapper"), /*connecting=*/true);
  LedgerEventSource source(*target->conn, target->stream, std::chrono::milliseconds(o.poll_ms));
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  BridgeOptions options;
  options.batch = o.batch;
  options.once = o.once;
  options.wait = std::chrono::milliseconds(500);
  options.stop = &g_stop;
  auto written = (*bridge)->Run(source, options);
  if (!written.ok()) return Fail(written.status());
  auto position = (*bridge)->Position();
  if (!position.ok()) return Fail(position.status());
  if (!ctx.quiet) {
    std::printf("stream %s: %lld Yapper event(s) written, bridged up to position %lld\n",
                target->stream.c_str(), static_cast<long long>(*written),
                static_cast<long long>(*position));
  }
  return runner::kExitOk;
}

CommandAction BridgeSetup(CLI::App* cmd) {
  auto o = std::make_shared<BridgeCommandOptions>();
  cmd->add_option("--yapper", o->yapper, "Yapper's database: sqlite:PATH or postgres://...")
      ->required();
  cmd->add_option("--batch", o->batch, "ledger events per Yapper transaction")
      ->capture_default_str();
  cmd->add_flag("--once", o->once, "stop when caught up instead of following the ledger");
  cmd->add_option("--poll-ms", o->poll_ms, "how often to look for new events")
      ->capture_default_str();
  return [o](CliContext& ctx) { return RunBridge(ctx, *o); };
}

// The name has a dash, so register without the macro.
[[maybe_unused]] const bool registered = RegisterCommand(
    {"yapper-bridge", "emit ledger events into Yapper's tables, exactly once", 63, BridgeSetup});

}  // namespace
}  // namespace cairn::cli
