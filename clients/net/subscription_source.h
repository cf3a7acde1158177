// SubscriptionEventSource: the Yapper bridge's events read through a
// `cairn serve` subscription (LedgerClient::Subscribe) instead of the
// target's database. The bridge maps and persists them exactly as it does
// events read directly (yapper_bridge.h): one mapping, two sources.
//
//   SubscriptionEventSource source(client_options, "campus", "campus_target");
//   CAIRN_ASSIGN_OR_RETURN(auto bridge, YapperBridge::Open(yapper_url, source.key()));
//   CAIRN_RETURN_IF_ERROR(bridge->Run(source, options).status());
//
// How it works: the first Next(after, ...) starts a subscription on a
// background thread from `after` (exclusive). Records go into a bounded
// queue (`queue_limit` events; the subscription's thread waits while it is
// full, so memory does not grow with the history or with a slow Yapper
// database); Next hands them out in position order. The subscription
// reconnects with backoff when the server is unavailable (a restart) and
// resumes after the last record it queued, so the queue sees every position
// once, in order. The position that matters for exactly-once is the one the
// bridge stores in Yapper's database: after a crash the bridge starts a new
// subscription from it, and records queued but not yet written are simply
// read again.
//
// Errors: a subscription that ends with anything but UNAVAILABLE (a revoked
// token: UNAUTHENTICATED; an unknown stream: NOT_FOUND) is returned by the
// next Next call. Next called with an `after` other than the last position
// it handed out starts a new subscription from that `after`.
// Thread safety: one thread calls Next/Read; the subscription runs on its own.
#ifndef CAIRN_CLIENTS_NET_SUBSCRIPTION_SOURCE_H_
#define CAIRN_CLIENTS_NET_SUBSCRIPTION_SOURCE_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/ledger_client.h"
#include "yapper/yapper_bridge.h"

namespace cairn::cli {

class SubscriptionEventSource final : public EventSource {
 public:
  // `stream` and `target` as ResolveStream (remote_options.h) found them:
  // the target must be named to follow a stream before its first event.
  SubscriptionEventSource(client::ClientOptions options, std::string stream,
                          std::string target = "", size_t queue_limit = 1024);
  ~SubscriptionEventSource() override;

  std::string key() const override { return stream_; }
  StatusOr<std::vector<v1::Event>> Next(int64_t after, int max,
                                        std::chrono::milliseconds timeout) override;
  StatusOr<std::vector<v1::Event>> Read(int64_t from, int max) override;

 private:
  Status Start(int64_t after);
  void Stop();

  const client::ClientOptions options_;
  const std::string stream_, target_;
  const size_t queue_limit_;
  std::unique_ptr<client::LedgerClient> reader_;  // for At

  // The running subscription (one at a time).
  std::unique_ptr<client::LedgerClient> subscriber_;
  std::thread thread_;
  int64_t handed_out_ = -1;  // last position Next returned; -1: none running

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::Event> queue_;
  bool stopping_ = false;
  bool ended_ = false;  // the subscription's thread returned
  Status error_;        // why it returned
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_NET_SUBSCRIPTION_SOURCE_H_
