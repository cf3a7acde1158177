// ChangeWatcher for both backends. libpqxx exceptions stay in this file.
#include "cairn/db/change_watcher.h"

#include <pqxx/pqxx>
#include <thread>

namespace cairn::db {
namespace {

class SqliteChangeWatcher final : public ChangeWatcher {
 public:
  SqliteChangeWatcher(std::unique_ptr<Connection> conn, std::chrono::milliseconds interval)
      : conn_(std::move(conn)), interval_(interval) {}

  Status Init() {
    CAIRN_ASSIGN_OR_RETURN(last_, Version());
    return Status::Ok();
  }

  StatusOr<bool> Wait(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      CAIRN_ASSIGN_OR_RETURN(int64_t v, Version());
      if (v != last_) {
        last_ = v;
        return true;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(interval_, deadline - now));
    }
  }

 private:
  StatusOr<int64_t> Version() {
    CAIRN_ASSIGN_OR_RETURN(auto rows, conn_->Query("PRAGMA data_version"));
    if (rows.empty()) return InternalError("PRAGMA data_version returned no row");
    return rows[0][0].AsInt();
  }

  std::unique_ptr<Connection> conn_;
  std::chrono::milliseconds interval_;
  int64_t last_ = 0;
};

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, const std::string& channel)
      : pqxx::notification_receiver(c, channel) {}
  void operator()(const std::string&, int) override { ++count; }
  int64_t count = 0;
};

class PostgresChangeWatcher final : public ChangeWatcher {
 public:
  explicit PostgresChangeWatcher(const DatabaseUrl& url) : url_(url) {}

  Status Init() {
    try {
      conn_ = std::make_unique<pqxx::connection>(url_.conninfo);
      receiver_ = std::make_unique<Receiver>(*conn_, kChannel);
      // Force the LISTEN to be issued now, not at the first wait.
      conn_->get_notifs();
      return Status::Ok();
    } catch (const std::exception& e) {
      return UnavailableError("cannot listen for ledger changes on " + url_.redacted + ": " +
                              e.what());
    }
  }

  StatusOr<bool> Wait(std::chrono::milliseconds timeout) override {
    try {
      const int64_t before = receiver_->count;
      if (conn_->get_notifs() > 0 || receiver_->count != before) return true;
      const long us = static_cast<long>(timeout.count()) * 1000;
      conn_->await_notification(us / 1000000, us % 1000000);
      return receiver_->count != before;
    } catch (const std::exception& e) {
      return UnavailableError("lost the notification connection to " + url_.redacted + ": " +
                              e.what());
    }
  }

 private:
  DatabaseUrl url_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Receiver> receiver_;
};

}  // namespace

StatusOr<std::unique_ptr<ChangeWatcher>> ChangeWatcher::Open(const DatabaseUrl& url,
                                                             std::chrono::milliseconds interval) {
  if (url.backend == Backend::kSqlite) {
    CAIRN_ASSIGN_OR_RETURN(auto conn, Connection::Open(url));
    auto w = std::make_unique<SqliteChangeWatcher>(std::move(conn), interval);
    CAIRN_RETURN_IF_ERROR(w->Init());
    return std::unique_ptr<ChangeWatcher>(std::move(w));
  }
  auto w = std::make_unique<PostgresChangeWatcher>(url);
  CAIRN_RETURN_IF_ERROR(w->Init());
  return std::unique_ptr<ChangeWatcher>(std::move(w));
}

}  // namespace cairn::db
