#include "yapper/yapper_bridge.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cairn/base/hash.h"
#include "cairn/export/export.h"

namespace cairn::cli {
namespace {

using db::Value;
using nlohmann::json;

const char* DirectionName(v1::Direction d) {
  switch (d) {
    case v1::DIRECTION_UP:
      return "up";
    case v1::DIRECTION_DOWN:
      return "down";
    default:
      return "";
  }
}

std::string Time(const google::protobuf::Timestamp& ts) {
  return ledger::FormatMicros(ledger::TimestampToMicros(ts));
}

std::string StartedKey(const v1::Event& e) { return e.run_id() + "/" + ledger::BodyMigrationId(e); }

// The ledger events Yapper is told about (docs/yapper-bridge.md, "Labels").
bool IsMapped(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kMigrationStarted:
    case v1::Event::kBatchApplied:
    case v1::Event::kMigrationCommitted:
    case v1::Event::kMigrationRolledBack:
    case v1::Event::kMigrationFailed:
      return true;
    default:
      return false;
  }
}

// How far back one ledger read goes when looking for a migration_started.
constexpr int kLookBack = 256;
// Bounds the cache of migration_started events (a miss reads the ledger).
constexpr size_t kStartedCache = 1024;

constexpr std::string_view kMismatch = "Yapper schema mismatch: ";

// A database error that says Yapper's tables do not take the row the bridge
// wrote: a constraint (PostgreSQL class 23, SQLite SQLITE_CONSTRAINT) or a
// statement that does not fit the tables (a missing column). The bridge's
// statements are fixed, so only the schema can cause these.
bool IsRefusal(const Status& s) {
  switch (s.code()) {
    case StatusCode::kAlreadyExists:
    case StatusCode::kInvalidArgument:
      return true;
    case StatusCode::kFailedPrecondition:
      return s.kind() == db::kConstraintViolation;
    default:
      return false;
  }
}

// Fan-out: one unread row per client subscribed to the label or to "*",
// carrying the subscription that matched (the label itself when the client
// has it, else "*"), so that the row's (client_id, label) is a subscriptions
// row as Yapper's foreign key requires.
constexpr std::string_view kFanOut =
    "INSERT INTO unread (client_id, label, event_id) "
    "SELECT client_id, CASE WHEN MAX(CASE WHEN label = $1 THEN 1 ELSE 0 END) = 1 "
    "THEN $1 ELSE '*' END, CAST($2 AS BIGINT) FROM subscriptions "
    "WHERE label = $1 OR label = '*' GROUP BY client_id";

}  // namespace

std::optional<YapperEvent> MapToYapper(const v1::Event& e, const v1::Event* started) {
  std::string label;
  json data;
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  v1::StorageType storage = v1::STORAGE_TYPE_UNSPECIFIED;
  switch (e.body_case()) {
    case v1::Event::kMigrationStarted:
      label = "migration.started";
      direction = e.migration_started().direction();
      started = &e;
      break;
    case v1::Event::kBatchApplied: {
      const auto& b = e.batch_applied();
      label = "migration.batch_applied";
      direction = b.direction();
      storage = b.storage_type();
      data["batch_number"] = b.batch_number();
      data["rows"] = b.rows();
      data["cursor"] = b.cursor();
      break;
    }
    case v1::Event::kMigrationCommitted: {
      const auto& b = e.migration_committed();
      direction = b.direction();
      label = direction == v1::DIRECTION_DOWN ? "migration.rolled_back" : "migration.applied";
      data["duration_ms"] = static_cast<double>(b.duration_micros()) / 1000.0;
      data["statements"] = b.statements_executed();
      break;
    }
    case v1::Event::kMigrationRolledBack: {
      const auto& b = e.migration_rolled_back();
      label = "migration.rolled_back";
      direction = v1::DIRECTION_DOWN;
      data["duration_ms"] = static_cast<double>(b.duration_micros()) / 1000.0;
      data["statements"] = b.statements_executed();
      if (!b.reason().empty()) data["reason"] = b.reason();
      break;
    }
    case v1::Event::kMigrationFailed: {
      const auto& b = e.migration_failed();
      label = "migration.failed";
      direction = b.direction();
      data["error"] = b.error_message();
      data["file"] = b.file();
      data["line"] = b.line();
      data["statement"] = b.statement();
      data["duration_ms"] = static_cast<double>(b.duration_micros()) / 1000.0;
      break;
    }
    default:
      return std::nullopt;
  }
  const std::string revision = ledger::BodyMigrationId(e);
  data["revision"] = revision;
  data["migration_id"] = revision;
  if (started) {
    const auto& ms = started->migration_started();
    data["description"] = ms.description();
    if (storage == v1::STORAGE_TYPE_UNSPECIFIED) storage = ms.storage_type();
    data["started_at"] = Time(started->recorded_at());
    // Older ledgers' batch_applied events carry no direction: their start has it.
    if (direction == v1::DIRECTION_UNSPECIFIED) direction = ms.direction();
  } else {
    data["description"] = nullptr;
    data["started_at"] = nullptr;
  }
  data["storage_type"] = storage == v1::STORAGE_TYPE_UNSPECIFIED
                             ? json(nullptr)
                             : json(ledger::StorageTypeName(storage));
  data["direction"] =
      direction == v1::DIRECTION_UNSPECIFIED ? json(nullptr) : json(DirectionName(direction));
  data["recorded_at"] = Time(e.recorded_at());
  if (!data.contains("error")) data["error"] = nullptr;
  data["actor"] = {{"user", e.actor().user()},
                   {"host", e.actor().host()},
                   {"tool_version", e.actor().tool_version()}};
  data["stream"] = e.stream();
  data["position"] = e.position();
  data["event_id"] = e.event_id();
  data["run_id"] = e.run_id();
  data["hash"] = ledger::ToHex(e.hash());
  return YapperEvent{label, data.dump(), Time(e.recorded_at())};
}

StatusOr<std::unique_ptr<YapperBridge>> YapperBridge::Open(const std::string& yapper_url,
                                                           const std::string& source_key) {
  CAIRN_ASSIGN_OR_RETURN(auto url, db::ParseDatabaseUrl(yapper_url));
  db::OpenOptions options;
  options.application_name = "cairn-yapper-bridge";
  CAIRN_ASSIGN_OR_RETURN(auto conn, db::Connection::Open(url, options));
  if (conn->backend() == db::Backend::kSqlite) {
    // Yapper's foreign keys hold on this connection too (SQLite leaves them
    // off per connection unless asked; the pragma is a no-op in a transaction).
    CAIRN_RETURN_IF_ERROR(conn->Execute("PRAGMA foreign_keys = ON").status());
    CAIRN_ASSIGN_OR_RETURN(auto on, conn->Query("PRAGMA foreign_keys"));
    if (on.empty() || on[0][0].AsInt() != 1)
      return FailedPreconditionError("SQLite cannot enforce foreign keys on this connection");
  }
  std::unique_ptr<YapperBridge> bridge(new YapperBridge(std::move(conn), source_key));
  CAIRN_RETURN_IF_ERROR(bridge->EnsureSchema());
  CAIRN_RETURN_IF_ERROR(bridge->InspectSchema());
  return bridge;
}

Status YapperBridge::EnsureSchema() {
  const bool pg = conn_->backend() == db::Backend::kPostgres;
  // Yapper's tables as Yapper creates them (docs/yapper-bridge.md, "Tables").
  const char* schema = pg ? R"sql(
CREATE TABLE IF NOT EXISTS events (id BIGSERIAL PRIMARY KEY, label TEXT NOT NULL,
  data TEXT NOT NULL, created_at TIMESTAMP DEFAULT now());
CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, label TEXT NOT NULL,
  created_at TIMESTAMP DEFAULT now(), PRIMARY KEY (client_id, label));
CREATE TABLE IF NOT EXISTS unread (client_id TEXT NOT NULL, label TEXT NOT NULL,
  event_id BIGINT NOT NULL REFERENCES events (id), PRIMARY KEY (client_id, label, event_id),
  FOREIGN KEY (client_id, label) REFERENCES subscriptions (client_id, label));
CREATE TABLE IF NOT EXISTS cairn_yapper_bridge (source TEXT PRIMARY KEY, position BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
)sql"
                          : R"sql(
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL,
  data TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, label TEXT NOT NULL,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (client_id, label));
CREATE TABLE IF NOT EXISTS unread (client_id TEXT NOT NULL, label TEXT NOT NULL,
  event_id INTEGER NOT NULL REFERENCES events (id), PRIMARY KEY (client_id, event_id),
  FOREIGN KEY (client_id, label) REFERENCES subscriptions (client_id, label));
CREATE TABLE IF NOT EXISTS cairn_yapper_bridge (source TEXT PRIMARY KEY, position INTEGER NOT NULL,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
)sql";
  CAIRN_ASSIGN_OR_RETURN(auto tx, conn_->Begin());
  // Concurrent bridges creating the tables at once: one at a time.
  if (pg) {
    CAIRN_RETURN_IF_ERROR(
        conn_->Execute("SELECT pg_advisory_xact_lock(1667328370, 1498435696)").status());
  }
  CAIRN_RETURN_IF_ERROR(
      conn_->ExecuteScript(schema, nullptr, nullptr).Annotate("cannot create Yapper's tables"));
  CAIRN_RETURN_IF_ERROR(conn_
                            ->Execute("INSERT INTO cairn_yapper_bridge (source, position) "
                                      "VALUES ($1, 0) ON CONFLICT (source) DO NOTHING",
                                      {Value(key_)})
                            .status());
  return tx->Commit();
}

Status YapperBridge::InspectSchema() {
  if (conn_->backend() == db::Backend::kSqlite) {
    // SQLite's CURRENT_TIMESTAMP form (UTC), which Yapper's own rows use.
    created_at_sql_ = "$3";
    created_at_space_ = true;
    return Status::Ok();
  }
  // Yapper's column is TIMESTAMP without time zone: the UTC wall time, not
  // the session's. Tables from older bridges have TIMESTAMPTZ.
  CAIRN_ASSIGN_OR_RETURN(auto type,
                         conn_->Query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                      "WHERE attrelid = 'events'::regclass "
                                      "AND attname = 'created_at' AND NOT attisdropped"));
  const std::string t = type.empty() ? "" : type[0][0].AsText();
  if (t == "timestamp without time zone") {
    created_at_sql_ = "CAST($3 AS TIMESTAMPTZ) AT TIME ZONE 'UTC'";
  } else if (t == "timestamp with time zone") {
    created_at_sql_ = "CAST($3 AS TIMESTAMPTZ)";
  } else {
    created_at_sql_ = "$3";
  }
  return Status::Ok();
}

StatusOr<int64_t> YapperBridge::Position() {
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn_->Query("SELECT position FROM cairn_yapper_bridge WHERE source = $1", {Value(key_)}));
  if (rows.empty()) return NotFoundError("no bridge position for source '" + key_ + "'");
  return rows[0][0].AsInt();
}

StatusOr<const v1::Event*> YapperBridge::StartedOf(ledger::EventReader& reader,
                                                   const std::string& stream, const v1::Event& e) {
  auto remember = [&](const v1::Event& started) {
    if (started_.size() >= kStartedCache) started_.clear();
    v1::Event& slot = started_[StartedKey(started)];
    slot = started;
    return &slot;
  };
  if (e.body_case() == v1::Event::kMigrationStarted) return remember(e);
  if (auto it = started_.find(StartedKey(e)); it != started_.end()) return &it->second;
  if (e.run_id().empty()) return nullptr;
  // Not seen in this process (a restart, or a long batched migration): read
  // back through the ledger, kLookBack events at a time, to the run's start.
  const std::string id = ledger::BodyMigrationId(e);
  for (int64_t hi = e.position() - 1; hi >= 1;) {
    const int64_t lo = std::max<int64_t>(1, hi - kLookBack + 1);
    std::vector<v1::Event> chunk;
    for (int64_t from = lo; from <= hi;) {
      CAIRN_ASSIGN_OR_RETURN(
          auto got, ledger::ReadAll(reader, stream, {.from = from, .limit = hi - from + 1}));
      if (got.empty() || got.front().position() != from) {
        return InternalError("the event source has no event at position " + std::to_string(from));
      }
      for (auto& g : got) {
        if (g.position() <= hi) chunk.push_back(std::move(g));
      }
      from = chunk.back().position() + 1;
    }
    for (auto it = chunk.rbegin(); it != chunk.rend(); ++it) {
      if (it->run_id() != e.run_id()) continue;
      if (it->body_case() == v1::Event::kMigrationStarted && ledger::BodyMigrationId(*it) == id)
        return remember(*it);
      if (it->body_case() == v1::Event::kRunStarted) return nullptr;
    }
    hi = lo - 1;
  }
  return nullptr;
}

Status YapperBridge::Mismatch(const std::string& table, const Status& error, std::string_view sql,
                              const db::Params& params, int64_t position,
                              const std::string& label) {
  const std::string where = "ledger position " + std::to_string(position) + " (" + label + ")";
  if (!IsRefusal(error)) return error.Annotate(where);
  std::string what = error.message();
  if (conn_->backend() == db::Backend::kSqlite &&
      what.find("FOREIGN KEY constraint failed") != std::string::npos) {
    // SQLite does not say which foreign key: run the statement again with
    // the check deferred (the transaction is rolled back afterwards) and ask
    // foreign_key_check which one the new rows break.
    auto fk = [&]() -> StatusOr<std::string> {
      CAIRN_RETURN_IF_ERROR(conn_->Execute("PRAGMA defer_foreign_keys = ON").status());
      CAIRN_RETURN_IF_ERROR(conn_->Execute(sql, params).status());
      CAIRN_ASSIGN_OR_RETURN(
          auto bad,
          conn_->Query("SELECT fkid FROM pragma_foreign_key_check($1) LIMIT 1", {Value(table)}));
      if (bad.empty()) return std::string();
      CAIRN_ASSIGN_OR_RETURN(auto cols, conn_->Query("SELECT \"table\", \"from\", \"to\" FROM "
                                                     "pragma_foreign_key_list($1) WHERE id = $2 "
                                                     "ORDER BY seq",
                                                     {Value(table), bad[0][0]}));
      std::string from, to, parent;
      for (const auto& c : cols) {
        parent = c[0].AsText();
        from += (from.empty() ? "" : ", ") + c[1].AsText();
        if (!c[2].is_null()) to += (to.empty() ? "" : ", ") + c[2].AsText();
      }
      return "foreign key " + table + " (" + from + ") REFERENCES " + parent +
             (to.empty() ? "" : " (" + to + ")");
    }();
    if (fk.ok() && !fk->empty()) what += ": " + *fk;
  }
  return FailedPreconditionError(std::string(kMismatch) + "table " + table +
                                 " refused the row for " + where + ": " + what +
                                 "; nothing was written, and restarting will not help")
      .WithKind(kYapperMismatch);
}

Status YapperBridge::Emit(const YapperEvent& y, int64_t position) {
  const std::string insert_event = "INSERT INTO events (label, data, created_at) VALUES ($1, $2, " +
                                   created_at_sql_ + ") RETURNING id";
  std::string created_at = y.created_at;
  if (created_at_space_ && created_at.size() > 11 && created_at.back() == 'Z') {
    created_at[10] = ' ';  // "2026-11-21T10:15:30.000000Z" -> "2026-11-21 10:15:30.000000"
    created_at.pop_back();
  }
  const db::Params event_params{Value(y.label), Value(y.data), Value(created_at)};
  auto ids = conn_->Query(insert_event, event_params);
  if (!ids.ok())
    return Mismatch("events", ids.status(), insert_event, event_params, position, y.label);
  if (ids->empty()) return InternalError("INSERT INTO events returned no id");
  const db::Params fan_out_params{Value(y.label), Value((*ids)[0][0].AsInt())};
  auto fanned = conn_->Execute(kFanOut, fan_out_params);
  if (!fanned.ok())
    return Mismatch("unread", fanned.status(), kFanOut, fan_out_params, position, y.label);
  return Status::Ok();
}

StatusOr<int64_t> YapperBridge::Run(ledger::EventReader& reader, const std::string& stream,
                                    const BridgeOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(int64_t position, Position());
  int64_t written = 0;
  while (!(options.stop && options.stop->load())) {
    CAIRN_ASSIGN_OR_RETURN(auto events,
                           reader.Follow(stream, position, options.batch, options.wait));
    if (events.empty()) {
      if (options.once) break;
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(auto tx, conn_->Begin());
    int64_t expected = position + 1;
    for (const auto& e : events) {
      if (e.position() != expected++) {
        return InternalError("the event source skipped from position " +
                             std::to_string(expected - 1) + " to " + std::to_string(e.position()));
      }
      if (!IsMapped(e)) continue;
      CAIRN_ASSIGN_OR_RETURN(const v1::Event* started, StartedOf(reader, stream, e));
      if (auto y = MapToYapper(e, started)) {
        CAIRN_RETURN_IF_ERROR(Emit(*y, e.position()));
        ++written;
      }
    }
    const int64_t last = events.back().position();
    CAIRN_ASSIGN_OR_RETURN(
        int64_t moved,
        conn_->Execute("UPDATE cairn_yapper_bridge SET position = $1 WHERE source = $2 "
                       "AND position = $3",
                       {Value(last), Value(key_), Value(position)}));
    if (moved != 1) {
      return AbortedError("another bridge advanced source '" + key_ + "' past position " +
                          std::to_string(position) + "; stopping");
    }
    CAIRN_RETURN_IF_ERROR(tx->Commit());
    position = last;
  }
  return written;
}

}  // namespace cairn::cli
