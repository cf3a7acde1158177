#include "client/silence_watchdog.h"

namespace cairn::client {

SilenceWatchdog::SilenceWatchdog(std::chrono::milliseconds timeout) : timeout_(timeout) {
  if (timeout_.count() > 0) thread_ = std::thread([this] { Run(); });
}

SilenceWatchdog::~SilenceWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    ctx_ = nullptr;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SilenceWatchdog::Arm(grpc::ClientContext* ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  ctx_ = ctx;
  reading_ = false;
  fired_ = false;
}

void SilenceWatchdog::Reading() {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reading_ = true;
    since_ = std::chrono::steady_clock::now();
    wake = thread_sleeping_;
  }
  if (wake) cv_.notify_all();
}

void SilenceWatchdog::Idle() {
  std::lock_guard<std::mutex> lock(mu_);
  reading_ = false;
}

void SilenceWatchdog::Disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  ctx_ = nullptr;
  reading_ = false;
}

void SilenceWatchdog::set_timeout(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() && timeout.count() > 0) timeout_ = timeout;
}

std::chrono::milliseconds SilenceWatchdog::timeout() {
  std::lock_guard<std::mutex> lock(mu_);
  return timeout_;
}

bool SilenceWatchdog::fired() {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

void SilenceWatchdog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    if (!reading_ || ctx_ == nullptr) {
      // Nothing to time: sleep until Reading() or the destructor.
      thread_sleeping_ = true;
      cv_.wait(lock, [&] { return done_ || (reading_ && ctx_ != nullptr); });
      thread_sleeping_ = false;
      continue;
    }
    const auto deadline = since_ + timeout_;
    if (std::chrono::steady_clock::now() >= deadline) {
      ctx_->TryCancel();
      fired_ = true;
      reading_ = false;
      continue;
    }
    // Reading() moves since_ forward without waking us: re-check then.
    cv_.wait_until(lock, deadline);
  }
}

}  // namespace cairn::client
