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
    if (block_.size() == kBlock) {
      std::string full;
      full.reserve(kBlock);
      full.swap(block_);
      Hand(std::move(full));
    }
  }
}

void BackgroundSha256::Hand(std::string block) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.size() < kQueued; });
  queue_.push_back(std::move(block));
  cv_.notify_all();
}

std::string BackgroundSha256::Finish() {
  if (!block_.empty()) Hand(std::move(block_));
  block_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  worker_.join();
  return sha_.Finish();
}

void BackgroundSha256::Run() {
  for (;;) {
    std::string block;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything hashed
      block = std::move(queue_.front());
      queue_.pop_front();
    }
    cv_.notify_all();
    sha_.Update(block);
  }
}

}  // namespace cairn::runner::source
