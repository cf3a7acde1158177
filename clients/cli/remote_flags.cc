#include "cli/remote_flags.h"

namespace cairn::cli {

void RemoteFlags::Add(CLI::App* cmd) {
  cmd->add_option("--server", server, "address of a `cairn serve` (host:port)");
  cmd->add_option("--token", token, "bearer token (default: $CAIRN_TOKEN)");
  cmd->add_option("--token-file", token_file, "file whose first line is the bearer token");
  cmd->add_option("--tls-ca", tls_ca, "PEM file of the CA that signed the server's certificate");
  cmd->add_option("--tls-cert", tls_cert, "PEM client certificate, for mutual TLS");
  cmd->add_option("--tls-key", tls_key, "PEM key of --tls-cert");
}

}  // namespace cairn::cli
