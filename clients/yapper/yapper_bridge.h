// The Yapper bridge: turns ledger events into Yapper events (labels
// migration.*, JSON data) written straight into Yapper's own tables, with
// fan-out to each subscribed client's unread rows, within the constraints of
// Yapper's own schema (foreign keys enforced). docs/yapper-bridge.md
// specifies the mapping and the tables.
//
//   ledger::DatabaseEventReader reader(*store, url.redacted);  // or a ServerEventReader
//   CAIRN_ASSIGN_OR_RETURN(auto bridge, YapperBridge::Open(yapper_url, "campus"));
//   CAIRN_RETURN_IF_ERROR(bridge->Run(reader, "campus", {.batch = 100, .once = false}));
//
// Where the events come from is an EventReader (cairn/store/event_reader.h):
// the target's ledger read directly, or a `cairn serve` subscription. The
// bridge maps and persists what either delivers the same way.
//
// Exactly once: the bridge keeps the position of the last ledger event it
// handled in Yapper's database (table cairn_yapper_bridge) and advances it in
// the same transaction as the Yapper events it writes for those ledger
// events. A crash at any point leaves either both or neither; a restart
// resumes after the stored position. Two bridges on the same source and
// Yapper database do not duplicate either: the position only advances from
// the value a bridge read (compare and set), the loser stops with kAborted.
#ifndef CAIRN_CLIENTS_YAPPER_YAPPER_BRIDGE_H_
#define CAIRN_CLIENTS_YAPPER_YAPPER_BRIDGE_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/store/event_reader.h"
#include "cairn/store/store.h"
#include "cairn/v1/events.pb.h"

namespace cairn::cli {

// One Yapper event made from a ledger event.
struct YapperEvent {
  std::string label;       // e.g. "migration.applied"
  std::string data;        // a JSON object (docs/yapper-bridge.md)
  std::string created_at;  // RFC 3339 UTC: the ledger event's recorded_at
};

// The Yapper event for ledger event `e`, or nothing for events Yapper is not
// told about (run_started, run_finished, ...). `started` is the
// migration_started event of e's migration in e's run (e itself when it is
// one), or null when the ledger has none: the description, storage type and
// start time come from it. Everything else, direction included, comes from
// `e` itself.
std::optional<YapperEvent> MapToYapper(const v1::Event& e, const v1::Event* started);

// The kind of the bridge's "Yapper schema mismatch": Yapper's tables refused
// a row the bridge wrote (a constraint, a missing column). Restarting does
// not help; the CLI exits 13 (docs/yapper-bridge.md).
inline constexpr ErrorKind kYapperMismatch{"clients.YapperMismatch"};

struct BridgeOptions {
  int batch = 100;                          // ledger events per Yapper transaction
  bool once = false;                        // stop when caught up instead of waiting for more
  std::chrono::milliseconds wait{1000};     // how long one Follow call waits
  const std::atomic<bool>* stop = nullptr;  // set to stop after the current batch
};

class YapperBridge {
 public:
  // Opens Yapper's database (sqlite:... or postgres://...) and creates the
  // Yapper tables and the bridge's position table if they are missing.
  // `source_key`: the key of the bridge's stored position, the stream's name.
  static StatusOr<std::unique_ptr<YapperBridge>> Open(const std::string& yapper_url,
                                                      const std::string& source_key);

  // The stored position (0 before the first event).
  StatusOr<int64_t> Position();
  // Bridges the events of `stream` read from `reader` (Follow, from the
  // stored position) until caught up (once) or until *stop; returns the
  // number of Yapper events written.
  StatusOr<int64_t> Run(ledger::EventReader& reader, const std::string& stream,
                        const BridgeOptions& options);

 private:
  YapperBridge(std::unique_ptr<db::Connection> conn, std::string key)
      : conn_(std::move(conn)), key_(std::move(key)) {}
  Status EnsureSchema();
  // Learns how Yapper's events.created_at column takes a UTC time.
  Status InspectSchema();
  // The migration_started event `e` belongs to (see MapToYapper): from the
  // events read in this process, else read back through the ledger from e
  // to the start of e's run. Null when there is none.
  StatusOr<const v1::Event*> StartedOf(ledger::EventReader& reader, const std::string& stream,
                                       const v1::Event& e);
  Status Emit(const YapperEvent& y, int64_t position);
  // A write Yapper's tables refused, as a mismatch naming `table` and the
  // constraint (SQLite names it by reading the foreign keys back).
  Status Mismatch(const std::string& table, const Status& error, std::string_view sql,
                  const db::Params& params, int64_t position, const std::string& label);

  std::unique_ptr<db::Connection> conn_;
  std::string key_;
  std::string created_at_sql_;     // the SQL expression for created_at from $3
  bool created_at_space_ = false;  // SQLite: "YYYY-MM-DD HH:MM:SS.ffffff"
  // Recent migration_started events by run_id + "/" + migration_id: a cache
  // of ledger reads (StartedOf reads the ledger on a miss), bounded.
  std::map<std::string, v1::Event> started_;
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_YAPPER_YAPPER_BRIDGE_H_
