// What every EventReader shares (cairn/store/event_reader.h), and the
// database's reader (cairn/store/database_reader.h).
#include "cairn/store/event_reader.h"

#include <algorithm>
#include <set>
#include <thread>

#include "cairn/base/hash.h"
#include "cairn/store/database_reader.h"

namespace cairn::ledger {

ChainCheck::ChainCheck(std::string stream, int64_t from)
    : stream_(std::move(stream)), expected_(std::max<int64_t>(from, 1)) {
  if (expected_ == 1) last_hash_ = GenesisHash();
}

Status ChainCheck::Next(int64_t position, std::string_view prev_hash, std::string_view record,
                        std::string_view hash) {
  const std::string where = "stream '" + stream_ + "' position " + std::to_string(expected_);
  if (position != expected_) {
    return DataLossError(where + ": gap: found position " + std::to_string(position));
  }
  if (!last_hash_.empty() && prev_hash != last_hash_) {
    return DataLossError(where + ": broken link: prev_hash does not equal the hash of position " +
                         std::to_string(position - 1));
  }
  if (RecordHash(stream_, position, prev_hash, record) != hash)
    return DataLossError(where + ": hash mismatch: the hash does not match the record");
  last_hash_ = std::string(hash);
  ++expected_;
  return Status::Ok();
}

StatusOr<std::vector<v1::Event>> FollowByPolling(EventReader& reader, std::string_view stream,
                                                 int64_t after, int max,
                                                 std::chrono::milliseconds timeout,
                                                 std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(auto out, ReadAll(reader, stream, {.from = after + 1, .limit = max}));
    if (!out.empty() || std::chrono::steady_clock::now() >= deadline) return out;
    // Polling a source that has no wake-up: the interval is the caller's
    // (--poll-ms), not a synchronization.
    std::this_thread::sleep_for(poll);
  }
}

StatusOr<std::vector<v1::Event>> ReadAll(EventReader& reader, std::string_view stream,
                                         const ReadRange& range) {
  std::vector<v1::Event> out;
  CAIRN_RETURN_IF_ERROR(reader.Read(stream, range, [&](const v1::Event& e) {
    out.push_back(e);
    return true;
  }));
  return out;
}

StatusOr<std::vector<std::string>> DatabaseEventReader::Streams() { return store_.ListStreams(); }

Status DatabaseEventReader::Read(std::string_view stream, const ReadRange& range,
                                 const EventFn& fn) {
  if (range.verify) {
    if (range.recorded_since != 0)
      return InvalidArgumentError("a verified read cannot leave events out (recorded_since)");
    ChainCheck check(std::string(stream), range.from);
    Status error;
    CAIRN_RETURN_IF_ERROR(
        store_.ReadRecords(stream, range.from, range.limit, [&](const StoredRecord& r) {
          error = check.Next(r.position, r.prev_hash, r.record, r.hash);
          v1::Event e;
          if (error.ok() && !e.ParseFromString(r.record)) {
            error = DataLossError("stream '" + r.stream + "' position " +
                                  std::to_string(r.position) + ": the record does not decode");
          }
          if (!error.ok()) return false;
          e.set_hash(r.hash);
          return fn(e);
        }));
    return error;
  }
  if (range.recorded_since == 0) return store_.Read(stream, range.from, range.limit, fn);
  int64_t delivered = 0;
  return store_.Read(stream, range.from, 0, [&](const v1::Event& e) {
    if (TimestampToMicros(e.recorded_at()) < range.recorded_since) return true;
    if (!fn(e)) return false;
    return range.limit == 0 || ++delivered < range.limit;
  });
}

StatusOr<std::vector<v1::Event>> DatabaseEventReader::Follow(std::string_view stream, int64_t after,
                                                             int max,
                                                             std::chrono::milliseconds timeout) {
  return FollowByPolling(*this, stream, after, max, timeout, poll_);
}

StatusOr<int64_t> DatabaseEventReader::ReadRecords(const std::vector<std::string>& names,
                                                   RecordSink& sink) {
  std::vector<std::string> streams = names;
  if (streams.empty()) {
    CAIRN_ASSIGN_OR_RETURN(streams, Streams());
  }
  std::set<std::string> seen;
  int64_t total = 0;
  for (const std::string& stream : streams) {
    if (!seen.insert(stream).second)
      return InvalidArgumentError("stream '" + stream + "' is named twice");
    CAIRN_ASSIGN_OR_RETURN(Head head, store_.GetHead(stream));
    CAIRN_RETURN_IF_ERROR(sink.BeginStream(stream));
    Status write_error;
    Head last{0, GenesisHash()};
    if (head.position > 0) {
      CAIRN_RETURN_IF_ERROR(
          store_.ReadRecords(stream, 1, head.position, [&](const StoredRecord& r) {
            write_error = sink.Write(r);
            if (!write_error.ok()) return false;
            last = Head{r.position, r.hash};
            ++total;
            return true;
          }));
    }
    CAIRN_RETURN_IF_ERROR(write_error);
    if (last.position != head.position || last.hash != head.hash) {
      return DataLossError("stream '" + stream + "': read up to position " +
                           std::to_string(last.position) + " but the head is at position " +
                           std::to_string(head.position));
    }
    CAIRN_RETURN_IF_ERROR(sink.EndStream(head));
  }
  return total;
}

StatusOr<VerifyReport> DatabaseEventReader::Verify(std::string_view stream) {
  return store_.Verify(stream);
}

}  // namespace cairn::ledger
