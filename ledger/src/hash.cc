#include "cairn/ledger/hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/random.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <random>

namespace cairn::ledger {
namespace {

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string RecordHash(std::string_view stream, int64_t position, std::string_view prev_hash,
                       std::string_view record) {
  std::string in;
  in.reserve(16 + 8 + 4 + stream.size() + prev_hash.size() + 4 + record.size());
  in.append("cairn-ledger-v1", 15);
  in.push_back('\0');
  PutU64(&in, static_cast<uint64_t>(position));
  PutU32(&in, static_cast<uint32_t>(stream.size()));
  in.append(stream);
  in.append(prev_hash);
  PutU32(&in, static_cast<uint32_t>(record.size()));
  in.append(record);
  return Sha256(in);
}

const std::string& GenesisHash() {
  static const std::string kZero(kHashSize, '\0');
  return kZero;
}

std::string ToHex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string NewUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // OpenSSL's generator failed; fall back to the kernel's.
    if (getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
      std::random_device rd;
      for (auto& x : b) x = static_cast<unsigned char>(rd());
    }
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string hex = ToHex(std::string_view(reinterpret_cast<char*>(b), sizeof b));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t TimestampToMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

void MicrosToTimestamp(int64_t micros, google::protobuf::Timestamp* ts) {
  int64_t seconds = micros / 1000000, rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rest * 1000));
}

std::string FormatMicros(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%06lldZ", buf, static_cast<long long>(frac));
  return out;
}

}  // namespace cairn::ledger
