// Compliance exports of ledger records and signed verification bundles. The
// formats are specified in docs/export.md.
//
//   CAIRN_ASSIGN_OR_RETURN(auto key, ledger::SigningKey::LoadPrivatePem("ops.key"));
//   ledger::ByteSink sink = [&](std::string_view b) { ... write b ...; return Status::Ok(); };
//   CAIRN_ASSIGN_OR_RETURN(auto writer, ledger::NewExportWriter(ledger::ExportFormat::kBundle,
//                                                               sink, &key, origin, now));
//   ledger::DatabaseEventReader reader(*store, origin);  // or a server, a bundle
//   CAIRN_ASSIGN_OR_RETURN(auto n, ledger::ExportStreams(reader, {"campus"}, *writer));
//
//   CAIRN_ASSIGN_OR_RETURN(auto pub, ledger::PublicKey::LoadPem("ops.key.pub"));
//   CAIRN_ASSIGN_OR_RETURN(auto report, ledger::VerifyBundle(file, pub));
//
// Memory: writers hold one record and an output buffer of at most
// kExportBufferSize bytes; ExportStreams reads what its reader reads (a database: page by page);
// VerifyBundle holds one frame. None of them grows with the length of the history.
//
// Writers are fed records by ExportStreams from any EventReader (a database,
// a server's Export RPC, a bundle), or by anything else calling BeginStream /
// Write / EndStream for each stream and Finish once.
#ifndef CAIRN_EXPORT_EXPORT_H_
#define CAIRN_EXPORT_EXPORT_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/store/event_reader.h"
#include "cairn/store/store.h"

namespace cairn::ledger {

enum class ExportFormat { kCloudEvents, kJsonLines, kCsv, kBundle };

// "cloudevents", "jsonl", "csv" or "bundle"; otherwise kInvalidArgument.
StatusOr<ExportFormat> ParseExportFormat(std::string_view name);

// Where a writer's bytes go. Called with chunks of up to kExportBufferSize
// bytes, in order; an error stops the export.
using ByteSink = std::function<Status(std::string_view bytes)>;
inline constexpr size_t kExportBufferSize = 256 * 1024;

// Generate's refusal to overwrite an existing key file.
inline constexpr ErrorKind kKeyFileExists{"ledger.KeyFileExists"};

// An Ed25519 private key (docs/export.md, "Keys").
class SigningKey {
 public:
  // Reads a PKCS#8 PEM private key. kNotFound when the file cannot be read,
  // kInvalidArgument (naming the file) when it is not an Ed25519 key.
  static StatusOr<SigningKey> LoadPrivatePem(const std::string& path);
  // Generates a key and writes it to `path` (mode 0600; kAlreadyExists of
  // kind kKeyFileExists if the file exists) and its public key to
  // `path + ".pub"`.
  static StatusOr<SigningKey> Generate(const std::string& path);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  const std::string& public_key() const { return public_key_; }  // 32 raw bytes
  // The 64-byte Ed25519 signature of `message`.
  StatusOr<std::string> Sign(std::string_view message) const;

 private:
  SigningKey() = default;
  void* pkey_ = nullptr;  // EVP_PKEY*, owned
  std::string public_key_;
};

// An Ed25519 public key: 32 raw bytes.
struct PublicKey {
  std::string raw;
  // Reads a SubjectPublicKeyInfo PEM public key (a private key PEM is
  // accepted too: its public half is used).
  static StatusOr<PublicKey> LoadPem(const std::string& path);
  // Whether `signature` is `raw`'s valid signature of `message`.
  bool Verifies(std::string_view message, std::string_view signature) const;
};

// Consumes the records of one or more streams and writes one export: a
// RecordSink (BeginStream, Write, EndStream per stream; stream names unique
// within one export), then Finish.
class ExportWriter : public RecordSink {
 public:
  // Writes what ends the export (the batch's `]`, the bundle's signature)
  // and flushes. No call may follow.
  virtual Status Finish() = 0;
};

// A writer of `format` into `sink`. The bundle format needs `key` (which must
// outlive the writer), `origin` (the redacted database URL) and
// `created_at_micros`; the others ignore them. kInvalidArgument when a bundle
// is asked for without a key.
StatusOr<std::unique_ptr<ExportWriter>> NewExportWriter(ExportFormat format, ByteSink sink,
                                                        const SigningKey* key = nullptr,
                                                        std::string origin = "",
                                                        int64_t created_at_micros = 0);

// Feeds every record of each of `streams` (empty: every stream `reader`
// holds), from position 1 to the head the reader has when the stream starts,
// into `writer` (EventReader::ReadRecords), then calls Finish. Returns the
// number of records written. The same export from a database, a server or
// a bundle (cairn/store/event_reader.h).
StatusOr<int64_t> ExportStreams(EventReader& reader, const std::vector<std::string>& streams,
                                ExportWriter& writer);

// One stream of a verified bundle.
struct BundleStream {
  std::string name;
  int64_t records = 0;
  Head head;
};

struct BundleReport {
  std::string origin;
  int64_t created_at_micros = 0;
  std::vector<BundleStream> streams;
};

// Verifies the bundle read from `in` (docs/export.md, "Checks") against the
// trusted key `key`. A bundle that fails a check is kDataLoss with one line
// naming the stream and position (or the byte offset of a malformed frame)
// and the problem; kNotFound / kUnavailable when it cannot be read.
StatusOr<BundleReport> VerifyBundle(std::FILE* in, const PublicKey& key);

// What VerifyBundle has checked so far, told as it reads (a report built
// from a bundle): each call comes once its frame passed its checks, so
// after a failure the calls made cover exactly what verified. The records
// carry stream, position, prev_hash, hash and record; the other fields are
// empty (decode `record` for them). Any member may be unset.
struct BundleObserver {
  std::function<void(const std::string& stream)> on_stream;       // an S frame
  std::function<void(const StoredRecord& record)> on_record;      // an R frame
  std::function<void(const BundleStream& stream)> on_stream_end;  // an H frame
};
StatusOr<BundleReport> VerifyBundle(std::FILE* in, const PublicKey& key,
                                    const BundleObserver& observer);

// The pieces of the formats, exposed for tests and for other writers.
std::string Base64(std::string_view bytes);
// The CloudEvent of one record as a single-line JSON object (no newline).
StatusOr<std::string> CloudEventJson(const StoredRecord& record);
// The body's migration_id, or "" for bodies without one (run events).
std::string BodyMigrationId(const v1::Event& e);

// The lower-case name of a storage type ("table", "document", "object"), as
// exports, reports and the Yapper bridge show it; "" when unspecified.
const char* StorageTypeName(v1::StorageType t);

}  // namespace cairn::ledger

#endif  // CAIRN_EXPORT_EXPORT_H_
