#include "client/server_reader.h"

#include <algorithm>

#include "cairn/base/hash.h"

namespace cairn::client {
namespace {

ledger::StoredRecord StoredOf(const v1::LedgerRecord& r) {
  ledger::StoredRecord stored;
  stored.stream = r.stream();
  stored.position = r.position();
  stored.event_id = r.event_id();
  stored.event_type = r.event_type();
  stored.recorded_at = ledger::TimestampToMicros(r.recorded_at());
  stored.record = r.record();
  stored.prev_hash = r.prev_hash();
  stored.hash = r.hash();
  return stored;
}

}  // namespace

StatusOr<std::unique_ptr<ServerEventReader>> ServerEventReader::Connect(ClientOptions options,
                                                                        size_t queue_limit) {
  CAIRN_ASSIGN_OR_RETURN(auto reader, LedgerClient::Connect(options));
  return std::unique_ptr<ServerEventReader>(new ServerEventReader(
      std::move(options), std::move(reader), std::max<size_t>(queue_limit, 1)));
}

ServerEventReader::~ServerEventReader() { Stop(); }

void ServerEventReader::SetTarget(const std::string& stream, const std::string& target) {
  targets_[stream] = target;
}

StatusOr<std::vector<std::string>> ServerEventReader::Streams() {
  CAIRN_ASSIGN_OR_RETURN(auto listed, reader_->ListStreams());
  std::vector<std::string> out;
  listed_.clear();
  for (const auto& s : listed.streams()) {
    out.push_back(s.stream());
    auto [it, fresh] = listed_.emplace(s.stream(), s.target());
    if (!fresh) it->second.clear();  // several targets hold it
  }
  return out;
}

StatusOr<std::string> ServerEventReader::TargetOf(std::string_view stream) {
  if (auto it = targets_.find(stream); it != targets_.end()) return it->second;
  if (listed_.find(stream) == listed_.end()) CAIRN_RETURN_IF_ERROR(Streams().status());
  auto it = listed_.find(stream);
  if (it == listed_.end()) return std::string();  // no target holds it yet: empty
  if (it->second.empty()) {
    return InvalidArgumentError("stream '" + std::string(stream) +
                                "': several targets hold it; name one with --target");
  }
  return it->second;
}

Status ServerEventReader::Read(std::string_view stream, const ledger::ReadRange& range,
                               const ledger::EventFn& fn) {
  if (range.verify && range.recorded_since != 0)
    return InvalidArgumentError("a verified read cannot leave events out (recorded_since)");
  CAIRN_ASSIGN_OR_RETURN(std::string target, TargetOf(stream));
  if (target.empty()) return Status::Ok();
  ledger::ChainCheck check(std::string(stream), range.from);
  v1::ReadStreamRequest req;
  req.set_target(target);
  req.set_stream(std::string(stream));
  req.set_from_position(std::max<int64_t>(range.from, 1));
  // A page holds at most 1000 records.
  req.set_limit(
      static_cast<int32_t>(range.limit > 0 ? std::min<int64_t>(range.limit, 1000) : 1000));
  if (range.recorded_since != 0)
    ledger::MicrosToTimestamp(range.recorded_since, req.mutable_recorded_after());
  int64_t expected = req.from_position();
  int64_t delivered = 0;
  Status error;
  CAIRN_RETURN_IF_ERROR(reader_->ReadAll(req, [&](const v1::LedgerRecord& r) {
    // With recorded_since the server leaves events out: no gaps to check.
    if (range.recorded_since == 0 && r.position() != expected) {
      error = DataLossError("stream '" + r.stream() + "': the server skipped from position " +
                            std::to_string(expected) + " to " + std::to_string(r.position()));
      return false;
    }
    expected = r.position() + 1;
    // Verified from the bytes the server holds, not from the decoded event.
    if (range.verify &&
        !(error = check.Next(r.position(), r.prev_hash(), r.record(), r.hash())).ok())
      return false;
    if (!fn(r.event())) return false;
    return range.limit == 0 || ++delivered < range.limit;
  }));
  return error;
}

void ServerEventReader::Stop() {
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

Status ServerEventReader::Start(std::string_view stream, int64_t after) {
  Stop();
  CAIRN_ASSIGN_OR_RETURN(subscriber_, LedgerClient::Connect(options_));
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
    stopping_ = false;
    ended_ = false;
    error_ = Status::Ok();
  }
  following_ = std::string(stream);
  handed_out_ = after;
  SubscribeParams params;
  if (auto it = targets_.find(stream); it != targets_.end()) params.request.set_target(it->second);
  params.request.set_stream(following_);
  params.request.set_after_position(after);
  // After a reconnection the client resumes after the last record it gave
  // on_record, which is the last one queued: the queue stays gapless.
  params.reconnect = true;
  thread_ = std::thread([this, params] {
    SubscribeHandlers handlers;
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

StatusOr<std::vector<v1::Event>> ServerEventReader::Follow(std::string_view stream, int64_t after,
                                                           int max,
                                                           std::chrono::milliseconds timeout) {
  if (handed_out_ != after || following_ != stream) CAIRN_RETURN_IF_ERROR(Start(stream, after));
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

StatusOr<int64_t> ServerEventReader::ExportOne(const v1::ExportRequest& request,
                                               ledger::RecordSink& sink) {
  int64_t total = 0;
  bool open = false;  // a stream has begun and not ended
  std::string current;
  ledger::Head last{0, ledger::GenesisHash()};
  Status error;
  auto begin = [&](const std::string& stream) {
    open = true;
    current = stream;
    last = {0, ledger::GenesisHash()};
    return sink.BeginStream(stream);
  };
  Status s = reader_->Export(request, [&](const v1::ExportResponse& resp) {
    if (resp.has_record()) {
      const v1::LedgerRecord& r = resp.record();
      if (open && r.stream() != current) {
        error = DataLossError("the server sent stream '" + r.stream() + "' before the end of '" +
                              current + "'");
        return false;
      }
      if (!open && !(error = begin(r.stream())).ok()) return false;
      if (!(error = sink.Write(StoredOf(r))).ok()) return false;
      last = {r.position(), r.hash()};
      ++total;
      return true;
    }
    if (resp.has_stream_end()) {
      const v1::StreamInfo& end = resp.stream_end();
      if (!open && !(error = begin(end.stream())).ok()) return false;  // an empty stream
      if (end.stream() != current || end.head_position() != last.position ||
          (last.position > 0 && end.head_hash() != last.hash)) {
        error = DataLossError("stream '" + end.stream() + "': the server's head (position " +
                              std::to_string(end.head_position()) +
                              ") is not the last record it sent (position " +
                              std::to_string(last.position) + ")");
        return false;
      }
      open = false;
      error = sink.EndStream(last);
      return error.ok();
    }
    return true;  // an item this version does not know
  });
  CAIRN_RETURN_IF_ERROR(s);
  CAIRN_RETURN_IF_ERROR(error);
  if (open) return DataLossError("the export ended inside stream '" + current + "'");
  return total;
}

StatusOr<int64_t> ServerEventReader::ReadRecords(const std::vector<std::string>& streams,
                                                 ledger::RecordSink& sink) {
  if (streams.empty()) return ExportOne(v1::ExportRequest(), sink);
  int64_t total = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    if (std::find(streams.begin(), streams.begin() + i, streams[i]) != streams.begin() + i)
      return InvalidArgumentError("stream '" + streams[i] + "' is named twice");
    v1::ExportRequest request;
    request.set_stream(streams[i]);
    if (auto it = targets_.find(streams[i]); it != targets_.end()) request.set_target(it->second);
    CAIRN_ASSIGN_OR_RETURN(int64_t n, ExportOne(request, sink));
    total += n;
  }
  return total;
}

StatusOr<ledger::VerifyReport> ServerEventReader::Verify(std::string_view stream) {
  ledger::VerifyReport out;
  out.head = {0, ledger::GenesisHash()};
  CAIRN_ASSIGN_OR_RETURN(std::string target, TargetOf(stream));
  if (target.empty()) return out;
  v1::VerifyRequest req;
  req.set_target(target);
  req.set_stream(std::string(stream));
  CAIRN_ASSIGN_OR_RETURN(auto resp, reader_->Verify(req));
  out.ok = resp.ok();
  out.events_checked = resp.events_checked();
  out.head = {resp.head_position(), resp.head_hash()};
  out.first_bad_position = resp.first_bad_position();
  out.problem = resp.problem();
  return out;
}

}  // namespace cairn::client
