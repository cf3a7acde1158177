// LedgerClient: a C++ client of the Ledger gRPC service (docs/service.md),
// shared by the CLI (`cairn subscribe`, `cairn history --server`) and by
// bridges that follow a ledger (the Yapper bridge).
//
//   client::ClientOptions opts{.address = "127.0.0.1:7433", .token = token};
//   CAIRN_ASSIGN_OR_RETURN(auto c, client::LedgerClient::Connect(opts));
//   client::SubscribeParams p;
//   p.request.set_stream("campus");
//   p.resume_from = [&] { return LoadMyPositions(); };  // exclusive: already processed
//   p.reconnect = true;                                  // survive server restarts
//   Status s = c->Subscribe(p, {.on_record = [&](const v1::LedgerRecord& r) {
//     Process(r);  SavePosition(r.stream(), r.position());  return true;  // false stops
//   }});
//
// Records reach on_record in position order per stream, each exactly once
// per Subscribe call, also across reconnections (the client resumes after
// the last record it delivered, or where resume_from says). The client asks
// for batched delivery (max_batch 256) unless the request sets max_batch,
// and hands batched records to on_record one at a time. A silence watchdog
// cancels a call that receives nothing, not even a checkpoint, for
// silence_timeout, and reconnects (docs/service.md, "Client library"). Errors are the
// server's status codes (cairn::StatusCode equals the gRPC code).
// Thread safety: one call at a time per client, except Cancel().
#ifndef CAIRN_CLIENTS_CLIENT_LEDGER_CLIENT_H_
#define CAIRN_CLIENTS_CLIENT_LEDGER_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/v1/ledger_service.grpc.pb.h"

namespace cairn::client {

struct ClientOptions {
  std::string address;  // host:port
  std::string token;    // bearer token; empty: send none
  // TLS: set tls_ca_file (PEM) to use TLS trusting that CA; add a client
  // certificate and key for mutual TLS. All empty: plaintext.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
};

// The first line of `path`, trimmed: a token file.
StatusOr<std::string> ReadTokenFile(const std::string& path);

// Counters of one Subscribe call, updated as it runs (readable from any
// thread), for monitoring and tests.
struct SubscribeStats {
  std::atomic<int64_t> responses{0};        // SubscribeResponse messages received
  std::atomic<int64_t> batches{0};          // of which RecordBatch items
  std::atomic<int64_t> largest_batch{0};    // records in the largest batch received
  std::atomic<int64_t> records{0};          // records handed to on_record
  std::atomic<int64_t> connections{0};      // calls started: 1 + reconnections
  std::atomic<int64_t> silence_cancels{0};  // calls the silence watchdog cancelled
};

// max_batch the client asks for when the request leaves it 0.
inline constexpr int32_t kDefaultSubscribeBatch = 256;

struct SubscribeParams {
  v1::SubscribeRequest request;
  // Called before every connection; returns the positions already processed
  // (resume after them). Overrides request's start for the streams it names.
  // Unset: after a reconnection the client resumes after the last record it
  // delivered.
  std::function<std::vector<v1::StreamPosition>()> resume_from;
  // Reconnect with backoff when the server is unavailable (restarting).
  bool reconnect = false;
  std::chrono::milliseconds max_backoff{1000};
  // Silence watchdog: a call that receives no message at all for this long
  // while the client waits for one is cancelled and ends UNAVAILABLE ("no
  // message from the server for N ms"), which `reconnect` retries on a new
  // connection, doubling the bound after each silent call (up to 8 times)
  // until a message arrives. 0: max(5 x the checkpoint interval, 5 s) with
  // `reconnect`, off without it (a single call waits as long as gRPC
  // does); positive: this bound, also without `reconnect`; negative: off.
  std::chrono::milliseconds silence_timeout{0};
  SubscribeStats* stats = nullptr;  // optional; must outlive the call
};

struct SubscribeHandlers {
  std::function<bool(const v1::LedgerRecord&)> on_record;    // required; false ends Subscribe
  std::function<bool(const v1::CaughtUp&)> on_caught_up;     // optional
  std::function<bool(const v1::Checkpoint&)> on_checkpoint;  // optional
};

class LedgerClient {
 public:
  static StatusOr<std::unique_ptr<LedgerClient>> Connect(const ClientOptions& options);

  StatusOr<v1::ListStreamsResponse> ListStreams();
  StatusOr<v1::ReadStreamResponse> ReadStream(const v1::ReadStreamRequest& request);
  // Every page of `request` in turn; fn returns false to stop.
  Status ReadAll(v1::ReadStreamRequest request,
                 const std::function<bool(const v1::LedgerRecord&)>& fn);
  StatusOr<v1::GetStateResponse> GetState(const v1::GetStateRequest& request);
  StatusOr<v1::VerifyResponse> Verify(const v1::VerifyRequest& request);
  StatusOr<v1::AppendResponse> Append(const v1::AppendRequest& request);
  // Every ExportResponse in order; fn returns false to stop.
  Status Export(const v1::ExportRequest& request,
                const std::function<bool(const v1::ExportResponse&)>& fn);

  // Follows a subscription until a handler returns false (OK), Cancel() (CANCELLED)
  // or an error (returned; with reconnect, UNAVAILABLE is retried instead).
  Status Subscribe(const SubscribeParams& params, const SubscribeHandlers& handlers);
  // Ends a running Subscribe from another thread.
  void Cancel();

  // The current connection's stub (Subscribe replaces it after a silence
  // timeout: do not keep the reference across a Subscribe call).
  v1::Ledger::Stub& stub() { return *stub_; }
  // Adds the bearer token to a context, for calls made on stub() directly.
  void Prepare(grpc::ClientContext* ctx) const;

 private:
  using ChannelFactory = std::function<std::shared_ptr<grpc::Channel>()>;
  LedgerClient(ChannelFactory make_channel, std::string token);
  ChannelFactory make_channel_;  // a new connection, after a silent call
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::string token_;
  std::mutex mu_;
  grpc::ClientContext* active_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace cairn::client

#endif  // CAIRN_CLIENTS_CLIENT_LEDGER_CLIENT_H_
