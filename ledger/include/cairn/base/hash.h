// Hashing for the ledger chain (docs/ledger-format.md) and small helpers
// around it: hex, UUIDs, clocks.
#ifndef CAIRN_BASE_HASH_H_
#define CAIRN_BASE_HASH_H_

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::ledger {

inline constexpr size_t kHashSize = 32;

// SHA-256 of `data`, 32 raw bytes.
std::string Sha256(std::string_view data);

// SHA-256 over data that arrives in pieces; Finish() gives the 32 raw bytes
// and ends it.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  std::string Finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// hash(n) as specified in docs/ledger-format.md, 32 raw bytes.
std::string RecordHash(std::string_view stream, int64_t position, std::string_view prev_hash,
                       std::string_view record);

// 32 zero bytes: the prev_hash of position 1.
const std::string& GenesisHash();

std::string ToHex(std::string_view bytes);

// A random (version 4) UUID in lowercase text form.
std::string NewUuid();

// Microseconds since the Unix epoch, UTC.
int64_t NowMicros();

// Conversions between microseconds and protobuf Timestamps as
// docs/ledger-format.md specifies them (seconds floored, nanos never negative).
int64_t TimestampToMicros(const google::protobuf::Timestamp& ts);
void MicrosToTimestamp(int64_t micros, google::protobuf::Timestamp* ts);

// "2026-11-21T10:15:30.123456Z".
std::string FormatMicros(int64_t micros);

}  // namespace cairn::ledger

#endif  // CAIRN_BASE_HASH_H_
