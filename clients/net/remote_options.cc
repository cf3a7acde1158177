#include "net/remote_options.h"

#include <cstdio>
#include <cstdlib>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"
#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/net_commands.h"

namespace cairn::cli {

StatusOr<client::ClientOptions> ClientOptionsOf(const RemoteFlags& f) {
  client::ClientOptions o;
  o.address = f.server;
  if (!f.token.empty() && !f.token_file.empty())
    return InvalidArgumentError("--token and --token-file: give one");
  if (!f.token_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(o.token, client::ReadTokenFile(f.token_file));
  } else if (!f.token.empty()) {
    o.token = f.token;
  } else if (const char* env = std::getenv("CAIRN_TOKEN")) {
    o.token = env;
  }
  o.tls_ca_file = f.tls_ca;
  o.tls_cert_file = f.tls_cert;
  o.tls_key_file = f.tls_key;
  return o;
}

std::unique_ptr<client::LedgerClient> Connect(const RemoteFlags& flags, int* exit_code) {
  auto options = ClientOptionsOf(flags);
  if (!options.ok()) {
    *exit_code = Fail(options.status());
    return nullptr;
  }
  auto c = client::LedgerClient::Connect(*options);
  if (!c.ok()) {
    *exit_code = Fail(c.status());
    return nullptr;
  }
  *exit_code = kExitOk;
  return std::move(*c);
}

std::unique_ptr<client::ServerEventReader> ConnectReader(const RemoteFlags& flags, int* exit_code,
                                                         size_t queue_limit) {
  auto options = ClientOptionsOf(flags);
  if (!options.ok()) {
    *exit_code = Fail(options.status());
    return nullptr;
  }
  auto reader = client::ServerEventReader::Connect(*options, queue_limit);
  if (!reader.ok()) {
    *exit_code = Fail(reader.status());
    return nullptr;
  }
  *exit_code = kExitOk;
  return std::move(*reader);
}

StatusOr<v1::StreamInfo> ResolveStream(client::LedgerClient& client, const std::string& stream,
                                       const std::string& target) {
  CAIRN_ASSIGN_OR_RETURN(auto streams, client.ListStreams());
  std::vector<const v1::StreamInfo*> found;
  std::string names;
  for (const auto& s : streams.streams()) {
    names += (names.empty() ? "" : ", ") + s.stream();
    if ((stream.empty() || s.stream() == stream) && (target.empty() || s.target() == target))
      found.push_back(&s);
  }
  if (found.size() == 1) return *found[0];
  if (stream.empty()) {
    return InvalidArgumentError("--stream: the server has " + std::to_string(found.size()) +
                                " streams; name one (" + names + ")");
  }
  if (found.size() > 1) {
    return InvalidArgumentError("--stream " + stream +
                                ": several targets hold it; name one with --target");
  }
  if (!target.empty()) {
    v1::StreamInfo info;  // not created yet: followed from its first event
    info.set_target(target);
    info.set_stream(stream);
    return info;
  }
  return NotFoundError("--stream " + stream + ": the server has no such stream (it has: " +
                       (names.empty() ? std::string("none") : names) + ")");
}

namespace {

// `history --server`: reads a stream from the server and prints it like
// `history`. An empty stream name picks the server's only stream.
int RemoteHistory(const RemoteFlags& flags, const std::string& stream, bool json_out,
                  const HistoryFilter& filter) {
  int rc;
  auto reader = ConnectReader(flags, &rc);
  if (!reader) return rc;
  auto info = ResolveStream(reader->client(), stream);
  if (!info.ok()) return Fail(info.status().Annotate("server " + flags.server));
  reader->SetTarget(info->stream(), info->target());
  // The server skips what is older than --since; Matches decides.
  NewestEvents newest(filter.limit);
  Status s = reader->Read(info->stream(), {.recorded_since = filter.since_micros},
                          [&](const v1::Event& e) {
                            if (!filter.Matches(e)) return true;
                            if (filter.limit > 0)
                              newest.Add(e);
                            else
                              PrintHistoryEvent(e, json_out);
                            return true;
                          });
  if (!s.ok()) return Fail(s.Annotate("server " + flags.server));
  for (const v1::Event& e : newest.events()) PrintHistoryEvent(e, json_out);
  return kExitOk;
}

[[maybe_unused]] const bool registered_remote_options =
    SetNetworkEntry(&NetworkCommands::history, &RemoteHistory);

}  // namespace

}  // namespace cairn::cli
