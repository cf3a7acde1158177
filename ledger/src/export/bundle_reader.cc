// The EventReader of a signed bundle (cairn/export/bundle_reader.h).
#include "cairn/export/bundle_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "cairn/base/hash.h"

namespace cairn::ledger {
namespace {

constexpr std::string_view kFailedPrefix = "bundle verification FAILED: ";

}  // namespace

StatusOr<BundleReport> BundleEventReader::Pass(const BundleObserver& observer) const {
  std::FILE* f = std::fopen(path_.c_str(), "rb");
  if (!f) return NotFoundError("--bundle " + path_ + ": cannot open: " + std::strerror(errno));
  auto report = VerifyBundle(f, key_, observer);
  std::fclose(f);
  return report;
}

StatusOr<std::unique_ptr<BundleEventReader>> BundleEventReader::Open(const std::string& path,
                                                                     const PublicKey& key) {
  std::unique_ptr<BundleEventReader> reader(new BundleEventReader(path, key));
  // Each stream's chain as far as the pass got: the streams it finished are
  // intact; the one it was in when it stopped is broken after its last
  // verified record.
  std::string open_stream;
  BundleObserver observer;
  observer.on_stream = [&](const std::string& s) {
    reader->streams_.push_back(s);
    reader->chains_[s].head = {0, GenesisHash()};
    open_stream = s;
  };
  observer.on_record = [&](const StoredRecord& r) {
    VerifyReport& chain = reader->chains_[r.stream];
    ++chain.events_checked;
    chain.head = {r.position, r.hash};
  };
  observer.on_stream_end = [&](const BundleStream&) { open_stream.clear(); };
  auto report = reader->Pass(observer);
  if (!report.ok() && report.status().code() != StatusCode::kDataLoss) return report.status();
  reader->verified_ = report;
  reader->origin_ =
      "bundle " + path + (report.ok() ? " (exported from " + report->origin + ")" : "");
  if (!report.ok() && !open_stream.empty()) {
    VerifyReport& chain = reader->chains_[open_stream];
    chain.ok = false;
    chain.first_bad_position = chain.head.position + 1;
    // "bundle verification FAILED: stream 'S' position N: hash mismatch: ..."
    // becomes "hash mismatch: ...": the reader names stream and position.
    std::string why = report.status().message();
    if (why.rfind(kFailedPrefix, 0) == 0) why = why.substr(kFailedPrefix.size());
    const std::string at = "position " + std::to_string(chain.first_bad_position) + ": ";
    if (size_t p = why.find(at); p != std::string::npos) why = why.substr(p + at.size());
    chain.problem = why;
  }
  return reader;
}

bool BundleEventReader::Holds(std::string_view stream) const {
  return chains_.find(stream) != chains_.end();
}

Status BundleEventReader::Read(std::string_view stream, const ReadRange& range, const EventFn& fn) {
  if (!Holds(stream))
    return NotFoundError("the bundle has no stream '" + std::string(stream) + "'");
  if (range.verify && range.recorded_since != 0)
    return InvalidArgumentError("a verified read cannot leave events out (recorded_since)");
  bool more = true;
  int64_t delivered = 0;
  Status error;
  BundleObserver observer;
  observer.on_record = [&](const StoredRecord& r) {
    if (!more || r.stream != stream || r.position < range.from) return;
    v1::Event e;
    if (!e.ParseFromString(r.record)) {
      error = DataLossError("stream '" + r.stream + "' position " + std::to_string(r.position) +
                            ": the record does not decode");
      more = false;
      return;
    }
    if (range.recorded_since != 0 && TimestampToMicros(e.recorded_at()) < range.recorded_since)
      return;
    e.set_hash(r.hash);
    more = fn(e) && (range.limit == 0 || ++delivered < range.limit);
  };
  auto report = Pass(observer);
  // A verification failure is told by Verify and verified(), and by a
  // verifying read; what verified before it was delivered.
  if (!report.ok() && (range.verify || report.status().code() != StatusCode::kDataLoss))
    return report.status();
  return error;
}

StatusOr<std::vector<v1::Event>> BundleEventReader::Follow(std::string_view stream, int64_t after,
                                                           int max, std::chrono::milliseconds) {
  return ReadAll(*this, stream, {.from = after + 1, .limit = max});
}

StatusOr<int64_t> BundleEventReader::ReadRecords(const std::vector<std::string>& names,
                                                 RecordSink& sink) {
  if (!verified_.ok()) return verified_.status().Annotate("bundle " + path_);
  std::set<std::string, std::less<>> wanted;
  for (const std::string& s : names) {
    if (!wanted.insert(s).second) return InvalidArgumentError("stream '" + s + "' is named twice");
    if (!Holds(s)) return NotFoundError("the bundle has no stream '" + s + "'");
  }
  // The bundle's order; names in another order are fed in theirs.
  std::vector<std::string> order = names.empty() ? streams_ : names;
  int64_t total = 0;
  for (const std::string& stream : order) {
    Status error;
    bool in = false;
    BundleObserver observer;
    observer.on_stream = [&](const std::string& s) {
      in = s == stream;
      if (in && error.ok()) error = sink.BeginStream(s);
    };
    observer.on_record = [&](const StoredRecord& r) {
      if (!in || !error.ok()) return;
      StoredRecord full = r;
      v1::Event e;
      if (!e.ParseFromString(r.record)) {
        error = DataLossError("stream '" + r.stream + "' position " + std::to_string(r.position) +
                              ": the record does not decode");
        return;
      }
      full.event_id = e.event_id();
      full.event_type = EventTypeName(e);
      full.recorded_at = TimestampToMicros(e.recorded_at());
      error = sink.Write(full);
      if (error.ok()) ++total;
    };
    observer.on_stream_end = [&](const BundleStream& s) {
      if (in && error.ok()) error = sink.EndStream(s.head);
      in = false;
    };
    auto report = Pass(observer);
    if (!report.ok()) return report.status().Annotate("bundle " + path_);
    CAIRN_RETURN_IF_ERROR(error);
  }
  return total;
}

StatusOr<VerifyReport> BundleEventReader::Verify(std::string_view stream) {
  auto it = chains_.find(stream);
  if (it == chains_.end())
    return NotFoundError("the bundle has no stream '" + std::string(stream) + "'");
  return it->second;
}

}  // namespace cairn::ledger
