// cairn serve: serves the ledgers of one or more targets over gRPC
// (docs/service.md). Targets come from repeated --database options and/or a
// TOML config file (--config, format in docs/service.md).
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "net_exec.h"

#if !CAIRN_CLI_LOCAL
#include <signal.h>
#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "cairn/service/ledger_service.h"
#endif

namespace cairn::cli {
namespace {

struct ServeFlags {
  std::vector<std::string> databases;
  std::string config;
  std::string listen;
  std::string tokens_file;
  std::string tls_cert, tls_key, tls_client_ca;
  std::string ready_file;
  int64_t queue = 1024;
  int64_t fallback_poll_ms = 1000;
};

#if CAIRN_CLI_LOCAL
// The `cairn` executable hands serving to cairn-net (net_exec.h).
int RunServe(const ServeFlags&, CliContext&) { return RunInCairnNet(); }
#else
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

int RunServe(ServeFlags f, CliContext& ctx) {
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
#endif  // CAIRN_CLI_LOCAL

}  // namespace

CAIRN_REGISTER_COMMAND(serve, "serve ledgers over gRPC (docs/service.md)", 80,
                       [](CLI::App* cmd) -> CommandAction {
                         auto f = std::make_shared<ServeFlags>();
                         cmd->add_option("--database", f->databases,
                                         "a target to serve (repeatable; default: the global "
                                         "--database)");
                         cmd->add_option("--config", f->config, "TOML config file");
                         cmd->add_option("--listen", f->listen,
                                         "host:port (default 127.0.0.1:7433; port 0: any free)");
                         cmd->add_option("--tokens-file", f->tokens_file,
                                         "bearer tokens, one 'NAME ROLES TOKEN' per line (also "
                                         "$CAIRN_SERVE_TOKENS)");
                         cmd->add_option("--tls-cert", f->tls_cert, "PEM server certificate");
                         cmd->add_option("--tls-key", f->tls_key, "PEM key of --tls-cert");
                         cmd->add_option("--tls-client-ca", f->tls_client_ca,
                                         "PEM CA for client certificates: mutual TLS");
                         cmd->add_option("--ready-file", f->ready_file,
                                         "write the listening port to this file when ready");
                         cmd->add_option("--fallback-poll", f->fallback_poll_ms,
                                         "MS between re-reads when no change is signalled "
                                         "(default 1000)");
                         return [f](CliContext& ctx) { return RunServe(*f, ctx); };
                       });

}  // namespace cairn::cli
