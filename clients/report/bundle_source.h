// The report's events read from a signed verification bundle
// (docs/export.md) instead of a database: `cairn report --bundle FILE
// --pubkey KEY`, offline. Opening the source verifies the bundle once
// against the trusted key; the result fills the page's bundle signature
// slot (Check), and each stream's chain result comes from the same pass.
//
//   CAIRN_ASSIGN_OR_RETURN(auto source, report::BundleEventSource::Open("a.bundle", key));
//   CAIRN_ASSIGN_OR_RETURN(report::Report r, report::BuildReport(*source, options));
//   source->Check(&r);   // "signature valid" / "signature INVALID" and why
//
// A bundle that fails verification still makes a report: the streams and
// records read before the failure are shown, the failing stream's chain is
// FAILED at the position where it broke, and the signature is INVALID.
// Memory: one record at a time (each ReadEvents reads the file again).
#ifndef CAIRN_CLIENTS_REPORT_BUNDLE_SOURCE_H_
#define CAIRN_CLIENTS_REPORT_BUNDLE_SOURCE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cairn/export/export.h"
#include "report_model.h"

namespace cairn::report {

// The outcome of checking a bundle's signature and records.
struct BundleVerdict {
  BundleCheck check = BundleCheck::kNotChecked;
  std::string detail;  // for the page: who signed, when, or what failed
};

// Verifies the bundle at `path` against `key`; kNotFound when it cannot be
// opened. A bundle that fails a check is a verdict of kInvalid, not an error.
StatusOr<BundleVerdict> CheckBundle(const std::string& path, const ledger::PublicKey& key);

class BundleEventSource final : public EventSource {
 public:
  static StatusOr<std::unique_ptr<BundleEventSource>> Open(const std::string& path,
                                                           const ledger::PublicKey& key);

  std::vector<std::string> Targets() const override { return streams_; }
  std::string Origin() const override { return origin_; }
  Status ReadEvents(const std::string& target,
                    const std::function<bool(const v1::Event&)>& fn) override;
  StatusOr<ledger::VerifyReport> Verify(const std::string& target) override;

  // Sets the report's bundle signature slot from the verification.
  void Check(Report* report) const;

 private:
  BundleEventSource(std::string path, ledger::PublicKey key)
      : path_(std::move(path)), key_(std::move(key)) {}
  // One verifying pass over the file; `observer` sees what verified.
  Status Pass(const ledger::BundleObserver& observer);

  std::string path_;
  ledger::PublicKey key_;
  std::vector<std::string> streams_;
  std::map<std::string, ledger::VerifyReport> chains_;
  std::string origin_;
  BundleVerdict verdict_;
};

}  // namespace cairn::report

#endif  // CAIRN_CLIENTS_REPORT_BUNDLE_SOURCE_H_
