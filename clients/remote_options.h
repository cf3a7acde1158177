// What the commands that talk to `cairn serve` share: connecting with the
// RemoteFlags (remote_flags.h), finding the stream, `history --server`.
#ifndef CAIRN_CLIENTS_REMOTE_OPTIONS_H_
#define CAIRN_CLIENTS_REMOTE_OPTIONS_H_

#include <string>

#include "cairn/base/status.h"
#include "history_filter.h"
#include "ledger_client.h"
#include "remote_flags.h"

namespace cairn::cli {

// Which served stream a command means, asked with ListStreams (so it also
// tells whether the server is reachable and accepts the token). `stream`
// empty: the server's only stream (INVALID_ARGUMENT naming them when there
// are several). A stream no target holds yet is accepted only with `target`
// set (following it before its first event); otherwise NOT_FOUND.
StatusOr<v1::StreamInfo> ResolveStream(client::LedgerClient& client, const std::string& stream,
                                       const std::string& target = "");

// `history --server`: reads a stream from the server and prints it like
// `history`. An empty stream name picks the server's only stream.
int RemoteHistory(const RemoteFlags& flags, const std::string& stream, bool json_out,
                  const HistoryFilter& filter);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_REMOTE_OPTIONS_H_
