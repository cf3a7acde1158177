// Command-line options shared by the commands that talk to `cairn serve`:
// --server, --token / --token-file (default: $CAIRN_TOKEN), --tls-ca,
// --tls-cert, --tls-key.
#ifndef CAIRN_CLIENTS_REMOTE_OPTIONS_H_
#define CAIRN_CLIENTS_REMOTE_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cairn/base/status.h"
#include "cairn/v1/events.pb.h"
#include "ledger_client.h"

namespace cairn::cli {

struct RemoteFlags {
  std::string server, token, token_file, tls_ca, tls_cert, tls_key;

  // Adds the options to `cmd`; `this` must outlive parsing.
  void Add(CLI::App* cmd);
  StatusOr<client::ClientOptions> Options() const;
  // Connects; on error prints it and returns null with *exit_code set.
  std::unique_ptr<client::LedgerClient> Connect(int* exit_code) const;
};

// Which served stream a command means, asked with ListStreams (so it also
// tells whether the server is reachable and accepts the token). `stream`
// empty: the server's only stream (INVALID_ARGUMENT naming them when there
// are several). A stream no target holds yet is accepted only with `target`
// set (following it before its first event); otherwise NOT_FOUND.
StatusOr<v1::StreamInfo> ResolveStream(client::LedgerClient& client, const std::string& stream,
                                       const std::string& target = "");

// `history --server`: reads a stream from the server and prints it like
// `history`. An empty stream name picks the server's only stream.
int RemoteHistory(const RemoteFlags& flags, const std::string& stream, bool json_out);

// Prints one event as `history` does (a table row, or a JSON line).
void PrintHistoryEvent(const v1::Event& e, bool json_out);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_REMOTE_OPTIONS_H_
