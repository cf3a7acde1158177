// Internal to the service: one served target (database), its connection pool
// and its change hub, which fans new records out to subscribers' bounded
// queues.
#ifndef CAIRN_LEDGER_SRC_SERVICE_TARGET_H_
#define CAIRN_LEDGER_SRC_SERVICE_TARGET_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/store/records.h"
#include "cairn/store/store.h"

namespace cairn::service {

class Target;

// A pooled database session; returns itself to the pool when destroyed.
class Session {
 public:
  Session(Target* target, std::unique_ptr<db::Connection> conn);
  ~Session();
  ledger::LedgerStore& store() { return *store_; }
  db::Connection& conn() { return *conn_; }
  // Drops the connection instead of pooling it (after an error).
  void Discard() { discard_ = true; }

 private:
  friend class Target;
  Target* target_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<ledger::LedgerStore> store_;
  bool discard_ = false;
};

// A new record and the target it came from.
struct Delivery {
  const Target* target;
  std::shared_ptr<const ledger::StoredRecord> rec;
};

// A live subscription's mailbox, filled by the hubs of the targets it is
// attached to, drained by the subscription's RPC thread. At most the hub's
// queue capacity of records is held.
struct Mailbox {
  std::string stream;  // empty: every stream
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Delivery> queue;
  bool overflowed = false;  // records were dropped: re-read from the store
  bool closed = false;      // the server is stopping
};

class Target {
 public:
  static StatusOr<std::unique_ptr<Target>> Open(std::string name, const db::DatabaseUrl& url,
                                                int pool_size, size_t queue_capacity,
                                                std::chrono::milliseconds fallback_poll);
  ~Target();

  const std::string& name() const { return name_; }
  const db::DatabaseUrl& url() const { return url_; }

  // Waits for a free pooled session (or opens one).
  StatusOr<std::unique_ptr<Session>> Acquire();

  // Registers a mailbox: from now on the hub pushes every new record of its
  // stream(s) whose position is above `after[stream]` (0 when absent).
  void Attach(const std::shared_ptr<Mailbox>& box, const std::map<std::string, int64_t>& after);
  void Detach(const std::shared_ptr<Mailbox>& box);
  // Makes the hub re-read now (after an in-process append).
  void Kick();
  // Closes every mailbox and stops the hub thread.
  void Stop();

 private:
  friend class Session;
  Target(std::string name, db::DatabaseUrl url, int pool_size, size_t queue_capacity,
         std::chrono::milliseconds fallback_poll);
  void Release(std::unique_ptr<db::Connection> conn, bool discard);
  void HubLoop();
  void Scan(Session& session);
  // Pushes records of one stream, in position order, to every mailbox that
  // wants them, waking each mailbox once.
  void Publish(const std::vector<std::shared_ptr<const ledger::StoredRecord>>& recs);

  const std::string name_;
  const db::DatabaseUrl url_;
  const int pool_size_;
  const size_t queue_capacity_;
  const std::chrono::milliseconds fallback_poll_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<db::Connection>> idle_;
  int open_ = 0;

  std::mutex hub_mu_;
  std::condition_variable hub_cv_;
  std::vector<std::shared_ptr<Mailbox>> boxes_;
  std::map<std::string, int64_t> tail_;  // last position published per stream
  bool kicked_ = false;
  bool stopping_ = false;
  std::thread hub_;
};

}  // namespace cairn::service

#endif  // CAIRN_LEDGER_SRC_SERVICE_TARGET_H_
