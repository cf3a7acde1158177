#include "net/subscription_source.h"

#include <algorithm>

namespace cairn::cli {

SubscriptionEventSource::SubscriptionEventSource(client::ClientOptions options, std::string stream,
                                                 std::string target, size_t queue_limit)
    : options_(std::move(options)),
      stream_(std::move(stream)),
      target_(std::move(target)),
      queue_limit_(std::max<size_t>(queue_limit, 1)) {}

SubscriptionEventSource::~SubscriptionEventSource() { Stop(); }

StatusOr<std::vector<v1::Event>> SubscriptionEventSource::Read(int64_t from, int max) {
  if (!reader_) {
    CAIRN_ASSIGN_OR_RETURN(reader_, client::LedgerClient::Connect(options_));
  }
  v1::ReadStreamRequest req;
  req.set_target(target_);
  req.set_stream(stream_);
  req.set_from_position(from);
  req.set_limit(std::clamp(max, 1, 1000));  // a page holds at most 1000 records
  CAIRN_ASSIGN_OR_RETURN(auto page, reader_->ReadStream(req));
  std::vector<v1::Event> out;
  for (const auto& r : page.records()) out.push_back(r.event());
  return out;
}

void SubscriptionEventSource::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  subscriber_->Cancel();
  thread_.join();
  subscriber_.reset();
  handed_out_ = -1;
}

Status SubscriptionEventSource::Start(int64_t after) {
  Stop();
  CAIRN_ASSIGN_OR_RETURN(subscriber_, client::LedgerClient::Connect(options_));
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
    stopping_ = false;
    ended_ = false;
    error_ = Status::Ok();
  }
  handed_out_ = after;
  client::SubscribeParams params;
  params.request.set_target(target_);
  params.request.set_stream(stream_);
  params.request.set_after_position(after);
  // After a reconnection the client resumes after the last record it gave
  // on_record, which is the last one queued: the queue stays gapless.
  params.reconnect = true;
  thread_ = std::thread([this, params] {
    client::SubscribeHandlers handlers;
    handlers.on_record = [this](const v1::LedgerRecord& r) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || queue_.size() < queue_limit_; });
      if (stopping_) return false;
      queue_.push_back(r.event());
      cv_.notify_all();
      return true;
    };
    Status s = subscriber_->Subscribe(params, handlers);
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    if (s.ok()) s = CancelledError("the subscription ended");
    error_ = s.Annotate("subscription to server " + options_.address);
    cv_.notify_all();
  });
  return Status::Ok();
}

StatusOr<std::vector<v1::Event>> SubscriptionEventSource::Next(int64_t after, int max,
                                                               std::chrono::milliseconds timeout) {
  if (handed_out_ != after) CAIRN_RETURN_IF_ERROR(Start(after));
  std::vector<v1::Event> out;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || ended_; });
  if (queue_.empty() && ended_) return error_;
  while (!queue_.empty() && static_cast<int>(out.size()) < max) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  cv_.notify_all();
  if (!out.empty()) handed_out_ = out.back().position();
  return out;
}

}  // namespace cairn::cli
