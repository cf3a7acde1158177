// ChangeWatcher: tells a long-lived reader (the Ledger service) that another
// process may have committed to a database, so that it re-reads. It is a
// wake-up signal only: it says nothing about what changed, may fire without a
// change, and callers must always re-read the database to learn what is new.
//
//   CAIRN_ASSIGN_OR_RETURN(auto w, db::ChangeWatcher::Open(url));
//   for (;;) {
//     CAIRN_ASSIGN_OR_RETURN(bool changed, w->Wait(std::chrono::milliseconds(100)));
//     if (changed) ... re-read ...
//   }
//
// SQLite: polls `PRAGMA data_version` on a dedicated connection every
// `poll_interval` (default 5 ms); the value changes whenever another
// connection, in any process, commits to the file.
// PostgreSQL: LISTEN cairn_ledger on a dedicated connection; LedgerStore::Append
// sends `pg_notify('cairn_ledger', stream)` inside the appending transaction,
// so the notification arrives when (and only if) the append commits.
//
// Thread safety: one thread at a time. Errors: kUnavailable when the
// dedicated connection is lost (open a new watcher and re-read everything).
#ifndef CAIRN_DB_CHANGE_WATCHER_H_
#define CAIRN_DB_CHANGE_WATCHER_H_

#include <chrono>
#include <memory>

#include "cairn/base/status.h"
#include "cairn/db/database.h"

namespace cairn::db {

class ChangeWatcher {
 public:
  // The PostgreSQL notification channel written by LedgerStore::Append.
  static constexpr const char* kChannel = "cairn_ledger";

  static StatusOr<std::unique_ptr<ChangeWatcher>> Open(
      const DatabaseUrl& url,
      std::chrono::milliseconds poll_interval = std::chrono::milliseconds(5));
  virtual ~ChangeWatcher() = default;

  // Blocks up to `timeout`; returns true as soon as a commit may have
  // happened since the previous call (or since Open), false on timeout.
  virtual StatusOr<bool> Wait(std::chrono::milliseconds timeout) = 0;
};

}  // namespace cairn::db

#endif  // CAIRN_DB_CHANGE_WATCHER_H_
