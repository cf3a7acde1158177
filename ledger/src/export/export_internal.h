// Internals shared by the export writers (export.cc, export_bundle.cc).
#ifndef CAIRN_LEDGER_SRC_EXPORT_INTERNAL_H_
#define CAIRN_LEDGER_SRC_EXPORT_INTERNAL_H_

#include <memory>
#include <string>

#include "cairn/export/export.h"

namespace cairn::ledger {

// A writer that collects output in buffer_ and hands it to the sink in
// chunks of about kExportBufferSize / 2 bytes.
class BufferedWriter : public ExportWriter {
 protected:
  explicit BufferedWriter(ByteSink sink) : sink_(std::move(sink)) {
    buffer_.reserve(kExportBufferSize);
  }
  Status Flush();
  Status MaybeFlush();

  std::string buffer_;

 private:
  ByteSink sink_;
};

// Appends the base64 (RFC 4648, padded) of `in`; Base64() without a copy.
void AppendBase64(std::string* out, std::string_view in);

// The CSV columns `what` and `outcome` (docs/export.md).
std::string AuditWhat(const v1::Event& e);
std::string AuditOutcome(const v1::Event& e);

StatusOr<std::unique_ptr<ExportWriter>> NewBundleWriter(ByteSink sink, const SigningKey& key,
                                                        std::string origin,
                                                        int64_t created_at_micros);

}  // namespace cairn::ledger

#endif  // CAIRN_LEDGER_SRC_EXPORT_INTERNAL_H_
