// SilenceWatchdog: cancels a streaming gRPC call whose reader has waited
// too long for the next message (docs/service.md, "Client library"). A
// subscription receives at least a checkpoint every checkpoint interval, so
// a Read that blocks much longer means the call is broken even when its TCP
// connection is up (a stopped server, a call never dispatched).
//
//   SilenceWatchdog dog(std::chrono::seconds(5));   // one thread
//   dog.Arm(&ctx);                                  // for each call
//   dog.Reading();                                  // starting a call waits too
//   auto reader = stub->Subscribe(&ctx, req);
//   while (dog.Reading(), reader->Read(&m)) { dog.Idle(); Handle(m); }
//   dog.Disarm();                                   // before ctx dies
//   if (dog.fired()) ...                            // it cancelled the call
//
// Only time spent inside Read counts: between Idle() and the next
// Reading() (the caller handling a message) the watchdog never fires.
// Thread safety: one caller thread; the watchdog's own thread only calls
// ClientContext::TryCancel on the armed context, under the same lock that
// Disarm takes, so the context is never used after Disarm returns.
#ifndef CAIRN_CLIENTS_CLIENT_SILENCE_WATCHDOG_H_
#define CAIRN_CLIENTS_CLIENT_SILENCE_WATCHDOG_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace cairn::client {

class SilenceWatchdog {
 public:
  // timeout <= 0: never fires (no thread is started).
  explicit SilenceWatchdog(std::chrono::milliseconds timeout);
  ~SilenceWatchdog();
  SilenceWatchdog(const SilenceWatchdog&) = delete;
  SilenceWatchdog& operator=(const SilenceWatchdog&) = delete;

  // Watches `ctx` from now on; clears fired().
  void Arm(grpc::ClientContext* ctx);
  // The caller is about to block in Read: the silence clock starts.
  void Reading();
  // Read returned: the silence clock stops.
  void Idle();
  // Stops watching; after it returns the watchdog no longer touches ctx.
  void Disarm();
  // True when the watchdog cancelled the armed call since the last Arm.
  bool fired();
  // The bound applies from the next Reading() on; ignored when the
  // watchdog was built without one.
  void set_timeout(std::chrono::milliseconds timeout);
  std::chrono::milliseconds timeout();

 private:
  void Run();

  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  grpc::ClientContext* ctx_ = nullptr;
  bool reading_ = false;
  bool fired_ = false;
  bool done_ = false;
  bool thread_sleeping_ = false;  // waiting without a deadline: Reading() wakes it
  std::chrono::steady_clock::time_point since_;
  std::thread thread_;
};

}  // namespace cairn::client

#endif  // CAIRN_CLIENTS_CLIENT_SILENCE_WATCHDOG_H_
