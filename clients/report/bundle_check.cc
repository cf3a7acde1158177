#include "bundle_check.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cairn/base/hash.h"

namespace cairn::report {
namespace {

constexpr std::string_view kFailedPrefix = "bundle verification FAILED: ";

}  // namespace

BundleVerdict VerdictOf(const std::string& path, const StatusOr<ledger::BundleReport>& report) {
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

StatusOr<BundleVerdict> CheckBundle(const std::string& path, const ledger::PublicKey& key) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return NotFoundError("--bundle " + path + ": cannot open: " + std::strerror(errno));
  auto report = ledger::VerifyBundle(f, key);
  std::fclose(f);
  if (!report.ok() && report.status().code() != StatusCode::kDataLoss) return report.status();
  return VerdictOf(path, report);
}

void SetVerdict(const BundleVerdict& verdict, Report* report) {
  report->bundle = verdict.check;
  report->bundle_detail = verdict.detail;
}

}  // namespace cairn::report
