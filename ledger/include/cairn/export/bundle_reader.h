// BundleEventReader: the EventReader (cairn/store/event_reader.h) of a
// signed verification bundle (docs/export.md), offline: `cairn report
// --bundle FILE --pubkey KEY`.
//
//   CAIRN_ASSIGN_OR_RETURN(auto reader, ledger::BundleEventReader::Open("a.bundle", key));
//   CAIRN_ASSIGN_OR_RETURN(auto events, ledger::ReadAll(*reader, "campus", {}));
//   if (!reader->verified().ok()) ... the signature or a record failed ...
//
// Open verifies the whole bundle once against the trusted key
// (VerifyBundle). A bundle that fails verification still opens: verified()
// holds the failure, the stream the check stopped in has a broken chain
// (Verify: ok = false at the position where it broke), and the records
// that verified before the failure can be read. Only a file that cannot be
// opened (kNotFound) or read is an error of Open.
//
// Reads go through the file again, verifying as they go, so that what they
// deliver is what verified; memory is one frame at a time. A bundle never
// grows: Follow returns at once.
#ifndef CAIRN_EXPORT_BUNDLE_READER_H_
#define CAIRN_EXPORT_BUNDLE_READER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cairn/export/export.h"
#include "cairn/store/event_reader.h"

namespace cairn::ledger {

class BundleEventReader final : public EventReader {
 public:
  static StatusOr<std::unique_ptr<BundleEventReader>> Open(const std::string& path,
                                                           const PublicKey& key);

  // "bundle PATH (exported from ORIGIN)"; without the origin when the
  // bundle did not verify.
  std::string Origin() const override { return origin_; }
  // The streams in the order the bundle holds them (as far as it verified).
  StatusOr<std::vector<std::string>> Streams() override { return streams_; }
  // A stream the bundle does not hold is kNotFound; a record that does not
  // decode is kDataLoss. Every read verifies the file as it goes and
  // delivers only what verified; with range.verify a failure anywhere in
  // the bundle (another stream, the signature) is also the read's kDataLoss.
  Status Read(std::string_view stream, const ReadRange& range, const EventFn& fn) override;
  StatusOr<std::vector<v1::Event>> Follow(std::string_view stream, int64_t after, int max,
                                          std::chrono::milliseconds timeout) override;
  // The records as the bundle holds them (event_id, event_type and
  // recorded_at decoded from the record); a bundle that did not verify is
  // its verification error (kDataLoss): an export re-made from a bundle
  // carries only records that verified.
  StatusOr<int64_t> ReadRecords(const std::vector<std::string>& streams, RecordSink& sink) override;
  // The chain of `stream` as Open's pass found it. A bad signature breaks
  // no chain: verified() tells it.
  StatusOr<VerifyReport> Verify(std::string_view stream) override;

  // The outcome of Open's verification of the whole bundle (signature,
  // frames, every chain): the report, or the kDataLoss that names what failed.
  const StatusOr<BundleReport>& verified() const { return verified_; }
  const std::string& path() const { return path_; }

 private:
  BundleEventReader(std::string path, PublicKey key)
      : path_(std::move(path)), key_(std::move(key)), verified_(BundleReport{}) {}
  // One verifying pass over the file; `observer` sees what verified.
  StatusOr<BundleReport> Pass(const BundleObserver& observer) const;
  bool Holds(std::string_view stream) const;

  std::string path_;
  PublicKey key_;
  std::vector<std::string> streams_;
  std::map<std::string, VerifyReport, std::less<>> chains_;
  std::string origin_;
  StatusOr<BundleReport> verified_;
};

}  // namespace cairn::ledger

#endif  // CAIRN_EXPORT_BUNDLE_READER_H_
