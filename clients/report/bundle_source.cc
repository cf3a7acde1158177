#include "bundle_source.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cairn/base/hash.h"

namespace cairn::report {
namespace {

constexpr std::string_view kFailedPrefix = "bundle verification FAILED: ";

// One verifying pass over the bundle at `path`.
StatusOr<ledger::BundleReport> VerifyFile(const std::string& path, const ledger::PublicKey& key,
                                          const ledger::BundleObserver& observer) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return NotFoundError("--bundle " + path + ": cannot open: " + std::strerror(errno));
  auto report = ledger::VerifyBundle(f, key, observer);
  std::fclose(f);
  return report;
}

BundleVerdict Verdict(const std::string& path, const StatusOr<ledger::BundleReport>& report) {
  BundleVerdict v;
  if (report.ok()) {
    v.check = BundleCheck::kValid;
    int64_t records = 0;
    for (const auto& s : report->streams) records += s.records;
    v.detail = "bundle " + path + " of " + report->origin + ", created " +
               ledger::FormatMicros(report->created_at_micros) + ": " + std::to_string(records) +
               " record(s) of " + std::to_string(report->streams.size()) +
               " stream(s), signed by the given key";
  } else {
    v.check = BundleCheck::kInvalid;
    std::string why = report.status().message();
    if (why.rfind(kFailedPrefix, 0) == 0) why = why.substr(kFailedPrefix.size());
    v.detail = "bundle " + path + ": " + why;
  }
  return v;
}

}  // namespace

StatusOr<BundleVerdict> CheckBundle(const std::string& path, const ledger::PublicKey& key) {
  auto report = VerifyFile(path, key, {});
  if (!report.ok() && report.status().code() != StatusCode::kDataLoss) return report.status();
  return Verdict(path, report);
}

StatusOr<std::unique_ptr<BundleEventSource>> BundleEventSource::Open(const std::string& path,
                                                                     const ledger::PublicKey& key) {
  std::unique_ptr<BundleEventSource> source(new BundleEventSource(path, key));
  // Each stream's chain as far as the pass got: the streams it finished are
  // intact; the one it was in when it stopped is broken after its last
  // verified record.
  std::string open_stream;
  ledger::BundleObserver observer;
  observer.on_stream = [&](const std::string& s) {
    source->streams_.push_back(s);
    source->chains_[s].head = {0, ledger::GenesisHash()};
    open_stream = s;
  };
  observer.on_record = [&](const ledger::StoredRecord& r) {
    ledger::VerifyReport& chain = source->chains_[r.stream];
    ++chain.events_checked;
    chain.head = {r.position, r.hash};
  };
  observer.on_stream_end = [&](const ledger::BundleStream&) { open_stream.clear(); };
  auto report = VerifyFile(path, key, observer);
  if (!report.ok() && report.status().code() != StatusCode::kDataLoss) return report.status();
  source->verdict_ = Verdict(path, report);
  source->origin_ =
      "bundle " + path + (report.ok() ? " (exported from " + report->origin + ")" : "");
  if (!report.ok() && !open_stream.empty()) {
    ledger::VerifyReport& chain = source->chains_[open_stream];
    chain.ok = false;
    chain.first_bad_position = chain.head.position + 1;
    // "bundle verification FAILED: stream 'S' position N: hash mismatch: ..."
    // becomes "hash mismatch: ...": the table names stream and position.
    std::string why = report.status().message();
    const std::string at = "position " + std::to_string(chain.first_bad_position) + ": ";
    if (size_t p = why.find(at); p != std::string::npos) why = why.substr(p + at.size());
    chain.problem = why;
  }
  return source;
}

Status BundleEventSource::ReadEvents(const std::string& target,
                                     const std::function<bool(const v1::Event&)>& fn) {
  bool more = true;
  Status error;
  ledger::BundleObserver observer;
  observer.on_record = [&](const ledger::StoredRecord& r) {
    if (!more || r.stream != target) return;
    v1::Event e;
    if (!e.ParseFromString(r.record)) {
      error = DataLossError("stream '" + target + "' position " + std::to_string(r.position) +
                            ": the record does not decode");
      more = false;
      return;
    }
    e.set_hash(r.hash);
    more = fn(e);
  };
  auto report = VerifyFile(path_, key_, observer);
  // A verification failure is shown through Verify and Check; what verified
  // before it was delivered.
  if (!report.ok() && report.status().code() != StatusCode::kDataLoss) return report.status();
  return error;
}

StatusOr<ledger::VerifyReport> BundleEventSource::Verify(const std::string& target) {
  auto it = chains_.find(target);
  if (it == chains_.end()) return NotFoundError("the bundle has no stream '" + target + "'");
  return it->second;
}

void BundleEventSource::Check(Report* report) const {
  report->bundle = verdict_.check;
  report->bundle_detail = verdict_.detail;
}

}  // namespace cairn::report
