// Verification bundles: Ed25519 keys, the bundle writer and the offline
// verifier (docs/export.md, "Verification bundle").
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "cairn/base/hash.h"
#include "cairn/export/export.h"
#include "export_internal.h"

namespace cairn::ledger {
namespace {

constexpr char kMagic[] = "cairn-bundle-v1";  // + its terminating zero: 16 bytes
constexpr size_t kMagicSize = 16;
constexpr uint32_t kMaxPayload = 64u << 20;
constexpr size_t kSignatureSize = 64;

std::string U64be(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}
uint64_t ReadU64be(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The 64-byte message that is signed: a 32-byte domain label and the digest.
std::string SignedMessage(const std::string& digest) {
  std::string m = "cairn-bundle-v1-signature";
  m.resize(32, '\0');
  return m + digest;
}

// An incremental SHA-256.
class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Digest() { EVP_MD_CTX_free(ctx_); }
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void Update(std::string_view b) { EVP_DigestUpdate(ctx_, b.data(), b.size()); }
  std::string Final() {
    unsigned char out[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, out, &n);
    return std::string(reinterpret_cast<char*>(out), n);
  }

 private:
  EVP_MD_CTX* ctx_;
};

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

StatusOr<std::string> RawPublic(EVP_PKEY* pkey, const std::string& path) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519)
    return InvalidArgumentError(path + ": not an Ed25519 key");
  std::string raw(32, '\0');
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1 ||
      len != 32) {
    return InvalidArgumentError(path + ": cannot read the public key");
  }
  return raw;
}

StatusOr<PkeyPtr> ReadPem(const std::string& path, bool private_key) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return NotFoundError(path + ": cannot open the key file: " + std::strerror(errno));
  EVP_PKEY* k = private_key ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr)
                            : PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  if (!k && !private_key) {
    // A private key file holds the public key too.
    std::rewind(f);
    k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  }
  std::fclose(f);
  if (!k) {
    return InvalidArgumentError(path + ": not a PEM " + (private_key ? "private" : "public") +
                                " key");
  }
  return PkeyPtr(k);
}

class BundleWriter final : public BufferedWriter {
 public:
  BundleWriter(ByteSink sink, const SigningKey& key, std::string origin, int64_t created_at)
      : BufferedWriter(std::move(sink)), key_(key) {
    buffer_.append(kMagic, kMagicSize);
    Frame('B', U64be(static_cast<uint64_t>(created_at)) + origin);
  }
  Status BeginStream(std::string_view stream) override {
    if (stream.empty()) return InvalidArgumentError("a bundle's stream names are not empty");
    Frame('S', stream);
    return MaybeFlush();
  }
  Status Write(const StoredRecord& r) override {
    if (r.prev_hash.size() != kHashSize || r.hash.size() != kHashSize)
      return DataLossError("stream '" + r.stream + "' position " + std::to_string(r.position) +
                           ": prev_hash and hash must be 32 bytes");
    const size_t len = 8 + 64 + r.record.size();
    if (len > kMaxPayload)
      return Status(StatusCode::kResourceExhausted, "record larger than 64 MiB");
    FrameHeader('R', len);
    buffer_.append(U64be(static_cast<uint64_t>(r.position)));
    buffer_.append(r.prev_hash);
    buffer_.append(r.hash);
    buffer_.append(r.record);
    return MaybeFlush();
  }
  Status EndStream(const Head& head) override {
    Frame('H', U64be(static_cast<uint64_t>(head.position)) + head.hash);
    return MaybeFlush();
  }
  Status Finish() override {
    digest_.Update(buffer_);
    CAIRN_ASSIGN_OR_RETURN(std::string sig, key_.Sign(SignedMessage(digest_.Final())));
    Frame('G', key_.public_key() + sig);
    return BufferedWriter::Flush();
  }

 private:
  // Everything flushed before the signature is digested on its way out.
  Status Flush() {
    digest_.Update(buffer_);
    return BufferedWriter::Flush();
  }
  Status MaybeFlush() { return buffer_.size() >= kExportBufferSize / 2 ? Flush() : Status::Ok(); }
  void FrameHeader(char tag, size_t len) {
    buffer_.push_back(tag);
    for (int shift = 24; shift >= 0; shift -= 8)
      buffer_.push_back(static_cast<char>((len >> shift) & 0xff));
  }
  void Frame(char tag, std::string_view payload) {
    FrameHeader(tag, payload.size());
    buffer_.append(payload);
  }

  const SigningKey& key_;
  Digest digest_;
};

// Reads frames from a file, digesting every byte read.
class FrameReader {
 public:
  explicit FrameReader(std::FILE* in) : in_(in) {}
  uint64_t offset() const { return offset_; }
  Digest& digest() { return digest_; }

  Status ReadExact(size_t n, std::string* out, bool digest = true) {
    out->resize(n);
    if (n && std::fread(out->data(), 1, n, in_) != n) {
      return DataLossError("bundle is cut short at byte " + std::to_string(offset_));
    }
    offset_ += n;
    if (digest) digest_.Update(*out);
    return Status::Ok();
  }
  // Reads the next frame; `*tag` is 0 at the end of the file. Every frame
  // but the signature ('G') is digested: the signature covers what precedes it.
  Status Next(char* tag, std::string* payload) {
    frame_offset_ = offset_;
    int c = std::fgetc(in_);
    if (c == EOF) {
      *tag = 0;
      return Status::Ok();
    }
    ++offset_;
    *tag = static_cast<char>(c);
    std::string header;
    CAIRN_RETURN_IF_ERROR(ReadExact(4, &header, false));
    uint32_t len = 0;
    for (char b : header) len = (len << 8) | static_cast<unsigned char>(b);
    if (len > kMaxPayload)
      return DataLossError("malformed bundle: frame longer than 64 MiB at byte " +
                           std::to_string(frame_offset_));
    CAIRN_RETURN_IF_ERROR(ReadExact(len, payload, false));
    if (*tag != 'G') {
      digest_.Update(std::string_view(tag, 1));
      digest_.Update(header);
      digest_.Update(*payload);
    }
    return Status::Ok();
  }
  uint64_t frame_offset() const { return frame_offset_; }

 private:
  std::FILE* in_;
  uint64_t offset_ = 0;
  uint64_t frame_offset_ = 0;
  Digest digest_;
};

}  // namespace

SigningKey::SigningKey(SigningKey&& o) noexcept
    : pkey_(std::exchange(o.pkey_, nullptr)), public_key_(std::move(o.public_key_)) {}
SigningKey& SigningKey::operator=(SigningKey&& o) noexcept {
  std::swap(pkey_, o.pkey_);
  std::swap(public_key_, o.public_key_);
  return *this;
}
SigningKey::~SigningKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

StatusOr<SigningKey> SigningKey::LoadPrivatePem(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(PkeyPtr k, ReadPem(path, true));
  CAIRN_ASSIGN_OR_RETURN(std::string pub, RawPublic(k.get(), path));
  SigningKey key;
  key.pkey_ = k.release();
  key.public_key_ = std::move(pub);
  return key;
}

StatusOr<SigningKey> SigningKey::Generate(const std::string& path) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!raw) return InternalError("cannot generate an Ed25519 key");
  PkeyPtr k(raw);
  const std::string pub_path = path + ".pub";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return AlreadyExistsError(path + ": exists; not overwriting a key").WithKind(kKeyFileExists);
    return NotFoundError(path + ": cannot create: " + std::strerror(errno));
  }
  std::FILE* f = fdopen(fd, "w");
  bool ok = f && PEM_write_PrivateKey(f, k.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f) ok = std::fclose(f) == 0 && ok;
  if (!ok) return InternalError(path + ": cannot write the private key");
  std::FILE* p = std::fopen(pub_path.c_str(), "w");
  if (!p) return NotFoundError(pub_path + ": cannot create: " + std::strerror(errno));
  ok = PEM_write_PUBKEY(p, k.get()) == 1;
  ok = std::fclose(p) == 0 && ok;
  if (!ok) return InternalError(pub_path + ": cannot write the public key");
  CAIRN_ASSIGN_OR_RETURN(std::string pubraw, RawPublic(k.get(), path));
  SigningKey key;
  key.pkey_ = k.release();
  key.public_key_ = std::move(pubraw);
  return key;
}

StatusOr<std::string> SigningKey::Sign(std::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(kSignatureSize, '\0');
  size_t len = sig.size();
  bool ok =
      ctx &&
      EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(pkey_)) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != kSignatureSize) return InternalError("Ed25519 signing failed");
  return sig;
}

StatusOr<PublicKey> PublicKey::LoadPem(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(PkeyPtr k, ReadPem(path, false));
  CAIRN_ASSIGN_OR_RETURN(std::string raw, RawPublic(k.get(), path));
  return PublicKey{std::move(raw)};
}

bool PublicKey::Verifies(std::string_view message, std::string_view signature) const {
  if (raw.size() != 32 || signature.size() != kSignatureSize) return false;
  PkeyPtr k(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!k) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, k.get()) == 1 &&
            EVP_DigestVerify(
                ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

StatusOr<std::unique_ptr<ExportWriter>> NewBundleWriter(ByteSink sink, const SigningKey& key,
                                                        std::string origin,
                                                        int64_t created_at_micros) {
  return std::unique_ptr<ExportWriter>(
      new BundleWriter(std::move(sink), key, std::move(origin), created_at_micros));
}

StatusOr<BundleReport> VerifyBundle(std::FILE* in, const PublicKey& key) {
  return VerifyBundle(in, key, BundleObserver{});
}

StatusOr<BundleReport> VerifyBundle(std::FILE* in, const PublicKey& key,
                                    const BundleObserver& observer) {
  FrameReader reader(in);
  BundleReport report;
  std::string magic;
  CAIRN_RETURN_IF_ERROR(reader.ReadExact(kMagicSize, &magic));
  if (magic != std::string(kMagic, kMagicSize))
    return DataLossError("not a cairn bundle (version 1): bad magic at byte 0");
  auto malformed = [&](const std::string& what) {
    return DataLossError("malformed bundle: " + what + " at byte " +
                         std::to_string(reader.frame_offset()));
  };

  char tag = 0;
  std::string payload;
  CAIRN_RETURN_IF_ERROR(reader.Next(&tag, &payload));
  if (tag != 'B' || payload.size() < 8) return malformed("expected the begin frame");
  report.created_at_micros = static_cast<int64_t>(ReadU64be(payload.data()));
  report.origin = payload.substr(8);

  std::set<std::string> names;
  BundleStream* current = nullptr;
  Head last;
  while (true) {
    CAIRN_RETURN_IF_ERROR(reader.Next(&tag, &payload));
    if (tag == 0) return malformed("missing signature frame");
    if (tag == 'S') {
      if (current) return malformed("stream begins before the previous one ended");
      if (payload.empty()) return malformed("empty stream name");
      if (!names.insert(payload).second) return malformed("stream '" + payload + "' repeated");
      report.streams.push_back(BundleStream{payload, 0, {}});
      current = &report.streams.back();
      last = Head{0, GenesisHash()};
      if (observer.on_stream) observer.on_stream(payload);
    } else if (tag == 'R') {
      if (!current) return malformed("record outside a stream");
      if (payload.size() < 8 + 2 * kHashSize) return malformed("record frame too short");
      const int64_t position = static_cast<int64_t>(ReadU64be(payload.data()));
      std::string_view prev(payload.data() + 8, kHashSize);
      std::string_view hash(payload.data() + 8 + kHashSize, kHashSize);
      std::string_view record(payload.data() + 8 + 2 * kHashSize,
                              payload.size() - 8 - 2 * kHashSize);
      const std::string where = "stream '" + current->name + "' position ";
      if (position != last.position + 1) {
        return DataLossError("bundle verification FAILED: " + where +
                             std::to_string(last.position + 1) + ": gap: found position " +
                             std::to_string(position));
      }
      if (prev != last.hash) {
        return DataLossError("bundle verification FAILED: " + where + std::to_string(position) +
                             ": broken link: prev_hash does not equal the hash of position " +
                             std::to_string(last.position));
      }
      if (RecordHash(current->name, position, prev, record) != hash) {
        return DataLossError("bundle verification FAILED: " + where + std::to_string(position) +
                             ": hash mismatch: the hash does not match the record");
      }
      last = Head{position, std::string(hash)};
      ++current->records;
      if (observer.on_record) {
        StoredRecord r;
        r.stream = current->name;
        r.position = position;
        r.prev_hash = std::string(prev);
        r.hash = last.hash;
        r.record = std::string(record);
        observer.on_record(r);
      }
    } else if (tag == 'H') {
      if (!current) return malformed("head outside a stream");
      if (payload.size() != 8 + kHashSize) return malformed("head frame of the wrong size");
      const int64_t position = static_cast<int64_t>(ReadU64be(payload.data()));
      if (position != last.position || payload.substr(8) != last.hash) {
        return DataLossError("bundle verification FAILED: stream '" + current->name +
                             "': head mismatch: the head says position " +
                             std::to_string(position) + " hash " + ToHex(payload.substr(8)) +
                             ", the records end at position " + std::to_string(last.position));
      }
      current->head = last;
      if (observer.on_stream_end) observer.on_stream_end(*current);
      current = nullptr;
    } else if (tag == 'G') {
      if (current) return malformed("signature inside a stream");
      if (payload.size() != 32 + kSignatureSize)
        return malformed("signature frame of the wrong size");
      if (payload.substr(0, 32) != key.raw) {
        return DataLossError("bundle verification FAILED: signed by another key (" +
                             ToHex(payload.substr(0, 32)) + ")");
      }
      if (!key.Verifies(SignedMessage(reader.digest().Final()), payload.substr(32))) {
        return DataLossError("bundle verification FAILED: bad signature");
      }
      if (std::fgetc(in) != EOF) return malformed("bytes after the signature");
      if (std::ferror(in)) return UnavailableError("cannot read the bundle");
      return report;
    } else {
      return malformed(std::string("unknown frame tag 0x") + ToHex(std::string(1, tag)));
    }
  }
}

}  // namespace cairn::ledger
