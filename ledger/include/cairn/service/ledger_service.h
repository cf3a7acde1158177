// The Ledger gRPC service (proto/cairn/v1/ledger_service.proto,
// docs/service.md) over the ledgers of one or more targets, and a server
// that hosts it with token auth, TLS, health checking and reflection.
//
//   service::ServerOptions opts;
//   opts.listen = "127.0.0.1:7433";
//   opts.targets = {{"", "sqlite:campus.db"}};
//   CAIRN_RETURN_IF_ERROR(opts.tokens.Parse("ops reader,writer 0123456789abcdef", "inline"));
//   CAIRN_ASSIGN_OR_RETURN(auto server, service::LedgerServer::Start(std::move(opts)));
//   server->Wait();  // until Shutdown() from another thread
//
// Invariants: a subscriber receives each record of its streams exactly once,
// in position order, however slowly it reads (a subscriber whose bounded
// queue overflows re-reads from the database); a slow subscriber never
// delays the others. Every failure reaches the client as a gRPC status; the
// server stays up.
#ifndef CAIRN_SERVICE_LEDGER_SERVICE_H_
#define CAIRN_SERVICE_LEDGER_SERVICE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/service/auth.h"

namespace cairn::service {

struct TargetSpec {
  std::string name;  // empty: the database's name (docs/ledger-format.md, "Stream names")
  std::string url;   // sqlite:PATH or postgres://...
};

struct TlsOptions {
  std::string cert_file;       // PEM; empty: plaintext
  std::string key_file;        // PEM
  std::string client_ca_file;  // PEM; set: mutual TLS, clients must present a cert it signed
};

struct ServerOptions {
  std::string listen = "127.0.0.1:7433";  // host:port; port 0 picks a free one
  std::vector<TargetSpec> targets;
  TokenTable tokens;  // must not be empty
  TlsOptions tls;
  // Records a subscriber may have queued before it falls back to re-reading.
  size_t subscriber_queue = 1024;
  // How often the store is re-read even without a change signal.
  std::chrono::milliseconds fallback_poll{1000};
  // Connections per target shared by all calls (subscribers hold one only
  // while they read).
  int pool_size = 8;
};

class LedgerServer {
 public:
  // Opens every target (each must be reachable), starts change watchers and
  // the gRPC server. Errors: kInvalidArgument for bad options (naming the
  // option), kUnavailable when a target or the address cannot be used.
  static StatusOr<std::unique_ptr<LedgerServer>> Start(ServerOptions options);
  virtual ~LedgerServer() = default;

  virtual int port() const = 0;
  // Blocks until Shutdown.
  virtual void Wait() = 0;
  // Ends every call (subscriptions end with status CANCELLED or UNAVAILABLE)
  // and stops the server; idempotent, callable from any thread.
  virtual void Shutdown() = 0;
};

}  // namespace cairn::service

#endif  // CAIRN_SERVICE_LEDGER_SERVICE_H_
