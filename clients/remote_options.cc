#include "remote_options.h"

#include <cstdio>
#include <cstdlib>

#include "cairn/ledger/hash.h"
#include "cairn/ledger/store.h"
#include "cli.h"
#include "cli_output.h"

namespace cairn::cli {

void RemoteFlags::Add(CLI::App* cmd) {
  cmd->add_option("--server", server, "address of a `cairn serve` (host:port)");
  cmd->add_option("--token", token, "bearer token (default: $CAIRN_TOKEN)");
  cmd->add_option("--token-file", token_file, "file whose first line is the bearer token");
  cmd->add_option("--tls-ca", tls_ca, "PEM file of the CA that signed the server's certificate");
  cmd->add_option("--tls-cert", tls_cert, "PEM client certificate, for mutual TLS");
  cmd->add_option("--tls-key", tls_key, "PEM key of --tls-cert");
}

StatusOr<client::ClientOptions> RemoteFlags::Options() const {
  client::ClientOptions o;
  o.address = server;
  if (!token.empty() && !token_file.empty())
    return InvalidArgumentError("--token and --token-file: give one");
  if (!token_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(o.token, client::ReadTokenFile(token_file));
  } else if (!token.empty()) {
    o.token = token;
  } else if (const char* env = std::getenv("CAIRN_TOKEN")) {
    o.token = env;
  }
  o.tls_ca_file = tls_ca;
  o.tls_cert_file = tls_cert;
  o.tls_key_file = tls_key;
  return o;
}

std::unique_ptr<client::LedgerClient> RemoteFlags::Connect(int* exit_code) const {
  auto options = Options();
  if (!options.ok()) {
    *exit_code = Fail(options.status());
    return nullptr;
  }
  auto c = client::LedgerClient::Connect(*options);
  if (!c.ok()) {
    *exit_code = Fail(c.status());
    return nullptr;
  }
  *exit_code = runner::kExitOk;
  return std::move(*c);
}

void PrintHistoryEvent(const v1::Event& e, bool json_out) {
  if (json_out) {
    std::printf("%s\n", EventJson(e).dump().c_str());
  } else {
    std::printf(
        "%6lld  %s  %-21s %-14s %s\n", static_cast<long long>(e.position()),
        cairn::ledger::FormatMicros(cairn::ledger::TimestampToMicros(e.recorded_at())).c_str(),
        cairn::ledger::EventTypeName(e).c_str(), (e.actor().user()).c_str(),
        EventSummary(e).c_str());
  }
}

int RemoteHistory(const RemoteFlags& flags, const std::string& stream, bool json_out) {
  int rc;
  auto c = flags.Connect(&rc);
  if (!c) return rc;
  v1::ReadStreamRequest req;
  req.set_stream(stream);
  if (stream.empty()) {
    auto streams = c->ListStreams();
    if (!streams.ok()) return Fail(streams.status().Annotate("server " + flags.server));
    if (streams->streams_size() != 1) {
      std::string names;
      for (const auto& s : streams->streams()) names += (names.empty() ? "" : ", ") + s.stream();
      return Fail(InvalidArgumentError("--stream: the server has " +
                                       std::to_string(streams->streams_size()) +
                                       " streams; name one (" + names + ")"));
    }
    req.set_stream(streams->streams(0).stream());
    req.set_target(streams->streams(0).target());
  }
  req.set_limit(1000);
  Status s = c->ReadAll(req, [&](const v1::LedgerRecord& r) {
    PrintHistoryEvent(r.event(), json_out);
    return true;
  });
  if (!s.ok()) return Fail(s.Annotate("server " + flags.server));
  return runner::kExitOk;
}

}  // namespace cairn::cli
