#include "target.h"

#include <spdlog/spdlog.h>

#include "cairn/db/change_watcher.h"

namespace cairn::service {
namespace {
// Records read per stream in one hub pass; more wait for the next pass.
constexpr int64_t kScanBatch = 5000;
}  // namespace

Session::Session(Target* target, std::unique_ptr<db::Connection> conn)
    : target_(target), conn_(std::move(conn)), store_(ledger::LedgerStore::For(*conn_)) {}

Session::~Session() {
  store_.reset();
  target_->Release(std::move(conn_), discard_);
}

Target::Target(std::string name, db::DatabaseUrl url, int pool_size, size_t queue_capacity,
               std::chrono::milliseconds fallback_poll)
    : name_(std::move(name)),
      url_(std::move(url)),
      pool_size_(pool_size),
      queue_capacity_(queue_capacity),
      fallback_poll_(fallback_poll) {}

StatusOr<std::unique_ptr<Target>> Target::Open(std::string name, const db::DatabaseUrl& url,
                                               int pool_size, size_t queue_capacity,
                                               std::chrono::milliseconds fallback_poll) {
  std::unique_ptr<Target> t(
      new Target(std::move(name), url, std::max(pool_size, 2), queue_capacity, fallback_poll));
  // Fail at start, not at the first call, when the target cannot be used.
  CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
  CAIRN_RETURN_IF_ERROR(session->store().Exists().status());
  session.reset();
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<db::ChangeWatcher> watcher, db::ChangeWatcher::Open(url));
  Target* raw = t.get();
  t->hub_ = std::thread([raw, w = std::move(watcher)]() mutable {
    // The watcher runs in its own thread so that a blocking wait never
    // delays a Kick; it only sets a flag the hub loop waits on.
    std::thread watch([raw, &w] {
      while (true) {
        {
          std::lock_guard<std::mutex> lock(raw->hub_mu_);
          if (raw->stopping_) return;
        }
        auto changed = w ? w->Wait(std::chrono::milliseconds(100)) : StatusOr<bool>(false);
        if (!changed.ok()) {
          spdlog::warn("target {}: {}; reconnecting", raw->name_, changed.status().ToString());
          w.reset();
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          auto again = db::ChangeWatcher::Open(raw->url_);
          if (again.ok()) w = std::move(*again);
          raw->Kick();  // a notification may have been missed
          continue;
        }
        if (*changed) raw->Kick();
      }
    });
    raw->HubLoop();
    watch.join();
  });
  return t;
}

Target::~Target() { Stop(); }

void Target::Stop() {
  std::vector<std::shared_ptr<Mailbox>> boxes;
  {
    std::lock_guard<std::mutex> lock(hub_mu_);
    stopping_ = true;
    boxes = boxes_;
  }
  hub_cv_.notify_all();
  for (auto& box : boxes) {
    std::lock_guard<std::mutex> lock(box->mu);
    box->closed = true;
    box->cv.notify_all();
  }
  if (hub_.joinable()) hub_.join();
}

StatusOr<std::unique_ptr<Session>> Target::Acquire() {
  std::unique_lock<std::mutex> lock(pool_mu_);
  pool_cv_.wait(lock, [&] { return !idle_.empty() || open_ < pool_size_; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return std::make_unique<Session>(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  auto conn = db::Connection::Open(url_);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    pool_cv_.notify_one();
    return conn.status();
  }
  return std::make_unique<Session>(this, std::move(*conn));
}

void Target::Release(std::unique_ptr<db::Connection> conn, bool discard) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (discard || !conn || conn->in_transaction()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

void Target::Attach(const std::shared_ptr<Mailbox>& box,
                    const std::map<std::string, int64_t>& after) {
  {
    std::lock_guard<std::mutex> lock(hub_mu_);
    boxes_.push_back(box);
    for (const auto& [stream, pos] : after) tail_.emplace(stream, pos);
    if (!box->stream.empty()) tail_.emplace(box->stream, 0);
    kicked_ = true;
    if (stopping_) {
      std::lock_guard<std::mutex> box_lock(box->mu);
      box->closed = true;
    }
  }
  hub_cv_.notify_all();
}

void Target::Detach(const std::shared_ptr<Mailbox>& box) {
  std::lock_guard<std::mutex> lock(hub_mu_);
  std::erase(boxes_, box);
}

void Target::Kick() {
  {
    std::lock_guard<std::mutex> lock(hub_mu_);
    kicked_ = true;
  }
  hub_cv_.notify_all();
}

void Target::HubLoop() {
  std::unique_ptr<Session> session;
  std::unique_lock<std::mutex> lock(hub_mu_);
  while (!stopping_) {
    hub_cv_.wait_for(lock, fallback_poll_, [&] { return kicked_ || stopping_; });
    if (stopping_) break;
    kicked_ = false;
    if (boxes_.empty()) {
      tail_.clear();
      continue;
    }
    lock.unlock();
    if (!session) {
      auto s = Acquire();
      if (s.ok()) session = std::move(*s);
    }
    if (session) Scan(*session);
    // Keep the session only while someone listens.
    lock.lock();
    if (boxes_.empty()) {
      lock.unlock();
      session.reset();
      lock.lock();
    }
  }
}

void Target::Scan(Session& session) {
  bool all = false;
  std::map<std::string, int64_t> tail;
  {
    std::lock_guard<std::mutex> lock(hub_mu_);
    for (const auto& box : boxes_)
      if (box->stream.empty()) all = true;
    tail = tail_;
  }
  if (all) {
    auto names = ledger::ListStreamNames(session.store());
    if (!names.ok()) {
      session.Discard();
      return;
    }
    for (const auto& n : *names) tail.emplace(n, 0);  // new streams: from their start
  }
  bool more = false;
  for (auto& [stream, last] : tail) {
    int64_t got = 0;
    std::vector<std::shared_ptr<const ledger::StoredRecord>> found;
    Status s = ledger::ReadRecords(
        session.store(), {.stream = stream, .from_position = last + 1, .limit = kScanBatch},
        [&](const ledger::StoredRecord& r) {
          ++got;
          last = r.position;
          found.push_back(std::make_shared<const ledger::StoredRecord>(r));
          return true;
        });
    // Everything this read found reaches each mailbox at once, so a batched
    // subscriber can send it in one response (docs/service.md).
    if (!found.empty()) Publish(found);
    if (!s.ok()) {
      spdlog::warn("target {}: cannot read stream {}: {}", name_, stream, s.ToString());
      session.Discard();
      break;
    }
    if (got == kScanBatch) more = true;
  }
  std::lock_guard<std::mutex> lock(hub_mu_);
  for (const auto& [stream, last] : tail) {
    auto [it, inserted] = tail_.emplace(stream, last);
    if (!inserted) it->second = std::max(it->second, last);
  }
  if (more) kicked_ = true;
}

void Target::Publish(const std::vector<std::shared_ptr<const ledger::StoredRecord>>& recs) {
  std::vector<std::shared_ptr<Mailbox>> boxes;
  {
    std::lock_guard<std::mutex> lock(hub_mu_);
    boxes = boxes_;
  }
  const std::string& stream = recs.front()->stream;  // one stream per call
  for (const auto& box : boxes) {
    if (!box->stream.empty() && box->stream != stream) continue;
    std::lock_guard<std::mutex> lock(box->mu);
    for (const auto& rec : recs) {
      if (box->overflowed || box->closed) break;
      if (box->queue.size() >= queue_capacity_) {
        // Never block the hub on a slow reader: drop its queue; it re-reads
        // from the store, where nothing is ever lost.
        box->overflowed = true;
        box->queue.clear();
      } else {
        box->queue.push_back({this, rec});
      }
    }
    box->cv.notify_all();
  }
}

}  // namespace cairn::service
