#include "cairn/base/hash.h"

#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "cairn/base/env.h"

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

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}
Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256Stream::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
std::string Sha256Stream::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
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

std::string NewUuid() { return cairn::NewUuid(*Env::Default()); }

int64_t NowMicros() { return cairn::NowMicros(*Env::Default()); }

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
  int64_t secs = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's
  // days_from_civil inverse). Faster than gmtime_r + strftime, which
  // `cairn status` would call once per migration.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char out[64];
  if (year >= 0 && year <= 9999) {
    char* p = out;
    auto put = [&p](int64_t v, int width) {
      for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
      p += width;
    };
    put(year, 4), *p++ = '-', put(month, 2), *p++ = '-', put(day, 2), *p++ = 'T';
    put(sod / 3600, 2), *p++ = ':', put(sod / 60 % 60, 2), *p++ = ':', put(sod % 60, 2);
    *p++ = '.', put(frac, 6), *p++ = 'Z';
    return std::string(out, p);
  }
  std::snprintf(out, sizeof out, "%lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                static_cast<long long>(frac));
  return out;
}

}  // namespace cairn::ledger
