// The command-line options of the commands that talk to `cairn serve`:
// --server, --token / --token-file (default: $CAIRN_TOKEN), --tls-ca,
// --tls-cert, --tls-key. Declared without gRPC so that the `cairn`
// executable parses them too (net_exec.h); connecting with them is
// clients/net's (net/remote_options.h).
#ifndef CAIRN_CLIENTS_CLI_REMOTE_FLAGS_H_
#define CAIRN_CLIENTS_CLI_REMOTE_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

namespace cairn::cli {

struct RemoteFlags {
  std::string server, token, token_file, tls_ca, tls_cert, tls_key;

  // Adds the options to `cmd`; `this` must outlive parsing.
  void Add(CLI::App* cmd);
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_REMOTE_FLAGS_H_
