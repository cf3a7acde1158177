// cairn serve: serves the ledgers of one or more targets over gRPC
// (docs/service.md). Targets come from repeated --database options and/or a
// TOML config file (--config, format in docs/service.md). The command
// table's entry; net/serve.cc does the work (net_commands.h).
#include <memory>

#include "cli/cli.h"
#include "cli/net_commands.h"

namespace cairn::cli {

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
                         return
                             [f](CliContext& ctx) { return RunNetwork(Network().serve, *f, ctx); };
                       });

}  // namespace cairn::cli
