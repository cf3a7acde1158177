#include "background_sha.h"

namespace cairn::runner::source {
namespace {
// Blocks waiting for the worker; the producer waits beyond that, so memory
// stays bounded if hashing is the slower side.
constexpr size_t kQueued = 8;

class HereSha256 final : public Hasher {
 public:
  void Update(std::string_view data) override { sha_.Update(data); }
  std::string Finish() override { return sha_.Finish(); }

 private:
  ledger::Sha256Stream sha_;
};
}  // namespace

std::unique_ptr<Hasher> MakeHasher(bool background) {
  if (background) return std::make_unique<BackgroundSha256>();
  return std::make_unique<HereSha256>();
}

BackgroundSha256::BackgroundSha256() : worker_([this] { Run(); }) { block_.reserve(kBlock); }

BackgroundSha256::~BackgroundSha256() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BackgroundSha256::Update(std::string_view data) {
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kBlock - block_.size());
    block_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (block_.size() == kBlock) Hand(std::move(block_));
  }
}

// Hands a full block to the worker and takes a hashed one back to fill next:
// the same few buffers go round, so a big file costs no allocation (and no
// page faults) per block, and nothing freed on one thread that another
// allocated.
void BackgroundSha256::Hand(std::string block) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.size() < kQueued; });
  queue_.push_back(std::move(block));
  if (!spare_.empty()) {
    block_ = std::move(spare_.back());
    spare_.pop_back();
  }
  lock.unlock();
  cv_.notify_all();
  block_.clear();
  if (block_.capacity() < kBlock) block_.reserve(kBlock);
}

std::string BackgroundSha256::Finish() {
  if (!block_.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(block_));
  }
  block_ = std::string();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  worker_.join();
  return sha_.Finish();
}

void BackgroundSha256::Run() {
  std::string hashed;  // the last block hashed, to go back to the producer
  for (;;) {
    std::string block;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!hashed.empty() && spare_.size() < kQueued) spare_.push_back(std::move(hashed));
      hashed = std::string();
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything hashed
      block = std::move(queue_.front());
      queue_.pop_front();
    }
    cv_.notify_all();
    sha_.Update(block);
    hashed = std::move(block);
  }
}

}  // namespace cairn::runner::source
