// Internal: SHA-256 on another thread, for the hashes of large migration
// files (docs/migration-files.md, "Large files"). The parse of a big file is
// on the critical path of its run, and hashing is close to half of it; on a
// second core the hashes cost the parse only a copy of the bytes.
#ifndef CAIRN_RUNNER_SRC_SOURCE_BACKGROUND_SHA_H_
#define CAIRN_RUNNER_SRC_SOURCE_BACKGROUND_SHA_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cairn/base/hash.h"

namespace cairn::runner::source {

// SHA-256 over data that arrives in pieces, here or on another thread.
class Hasher {
 public:
  virtual ~Hasher() = default;
  virtual void Update(std::string_view data) = 0;
  // The 32 raw bytes; ends the hasher.
  virtual std::string Finish() = 0;
};

// On another thread when `background` (large inputs), else here.
std::unique_ptr<Hasher> MakeHasher(bool background);

class BackgroundSha256 final : public Hasher {
 public:
  BackgroundSha256();
  ~BackgroundSha256();  // waits for the worker
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;

  // Copies `data`; full blocks go to the worker, in order.
  void Update(std::string_view data) override;
  // The 32 raw bytes of the digest of everything passed to Update.
  std::string Finish() override;

 private:
  static constexpr size_t kBlock = 1 << 18;
  void Hand(std::string block);
  void Run();

  std::string block_;  // filled by Update, handed over when full
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;   // at most kQueued blocks wait
  std::vector<std::string> spare_;  // hashed blocks, for Update to fill again
  bool closing_ = false;
  ledger::Sha256Stream sha_;  // the worker's
  std::thread worker_;
};

}  // namespace cairn::runner::source

#endif  // CAIRN_RUNNER_SRC_SOURCE_BACKGROUND_SHA_H_
