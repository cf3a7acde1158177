// cairn serve, the network half (the command's flags: cli/cmd_serve.cc):
// the targets from --database and --config, the gRPC server, and a clean
// shutdown on SIGINT or SIGTERM.
#include <signal.h>
#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "cairn/service/ledger_service.h"
#include "cli/cli.h"
#include "cli/net_commands.h"

namespace cairn::cli {
namespace {

// Reads the TOML config file into `o` (flags given on the command line win).
Status LoadConfig(const std::string& path, service::ServerOptions* o, ServeFlags* f) {
  // Debian's toml++ is built with exceptions; none leaves this function.
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    return InvalidArgumentError(path + ":" + std::to_string(err.source().begin.line) + ": " +
                                std::string(err.description()));
  }
  auto line = [&](const toml::node* n) {
    return path + ":" + std::to_string(n ? n->source().begin.line : 0) + ": ";
  };
  for (const auto& [key, node] : t) {
    const std::string k(key.str());
    if (k != "listen" && k != "tokens_file" && k != "target" && k != "tls" &&
        k != "subscriber_queue")
      return InvalidArgumentError(line(&node) + "unknown key '" + k + "'");
  }
  if (auto v = t["listen"].value<std::string>(); v && f->listen.empty()) f->listen = *v;
  if (auto v = t["tokens_file"].value<std::string>(); v && f->tokens_file.empty())
    f->tokens_file = *v;
  if (auto v = t["subscriber_queue"].value<int64_t>()) f->queue = *v;
  if (const toml::table* tls = t["tls"].as_table()) {
    if (auto v = (*tls)["cert"].value<std::string>(); v && f->tls_cert.empty()) f->tls_cert = *v;
    if (auto v = (*tls)["key"].value<std::string>(); v && f->tls_key.empty()) f->tls_key = *v;
    if (auto v = (*tls)["client_ca"].value<std::string>(); v && f->tls_client_ca.empty())
      f->tls_client_ca = *v;
  }
  if (const toml::node* targets = t.get("target")) {
    const toml::array* arr = targets->as_array();
    if (!arr)
      return InvalidArgumentError(line(targets) +
                                  "'target' must be an array of tables ([[target]])");
    for (const toml::node& n : *arr) {
      const toml::table* tt = n.as_table();
      if (!tt) return InvalidArgumentError(line(&n) + "'target' entries must be tables");
      auto db = (*tt)["database"].value<std::string>();
      if (!db) return InvalidArgumentError(line(&n) + "[[target]] needs database = \"URL\"");
      o->targets.push_back({(*tt)["name"].value_or(std::string()), *db});
    }
  }
  return Status::Ok();
}

int RunServe(const ServeFlags& flags, CliContext& ctx) {
  ServeFlags f = flags;  // the config file fills in what the flags left empty
  service::ServerOptions o;
  if (!f.config.empty()) {
    if (Status s = LoadConfig(f.config, &o, &f); !s.ok()) return Fail(s);
  }
  for (const auto& d : f.databases) o.targets.push_back({"", d});
  if (o.targets.empty() && !ctx.database.empty()) o.targets.push_back({"", ctx.database});
  if (!f.listen.empty()) o.listen = f.listen;
  if (f.queue < 1) return Fail(InvalidArgumentError("subscriber_queue: must be positive"));
  o.subscriber_queue = static_cast<size_t>(f.queue);
  if (f.fallback_poll_ms < 10)
    return Fail(InvalidArgumentError("--fallback-poll: must be at least 10 (milliseconds)"));
  o.fallback_poll = std::chrono::milliseconds(f.fallback_poll_ms);
  o.tls = {f.tls_cert, f.tls_key, f.tls_client_ca};
  if (!f.tokens_file.empty()) {
    if (Status s = o.tokens.LoadFile(f.tokens_file); !s.ok()) return Fail(s);
  }
  if (const char* env = std::getenv("CAIRN_SERVE_TOKENS")) {
    if (Status s = o.tokens.Parse(env, "$CAIRN_SERVE_TOKENS"); !s.ok()) return Fail(s);
  }

  // SIGINT and SIGTERM are taken by a thread that shuts the server down;
  // every other thread (gRPC's included) inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = service::LedgerServer::Start(std::move(o));
  if (!server.ok())
    return Fail(server.status());  // kUnavailable (cannot listen, no database): exit 4
  std::printf("cairn serve: listening on port %d\n", (*server)->port());
  std::fflush(stdout);
  if (!f.ready_file.empty()) {
    std::ofstream(f.ready_file + ".tmp") << (*server)->port() << "\n";
    std::rename((f.ready_file + ".tmp").c_str(), f.ready_file.c_str());
  }
  service::LedgerServer* raw = server->get();
  std::thread stopper([raw, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    raw->Shutdown();
  });
  raw->Wait();
  // Wait returns only after Shutdown, which only the stopper calls.
  stopper.join();
  return kExitOk;
}
[[maybe_unused]] const bool registered_serve = SetNetworkEntry(&NetworkCommands::serve, &RunServe);

}  // namespace
}  // namespace cairn::cli
