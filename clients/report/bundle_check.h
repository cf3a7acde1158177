// The report's bundle signature slot (docs/report.md): what checking a
// signed verification bundle (docs/export.md) against the trusted key found,
// in the words the page shows. The bundle's events are read with
// ledger::BundleEventReader (cairn/export/bundle_reader.h), whose Open pass
// gives the verdict too:
//
//   CAIRN_ASSIGN_OR_RETURN(auto reader, ledger::BundleEventReader::Open("a.bundle", key));
//   CAIRN_ASSIGN_OR_RETURN(auto streams, reader->Streams());
//   CAIRN_ASSIGN_OR_RETURN(report::Report r, report::BuildReport(*reader, streams, options));
//   report::SetVerdict(VerdictOf(reader->path(), reader->verified()), &r);
//
// Beside a database or a server, CheckBundle verifies the bundle alone.
#ifndef CAIRN_CLIENTS_REPORT_BUNDLE_CHECK_H_
#define CAIRN_CLIENTS_REPORT_BUNDLE_CHECK_H_

#include <string>

#include "cairn/export/export.h"
#include "report_model.h"

namespace cairn::report {

// The outcome of checking a bundle's signature and records.
struct BundleVerdict {
  BundleCheck check = BundleCheck::kNotChecked;
  std::string detail;  // for the page: who signed, when, or what failed
};

// The verdict on the bundle at `path` from its verification (VerifyBundle's
// report, or the kDataLoss naming what failed).
BundleVerdict VerdictOf(const std::string& path, const StatusOr<ledger::BundleReport>& verified);

// Verifies the bundle at `path` against `key`; kNotFound when it cannot be
// opened. A bundle that fails a check is a verdict of kInvalid, not an error.
StatusOr<BundleVerdict> CheckBundle(const std::string& path, const ledger::PublicKey& key);

// Sets the report's bundle signature slot.
void SetVerdict(const BundleVerdict& verdict, Report* report);

}  // namespace cairn::report

#endif  // CAIRN_CLIENTS_REPORT_BUNDLE_CHECK_H_
