// The command-line options of the commands that talk to `cairn serve`:
// --server, --token / --token-file (default: $CAIRN_TOKEN), --tls-ca,
// --tls-cert, --tls-key. Declared without gRPC so that the `cairn`
// executable parses them too (net_exec.h); Options and Connect are defined
// only where the network code is linked (remote_options.cc).
#ifndef CAIRN_CLIENTS_REMOTE_FLAGS_H_
#define CAIRN_CLIENTS_REMOTE_FLAGS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cairn/base/status.h"

namespace cairn::client {
struct ClientOptions;
class LedgerClient;
}  // namespace cairn::client

namespace cairn::cli {

struct RemoteFlags {
  std::string server, token, token_file, tls_ca, tls_cert, tls_key;

  // Adds the options to `cmd`; `this` must outlive parsing.
  void Add(CLI::App* cmd);
  StatusOr<client::ClientOptions> Options() const;
  // Connects; on error prints it and returns null with *exit_code set.
  std::unique_ptr<client::LedgerClient> Connect(int* exit_code) const;
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_REMOTE_FLAGS_H_
