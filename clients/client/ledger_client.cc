#include "client/ledger_client.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "cairn/rpc/grpc_status.h"
#include "client/silence_watchdog.h"

namespace cairn::client {
namespace {

StatusOr<std::string> ReadWhole(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(std::string(what) + ": cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct PositionKey {
  std::string target, stream;
  bool operator<(const PositionKey& o) const {
    return target != o.target ? target < o.target : stream < o.stream;
  }
};

// Positions the server says it has sent everything up to: a resume point
// even when no record of the stream was delivered.
void Remember(const google::protobuf::RepeatedPtrField<v1::StreamPosition>& positions,
              std::map<PositionKey, int64_t>* delivered) {
  for (const auto& p : positions) {
    int64_t& pos = (*delivered)[{p.target(), p.stream()}];
    pos = std::max(pos, p.position());
  }
}

// The watchdog bound for `req` (SubscribeParams::silence_timeout).
std::chrono::milliseconds SilenceTimeout(const SubscribeParams& params,
                                         const v1::SubscribeRequest& req) {
  if (params.silence_timeout.count() != 0) return params.silence_timeout;
  if (!params.reconnect) return std::chrono::milliseconds(0);
  const int interval_ms =
      req.checkpoint_interval_ms() <= 0 ? 1000 : std::max(req.checkpoint_interval_ms(), 10);
  return std::max(std::chrono::milliseconds(5 * int64_t{interval_ms}),
                  std::chrono::milliseconds(5000));
}

void Bump(std::atomic<int64_t>* counter, int64_t by = 1) {
  counter->fetch_add(by, std::memory_order_relaxed);
}

}  // namespace

StatusOr<std::string> ReadTokenFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::string text, ReadWhole(path, "--token-file"));
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return InvalidArgumentError("--token-file: " + path + " is empty");
  return line;
}

StatusOr<std::unique_ptr<LedgerClient>> LedgerClient::Connect(const ClientOptions& options) {
  if (options.address.empty()) return InvalidArgumentError("--server: an address is required");
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.tls_ca_file.empty() && options.tls_cert_file.empty()) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    if (options.tls_cert_file.empty() != options.tls_key_file.empty())
      return InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      CAIRN_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadWhole(options.tls_ca_file, "--tls-ca"));
    }
    if (!options.tls_cert_file.empty()) {
      CAIRN_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadWhole(options.tls_cert_file, "--tls-cert"));
      CAIRN_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadWhole(options.tls_key_file, "--tls-key"));
    }
    creds = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // Each client its own connection: one client's unread stream (HTTP/2 flow
  // control) then never stalls another's.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  ChannelFactory make_channel = [address = options.address, creds, args] {
    return grpc::CreateCustomChannel(address, creds, args);
  };
  return std::unique_ptr<LedgerClient>(new LedgerClient(std::move(make_channel), options.token));
}

LedgerClient::LedgerClient(ChannelFactory make_channel, std::string token)
    : make_channel_(std::move(make_channel)),
      channel_(make_channel_()),
      stub_(v1::Ledger::NewStub(channel_)),
      token_(std::move(token)) {}

void LedgerClient::Prepare(grpc::ClientContext* ctx) const {
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
}

StatusOr<v1::ListStreamsResponse> LedgerClient::ListStreams() {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::ListStreamsResponse resp;
  CAIRN_RETURN_IF_ERROR(
      rpc::FromGrpcStatus(stub_->ListStreams(&ctx, v1::ListStreamsRequest(), &resp)));
  return resp;
}

StatusOr<v1::ReadStreamResponse> LedgerClient::ReadStream(const v1::ReadStreamRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::ReadStreamResponse resp;
  CAIRN_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->ReadStream(&ctx, request, &resp)));
  return resp;
}

Status LedgerClient::ReadAll(v1::ReadStreamRequest request,
                             const std::function<bool(const v1::LedgerRecord&)>& fn) {
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(auto page, ReadStream(request));
    for (const auto& r : page.records())
      if (!fn(r)) return Status::Ok();
    if (page.next_page_token().empty()) return Status::Ok();
    request.set_page_token(page.next_page_token());
  }
}

StatusOr<v1::GetStateResponse> LedgerClient::GetState(const v1::GetStateRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::GetStateResponse resp;
  CAIRN_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->GetState(&ctx, request, &resp)));
  return resp;
}

StatusOr<v1::VerifyResponse> LedgerClient::Verify(const v1::VerifyRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::VerifyResponse resp;
  CAIRN_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->Verify(&ctx, request, &resp)));
  return resp;
}

StatusOr<v1::AppendResponse> LedgerClient::Append(const v1::AppendRequest& request) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  v1::AppendResponse resp;
  CAIRN_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->Append(&ctx, request, &resp)));
  return resp;
}

Status LedgerClient::Export(const v1::ExportRequest& request,
                            const std::function<bool(const v1::ExportResponse&)>& fn) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  auto reader = stub_->Export(&ctx, request);
  v1::ExportResponse resp;
  while (reader->Read(&resp)) {
    if (!fn(resp)) {
      ctx.TryCancel();
      reader->Finish().ok();
      return Status::Ok();
    }
  }
  return rpc::FromGrpcStatus(reader->Finish());
}

void LedgerClient::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (active_) active_->TryCancel();
}

Status LedgerClient::Subscribe(const SubscribeParams& params, const SubscribeHandlers& handlers) {
  std::map<PositionKey, int64_t> delivered;  // last position delivered per stream
  auto backoff = std::chrono::milliseconds(50);
  bool first = true;
  SubscribeStats unused;
  SubscribeStats& stats = params.stats ? *params.stats : unused;
  const auto silence_base = SilenceTimeout(params, params.request);
  SilenceWatchdog watchdog(silence_base);
  bool widened = false;  // the bound grew after a silent call
  for (;;) {
    v1::SubscribeRequest req = params.request;
    if (req.max_batch() == 0) req.set_max_batch(kDefaultSubscribeBatch);
    std::map<PositionKey, int64_t> resume = delivered;
    if (params.resume_from) {
      for (const auto& p : params.resume_from()) {
        int64_t& pos = resume[{p.target(), p.stream()}];
        pos = std::max(pos, p.position());
      }
    }
    if (!first || params.resume_from) {
      if (!req.stream().empty()) {
        for (const auto& [key, pos] : resume)
          if (key.stream == req.stream()) req.set_after_position(pos);
      } else {
        for (const auto& [key, pos] : resume) {
          auto* p = req.add_after_positions();
          p->set_target(key.target);
          p->set_stream(key.stream);
          p->set_position(pos);
        }
        // Streams first seen after a reconnection start at their beginning.
        if (!first) req.set_from_start(true);
      }
    }
    for (const auto& [key, pos] : resume) delivered[key] = std::max(delivered[key], pos);
    first = false;

    grpc::ClientContext ctx;
    Prepare(&ctx);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_) return CancelledError("subscription cancelled");
      active_ = &ctx;
    }
    Bump(&stats.connections);
    watchdog.Arm(&ctx);
    // Starting the call blocks until the request is sent (the connection
    // is up): that counts as waiting too.
    watchdog.Reading();
    auto reader = stub_->Subscribe(&ctx, req);
    v1::SubscribeResponse resp;
    bool stop = false;
    // Hands one record to on_record unless it was delivered before a
    // reconnection; false when the handler asks to stop.
    auto deliver = [&](const v1::LedgerRecord& r) {
      int64_t& last = delivered[{r.target(), r.stream()}];
      if (r.position() <= last) return true;
      last = r.position();
      Bump(&stats.records);
      return handlers.on_record(r);
    };
    while (!stop && (watchdog.Reading(), reader->Read(&resp))) {
      watchdog.Idle();
      Bump(&stats.responses);
      if (widened) {
        watchdog.set_timeout(silence_base);  // the server answers again
        widened = false;
      }
      backoff = std::chrono::milliseconds(50);
      switch (resp.item_case()) {
        case v1::SubscribeResponse::kRecord:
          if (!deliver(resp.record())) stop = true;
          break;
        case v1::SubscribeResponse::kBatch: {
          const auto& records = resp.batch().records();
          Bump(&stats.batches);
          if (records.size() > stats.largest_batch.load(std::memory_order_relaxed))
            stats.largest_batch.store(records.size(), std::memory_order_relaxed);
          for (const auto& r : records) {
            if (!deliver(r)) {
              stop = true;
              break;
            }
          }
          break;
        }
        case v1::SubscribeResponse::kCaughtUp:
          Remember(resp.caught_up().positions(), &delivered);
          if (handlers.on_caught_up && !handlers.on_caught_up(resp.caught_up())) stop = true;
          break;
        case v1::SubscribeResponse::kCheckpoint:
          Remember(resp.checkpoint().positions(), &delivered);
          if (handlers.on_checkpoint && !handlers.on_checkpoint(resp.checkpoint())) stop = true;
          break;
        default:
          break;
      }
    }
    watchdog.Idle();
    if (stop) ctx.TryCancel();
    grpc::Status st = reader->Finish();
    watchdog.Disarm();
    const bool silent = watchdog.fired();
    {
      std::lock_guard<std::mutex> lock(mu_);
      active_ = nullptr;
      if (cancelled_) return CancelledError("subscription cancelled");
    }
    if (stop) return Status::Ok();
    Status s = rpc::FromGrpcStatus(st);
    if (silent) {
      // The call (maybe its connection) is stuck: retry on a new connection,
      // giving a server that is only slow under load more time each round.
      Bump(&stats.silence_cancels);
      const auto bound = watchdog.timeout();
      s = UnavailableError("no message from the server for " + std::to_string(bound.count()) +
                           " ms (not even a checkpoint): cancelled the subscription");
      watchdog.set_timeout(std::min(bound * 2, silence_base * 8));
      widened = true;
      channel_ = make_channel_();
      stub_ = v1::Ledger::NewStub(channel_);
    }
    if (s.ok()) s = UnavailableError("the server ended the subscription");
    if (!params.reconnect || s.code() != StatusCode::kUnavailable) return s;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, params.max_backoff);
  }
}

}  // namespace cairn::client
