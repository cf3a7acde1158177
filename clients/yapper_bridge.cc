#include "yapper_bridge.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "cairn/ledger/export.h"
#include "cairn/ledger/hash.h"

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

}  // namespace

LedgerEventSource::LedgerEventSource(db::Connection& conn, std::string stream,
                                     std::chrono::milliseconds poll)
    : store_(ledger::LedgerStore::For(conn)), stream_(std::move(stream)), poll_(poll) {}

StatusOr<std::vector<v1::Event>> LedgerEventSource::Next(int64_t after, int max,
                                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<v1::Event> out;
  while (true) {
    CAIRN_RETURN_IF_ERROR(store_->Read(stream_, after + 1, max, [&](const v1::Event& e) {
      out.push_back(e);
      return true;
    }));
    if (!out.empty() || std::chrono::steady_clock::now() >= deadline) return out;
    std::this_thread::sleep_for(poll_);
  }
}

StatusOr<std::optional<v1::Event>> LedgerEventSource::At(int64_t position) {
  std::optional<v1::Event> out;
  CAIRN_RETURN_IF_ERROR(store_->Read(stream_, position, 1, [&](const v1::Event& e) {
    if (e.position() == position) out = e;
    return false;
  }));
  return out;
}

void YapperMapper::Remember(const v1::Event& e) {
  if (e.body_case() != v1::Event::kMigrationStarted) return;
  // Only the latest start of each migration in a run matters; forget the
  // rest so memory stays bounded over a long history.
  if (started_.size() > 1024) started_.clear();
  started_[StartedKey(e)] = e;
}

std::optional<YapperEvent> YapperMapper::Map(const v1::Event& e) {
  std::string label;
  json data;
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  switch (e.body_case()) {
    case v1::Event::kMigrationStarted:
      label = "migration.started";
      direction = e.migration_started().direction();
      Remember(e);
      break;
    case v1::Event::kBatchApplied: {
      const auto& b = e.batch_applied();
      label = "migration.batch_applied";
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
  auto it = started_.find(StartedKey(e));
  const v1::Event* started = it == started_.end() ? nullptr : &it->second;
  if (started) {
    const auto& ms = started->migration_started();
    data["description"] = ms.description();
    data["storage_type"] = ledger::StorageTypeName(ms.storage_type());
    data["started_at"] = Time(started->recorded_at());
    if (direction == v1::DIRECTION_UNSPECIFIED) direction = ms.direction();
  } else {
    data["description"] = nullptr;
    data["storage_type"] = nullptr;
    data["started_at"] = nullptr;
  }
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
  std::unique_ptr<YapperBridge> bridge(new YapperBridge(std::move(conn), source_key));
  CAIRN_RETURN_IF_ERROR(bridge->EnsureSchema());
  return bridge;
}

Status YapperBridge::EnsureSchema() {
  const bool pg = conn_->backend() == db::Backend::kPostgres;
  const char* schema = pg ? R"sql(
CREATE TABLE IF NOT EXISTS events (id BIGSERIAL PRIMARY KEY, label TEXT NOT NULL, data TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, label TEXT NOT NULL,
  PRIMARY KEY (client_id, label));
CREATE TABLE IF NOT EXISTS unread (client_id TEXT NOT NULL, label TEXT NOT NULL,
  event_id BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS cairn_yapper_bridge (source TEXT PRIMARY KEY, position BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
)sql"
                          : R"sql(
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL,
  data TEXT, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, label TEXT NOT NULL,
  PRIMARY KEY (client_id, label));
CREATE TABLE IF NOT EXISTS unread (client_id TEXT NOT NULL, label TEXT NOT NULL,
  event_id INTEGER NOT NULL);
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

StatusOr<int64_t> YapperBridge::Position() {
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn_->Query("SELECT position FROM cairn_yapper_bridge WHERE source = $1", {Value(key_)}));
  if (rows.empty()) return NotFoundError("no bridge position for source '" + key_ + "'");
  return rows[0][0].AsInt();
}

Status YapperBridge::Emit(const YapperEvent& y) {
  const bool pg = conn_->backend() == db::Backend::kPostgres;
  CAIRN_ASSIGN_OR_RETURN(
      auto ids,
      conn_->Query(pg ? "INSERT INTO events (label, data, created_at) VALUES ($1, $2, "
                        "$3::timestamptz) RETURNING id"
                      : "INSERT INTO events (label, data, created_at) VALUES ($1, $2, $3) "
                        "RETURNING id",
                   {Value(y.label), Value(y.data), Value(y.created_at)}));
  if (ids.empty()) return InternalError("INSERT INTO events returned no id");
  // Fan-out: one unread row per client subscribed to the label or to "*".
  return conn_
      ->Execute(
          "INSERT INTO unread (client_id, label, event_id) "
          "SELECT DISTINCT client_id, $1, CAST($2 AS BIGINT) FROM subscriptions "
          "WHERE label = $1 OR label = '*'",
          {Value(y.label), Value(ids[0][0].AsInt())})
      .status();
}

StatusOr<int64_t> YapperBridge::Run(EventSource& source, const BridgeOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(int64_t position, Position());
  if (position > 0) {
    // The event at the stored position may be the migration_started whose
    // outcome comes next: remember it for the outcome's description.
    CAIRN_ASSIGN_OR_RETURN(auto before, source.At(position));
    if (before) mapper_.Remember(*before);
  }
  int64_t written = 0;
  while (!(options.stop && options.stop->load())) {
    CAIRN_ASSIGN_OR_RETURN(auto events, source.Next(position, options.batch, options.wait));
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
      if (auto y = mapper_.Map(e)) {
        CAIRN_RETURN_IF_ERROR(Emit(*y).Annotate("ledger position " + std::to_string(e.position())));
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
