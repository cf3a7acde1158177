// What the commands that talk to `cairn serve` share: connecting with the
// RemoteFlags (cli/remote_flags.h), finding the stream. remote_options.cc
// also holds `history --server`.
#ifndef CAIRN_CLIENTS_NET_REMOTE_OPTIONS_H_
#define CAIRN_CLIENTS_NET_REMOTE_OPTIONS_H_

#include <memory>
#include <string>

#include "cairn/base/status.h"
#include "cli/remote_flags.h"
#include "client/ledger_client.h"
#include "client/server_reader.h"

namespace cairn::cli {

// The client options the flags give (the token from --token, --token-file
// or $CAIRN_TOKEN).
StatusOr<client::ClientOptions> ClientOptionsOf(const RemoteFlags& flags);
// Connects; on error prints it and returns null with *exit_code set.
std::unique_ptr<client::LedgerClient> Connect(const RemoteFlags& flags, int* exit_code);

// An EventReader of the server the flags name (client/server_reader.h);
// on error prints it and returns null with *exit_code set.
std::unique_ptr<client::ServerEventReader> ConnectReader(const RemoteFlags& flags, int* exit_code,
                                                         size_t queue_limit = 1024);

// Which served stream a command means, asked with ListStreams (so it also
// tells whether the server is reachable and accepts the token). `stream`
// empty: the server's only stream (INVALID_ARGUMENT naming them when there
// are several). A stream no target holds yet is accepted only with `target`
// set (following it before its first event); otherwise NOT_FOUND.
StatusOr<v1::StreamInfo> ResolveStream(client::LedgerClient& client, const std::string& stream,
                                       const std::string& target = "");

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_NET_REMOTE_OPTIONS_H_
