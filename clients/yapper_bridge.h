// The Yapper bridge: turns ledger events into Yapper events (labels
// migration.*, JSON data) written straight into Yapper's own tables, with
// fan-out to each subscribed client's unread rows. docs/yapper-bridge.md
// specifies the mapping and the tables.
//
//   LedgerEventSource source(*ledger_conn, "campus");
//   CAIRN_ASSIGN_OR_RETURN(auto bridge, YapperBridge::Open(yapper_url, source.key()));
//   CAIRN_RETURN_IF_ERROR(bridge->Run(source, {.batch = 100, .once = false}));
//
// Exactly once: the bridge keeps the position of the last ledger event it
// handled in Yapper's database (table cairn_yapper_bridge) and advances it in
// the same transaction as the Yapper events it writes for those ledger
// events. A crash at any point leaves either both or neither; a restart
// resumes after the stored position. Two bridges on the same source and
// Yapper database do not duplicate either: the position only advances from
// the value a bridge read (compare and set), the loser stops with kAborted.
#ifndef CAIRN_CLIENTS_YAPPER_BRIDGE_H_
#define CAIRN_CLIENTS_YAPPER_BRIDGE_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/ledger/store.h"
#include "cairn/v1/events.pb.h"

namespace cairn::cli {

// Where the bridge reads ledger events from. Implementations: the target's
// ledger read directly (LedgerEventSource); a subscription to `cairn serve`
// (SubscriptionEventSource, subscription_source.h). The bridge maps and
// persists what either delivers the same way.
class EventSource {
 public:
  virtual ~EventSource() = default;
  // A stable name of the source, the key of the bridge's stored position
  // (e.g. "campus": the stream name).
  virtual std::string key() const = 0;
  // Up to `max` events with position > `after`, in position order, each with
  // its hash. Waits up to `timeout` for the first; returns none on timeout.
  virtual StatusOr<std::vector<v1::Event>> Next(int64_t after, int max,
                                                std::chrono::milliseconds timeout) = 0;
  // The event at `position` (>= 1), read now without waiting; nothing when
  // the stream does not reach it.
  virtual StatusOr<std::optional<v1::Event>> At(int64_t position) = 0;
};

// Reads one stream of a ledger through `conn` (which must outlive it),
// polling every `poll` while there is nothing new.
class LedgerEventSource final : public EventSource {
 public:
  LedgerEventSource(db::Connection& conn, std::string stream,
                    std::chrono::milliseconds poll = std::chrono::milliseconds(50));
  std::string key() const override { return stream_; }
  StatusOr<std::vector<v1::Event>> Next(int64_t after, int max,
                                        std::chrono::milliseconds timeout) override;
  StatusOr<std::optional<v1::Event>> At(int64_t position) override;

 private:
  std::unique_ptr<ledger::LedgerStore> store_;
  std::string stream_;
  std::chrono::milliseconds poll_;
};

// One Yapper event made from a ledger event.
struct YapperEvent {
  std::string label;       // e.g. "migration.applied"
  std::string data;        // a JSON object (docs/yapper-bridge.md)
  std::string created_at;  // RFC 3339 UTC: the ledger event's recorded_at
};

// Maps ledger events to Yapper events. Outcome events carry the description
// and storage type of their migration_started event, which the runner
// records just before them; the mapper remembers the last one per run and
// migration (Remember primes it after a restart).
class YapperMapper {
 public:
  // The Yapper event for `e`, or nothing for events Yapper is not told about
  // (run_started, run_finished).
  std::optional<YapperEvent> Map(const v1::Event& e);
  // Notes a migration_started event without mapping it.
  void Remember(const v1::Event& e);

 private:
  std::map<std::string, v1::Event> started_;  // key: run_id + "/" + migration_id
};

struct BridgeOptions {
  int batch = 100;                          // ledger events per Yapper transaction
  bool once = false;                        // stop when caught up instead of waiting for more
  std::chrono::milliseconds wait{1000};     // how long one Next call waits
  const std::atomic<bool>* stop = nullptr;  // set to stop after the current batch
};

class YapperBridge {
 public:
  // Opens Yapper's database (sqlite:... or postgres://...) and creates the
  // Yapper tables and the bridge's position table if they are missing.
  static StatusOr<std::unique_ptr<YapperBridge>> Open(const std::string& yapper_url,
                                                      const std::string& source_key);

  // The stored position (0 before the first event).
  StatusOr<int64_t> Position();
  // Bridges events until caught up (once) or until *stop; returns the number
  // of Yapper events written.
  StatusOr<int64_t> Run(EventSource& source, const BridgeOptions& options);

 private:
  YapperBridge(std::unique_ptr<db::Connection> conn, std::string key)
      : conn_(std::move(conn)), key_(std::move(key)) {}
  Status EnsureSchema();
  Status Emit(const YapperEvent& y);

  std::unique_ptr<db::Connection> conn_;
  std::string key_;
  YapperMapper mapper_;
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_YAPPER_BRIDGE_H_
