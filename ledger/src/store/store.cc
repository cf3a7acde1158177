#include "cairn/store/store.h"

#include <google/protobuf/util/message_differencer.h>

#include "cairn/base/hash.h"

namespace cairn::ledger {
namespace {

using db::Bytes;
using db::Value;

constexpr int64_t kPageSize = 2000;

constexpr const char* kSelectColumns =
    "SELECT stream, position, event_id, event_type, recorded_at, record, prev_hash, hash "
    "FROM cairn_ledger ";

// Content compared for idempotency: everything but the chain fields.
v1::Event Content(v1::Event e) {
  e.clear_position();
  e.clear_prev_hash();
  e.clear_hash();
  return e;
}

class SqliteLedgerStore final : public LedgerStore {
 public:
  explicit SqliteLedgerStore(db::Connection& conn) : LedgerStore(conn) {}

 protected:
  Status CreateSchema() override {
    static constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cairn_ledger (
  stream      TEXT    NOT NULL,
  position    INTEGER NOT NULL CHECK (position > 0),
  event_id    TEXT    NOT NULL UNIQUE,
  event_type  TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  record      BLOB    NOT NULL,
  prev_hash   BLOB    NOT NULL,
  hash        BLOB    NOT NULL,
  PRIMARY KEY (stream, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cairn_ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO cairn_ledger_meta (key, value) VALUES ('format', '1');
CREATE TRIGGER IF NOT EXISTS cairn_ledger_no_update BEFORE UPDATE ON cairn_ledger
BEGIN SELECT RAISE(ABORT, 'cairn: UPDATE on cairn_ledger is not allowed: the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS cairn_ledger_no_delete BEFORE DELETE ON cairn_ledger
BEGIN SELECT RAISE(ABORT, 'cairn: DELETE on cairn_ledger is not allowed: the ledger is append-only'); END;
-- INSERT OR REPLACE deletes the row it replaces without firing DELETE
-- triggers (unless recursive_triggers is on), so refuse such inserts up front.
CREATE TRIGGER IF NOT EXISTS cairn_ledger_no_replace BEFORE INSERT ON cairn_ledger
WHEN EXISTS (SELECT 1 FROM cairn_ledger WHERE (stream = NEW.stream AND position = NEW.position)
                                           OR event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'cairn: replacing a row of cairn_ledger is not allowed: the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS cairn_ledger_meta_no_replace BEFORE INSERT ON cairn_ledger_meta
WHEN EXISTS (SELECT 1 FROM cairn_ledger_meta WHERE key = NEW.key AND value <> NEW.value)
BEGIN SELECT RAISE(ABORT, 'cairn: replacing a row of cairn_ledger_meta is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS cairn_ledger_meta_no_update BEFORE UPDATE ON cairn_ledger_meta
BEGIN SELECT RAISE(ABORT, 'cairn: UPDATE on cairn_ledger_meta is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS cairn_ledger_meta_no_delete BEFORE DELETE ON cairn_ledger_meta
BEGIN SELECT RAISE(ABORT, 'cairn: DELETE on cairn_ledger_meta is not allowed'); END;
)sql";
    CAIRN_RETURN_IF_ERROR(
        conn_.ExecuteScript(kSchema, nullptr, nullptr).Annotate("cannot create the ledger tables"));
    // The target's identity (docs/ledger-format.md, "Target identity"). The
    // write lock is held, so the check cannot race.
    return conn_
        .Execute(
            "INSERT INTO cairn_ledger_meta (key, value) SELECT 'target_id', $1 "
            "WHERE NOT EXISTS (SELECT 1 FROM cairn_ledger_meta WHERE key = 'target_id')",
            {Value(NewUuid())})
        .status()
        .Annotate("cannot record the target id");
  }

  Status LockStream(std::string_view) override {
    // BEGIN IMMEDIATE already holds the database's write lock.
    return Status::Ok();
  }
  Status InsertLocked(std::string_view stream, const std::vector<SealedRow>& rows,
                      bool /*notify*/) override {
    db::Params params;
    return conn_.Execute(MultiRowInsert(stream, rows, 1, &params), params).status();
  }
  std::string_view TableExistsQuery() const override {
    return "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'cairn_ledger'";
  }
};

class PostgresLedgerStore final : public LedgerStore {
 public:
  explicit PostgresLedgerStore(db::Connection& conn) : LedgerStore(conn) {}

 protected:
  Status CreateSchema() override {
    // One creator at a time; the others find the tables made.
    CAIRN_RETURN_IF_ERROR(conn_.Execute("SELECT pg_advisory_xact_lock(1667328370, 0)").status());
    // Look in the catalog itself: to_regclass (Exists) answers from the
    // session's catalog cache, which still holds the "no such table" it
    // cached above and is not refreshed by taking an advisory lock, so it
    // would miss tables that a concurrent creator committed meanwhile.
    CAIRN_ASSIGN_OR_RETURN(auto found,
                           conn_.Query("SELECT count(*) FROM pg_catalog.pg_class c "
                                       "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                       "WHERE c.relname = 'cairn_ledger' "
                                       "AND n.nspname = current_schema()"));
    const bool exists = !found.empty() && found[0][0].AsInt() > 0;
    if (!exists) {
      static constexpr const char* kSchema = R"sql(
CREATE TABLE cairn_ledger (
  stream      TEXT   NOT NULL,
  position    BIGINT NOT NULL CHECK (position > 0),
  event_id    TEXT   NOT NULL UNIQUE,
  event_type  TEXT   NOT NULL,
  recorded_at BIGINT NOT NULL,
  record      BYTEA  NOT NULL,
  prev_hash   BYTEA  NOT NULL,
  hash        BYTEA  NOT NULL,
  PRIMARY KEY (stream, position)
);
CREATE TABLE cairn_ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO cairn_ledger_meta (key, value) VALUES ('format', '1');
CREATE OR REPLACE FUNCTION cairn_ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'cairn: % on % is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER cairn_ledger_no_change BEFORE UPDATE OR DELETE ON cairn_ledger
  FOR EACH ROW EXECUTE FUNCTION cairn_ledger_reject_change();
CREATE TRIGGER cairn_ledger_no_truncate BEFORE TRUNCATE ON cairn_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION cairn_ledger_reject_change();
CREATE TRIGGER cairn_ledger_meta_no_change BEFORE UPDATE OR DELETE ON cairn_ledger_meta
  FOR EACH ROW EXECUTE FUNCTION cairn_ledger_reject_change();
CREATE TRIGGER cairn_ledger_meta_no_truncate BEFORE TRUNCATE ON cairn_ledger_meta
  FOR EACH STATEMENT EXECUTE FUNCTION cairn_ledger_reject_change();
)sql";
      CAIRN_RETURN_IF_ERROR(conn_.ExecuteScript(kSchema, nullptr, nullptr)
                                .Annotate("cannot create the ledger tables"));
      // The target's identity (docs/ledger-format.md, "Target identity").
      CAIRN_RETURN_IF_ERROR(
          conn_
              .Execute("INSERT INTO cairn_ledger_meta (key, value) VALUES ('target_id', $1)",
                       {Value(NewUuid())})
              .status()
              .Annotate("cannot record the target id"));
    }
    return Status::Ok();
  }

  Status LockStream(std::string_view stream) override {
    return conn_
        .Execute("SELECT pg_advisory_xact_lock(1667328370, $1::int4)",
                 {Value(static_cast<int64_t>(StreamLockKey(stream)))})
        .status()
        .Annotate("cannot lock the ledger stream");
  }
  std::string_view TableExistsQuery() const override {
    return "SELECT CASE WHEN to_regclass('cairn_ledger') IS NULL THEN 0 ELSE 1 END";
  }
  Status InsertLocked(std::string_view stream, const std::vector<SealedRow>& rows,
                      bool notify) override {
    // One round trip: the lock CTE is joined into the INSERT's source, so it
    // is held before the first row goes in; the NOTIFY is sent only if this
    // transaction commits.
    db::Params params{Value(static_cast<int64_t>(StreamLockKey(stream)))};
    std::string sql =
        "WITH lock AS (SELECT pg_advisory_xact_lock(1667328370, $1::int4) IS NULL AS held), "
        "ins AS (" +
        MultiRowInsert(stream, rows, 2, &params, " SELECT v.* FROM lock, ") + " RETURNING 1) ";
    sql += notify ? "SELECT pg_notify('cairn_ledger', $2) FROM (SELECT count(*) FROM ins) c"
                  : "SELECT count(*) FROM ins";
    return conn_.Query(sql, params).status();
  }
};

}  // namespace

std::string LedgerStore::MultiRowInsert(std::string_view stream, const std::vector<SealedRow>& rows,
                                        int first_param, db::Params* params,
                                        std::string_view source_prefix) {
  const bool select = !source_prefix.empty();
  std::string sql =
      "INSERT INTO cairn_ledger (stream, position, event_id, event_type, recorded_at, record, "
      "prev_hash, hash)";
  sql += select ? source_prefix : std::string_view(" ");
  sql += select ? "(VALUES " : "VALUES ";
  int n = first_param;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SealedRow& r = rows[i];
    sql += i == 0 ? "(" : ", (";
    // PostgreSQL types a VALUES list from its first row; cast that one.
    static constexpr const char* kCasts[] = {"::text",   "::bigint", "::text",  "::text",
                                             "::bigint", "::bytea",  "::bytea", "::bytea"};
    for (int c = 0; c < 8; ++c) {
      if (c > 0) sql += ", ";
      sql += "$" + std::to_string(n++);
      if (select && i == 0) sql += kCasts[c];
    }
    sql += ")";
    params->insert(params->end(),
                   {Value(stream), Value(r.position), Value(r.event_id), Value(r.event_type),
                    Value(r.recorded_at), Value(Bytes{r.record}), Value(Bytes{r.prev_hash}),
                    Value(Bytes{r.hash})});
  }
  if (select)
    sql += ") AS v(stream, position, event_id, event_type, recorded_at, record, prev_hash, hash)";
  return sql;
}

int32_t LedgerStore::StreamLockKey(std::string_view stream) {
  std::string digest = Sha256(stream);
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint8_t>(digest[0])) << 24) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(digest[1])) << 16) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(digest[2])) << 8) |
                              static_cast<uint32_t>(static_cast<uint8_t>(digest[3])));
}

StatusOr<LedgerStore::SealedRow> LedgerStore::Seal(v1::Event& event, const Head& head) {
  SealedRow r;
  r.position = head.position + 1;
  event.set_position(r.position);
  event.set_prev_hash(head.hash);
  event.clear_hash();
  if (!event.SerializeToString(&r.record)) return InternalError("cannot serialize event");
  r.hash = RecordHash(event.stream(), r.position, head.hash, r.record);
  r.prev_hash = head.hash;
  r.event_id = event.event_id();
  r.event_type = EventTypeName(event);
  r.recorded_at = TimestampToMicros(event.recorded_at());
  return r;
}

Status LedgerStore::CheckTransaction(db::Transaction& tx, std::string_view what) {
  if (&tx.connection() != &conn_)
    return InvalidArgumentError(std::string(what) +
                                ": the transaction is on another connection than the store's");
  if (!tx.open()) return FailedPreconditionError(std::string(what) + " needs an open transaction");
  return Status::Ok();
}

StatusOr<Head> LedgerStore::AppendAt(db::Transaction& tx, const Head& expected,
                                     std::vector<v1::Event> events) {
  CAIRN_RETURN_IF_ERROR(CheckTransaction(tx, "ledger append"));
  if (events.empty()) return expected;
  const std::string stream = events.front().stream();
  if (stream.empty()) return InvalidArgumentError("event has no stream");
  std::vector<SealedRow> rows;
  rows.reserve(events.size());
  Head head = expected;
  for (v1::Event& event : events) {
    if (event.stream() != stream) return InvalidArgumentError("AppendAt spans two streams");
    if (event.body_case() == v1::Event::BODY_NOT_SET)
      return InvalidArgumentError("event has no body");
    if (event.event_id().empty()) event.set_event_id(NewUuid());
    if (!event.has_recorded_at()) MicrosToTimestamp(NowMicros(), event.mutable_recorded_at());
    CAIRN_ASSIGN_OR_RETURN(SealedRow r, Seal(event, head));
    head = Head{r.position, r.hash};
    rows.push_back(std::move(r));
  }
  Status s = InsertLocked(stream, rows, notify_);
  if (!s.ok()) {
    // A position already taken is another writer's append (the primary key
    // on stream and position); a repeated caller-chosen event_id stays
    // kAlreadyExists.
    if (s.code() == StatusCode::kAlreadyExists && s.message().find("event_id") == std::string::npos)
      return AbortedError("another writer appended to stream '" + stream +
                          "' (its head is past position " + std::to_string(expected.position) +
                          ", which this run expected)");
    return s.Annotate("cannot append to the ledger");
  }
  // Keep Append's per-transaction head in step, should it be used next.
  if (locked_serial_ == conn_.transaction_serial() && locked_stream_ == stream) locked_head_ = head;
  return head;
}

std::string EventTypeName(const v1::Event& event) {
  if (event.body_case() == v1::Event::BODY_NOT_SET) return "";
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(event.body_case());
  return field ? field->name() : "";
}

std::unique_ptr<LedgerStore> LedgerStore::For(db::Connection& conn) {
  if (conn.backend() == db::Backend::kSqlite) return std::make_unique<SqliteLedgerStore>(conn);
  return std::make_unique<PostgresLedgerStore>(conn);
}

Status LedgerStore::EnsureSchema() {
  CAIRN_ASSIGN_OR_RETURN(bool exists, Exists());
  if (exists) return Status::Ok();
  std::unique_ptr<db::Transaction> tx;
  if (!conn_.in_transaction()) {
    CAIRN_ASSIGN_OR_RETURN(tx, conn_.Begin());
  }
  CAIRN_RETURN_IF_ERROR(CreateSchema());
  if (tx) {
    CAIRN_RETURN_IF_ERROR(tx->Commit());
    schema_known_ = true;
  }
  return Status::Ok();
}

StatusOr<bool> LedgerStore::Exists() {
  if (schema_known_) return true;
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn_.Query(TableExistsQuery()));
  // Remember only a committed "yes": tables made in a transaction that rolls
  // back would vanish.
  schema_known_ = !rows.empty() && rows[0][0].AsInt() > 0 && !conn_.in_transaction();
  return !rows.empty() && rows[0][0].AsInt() > 0;
}

StatusOr<Head> LedgerStore::LockedHead(std::string_view stream) {
  if (locked_serial_ == conn_.transaction_serial() && locked_stream_ == stream) return locked_head_;
  CAIRN_RETURN_IF_ERROR(LockStream(stream));
  CAIRN_ASSIGN_OR_RETURN(Head head, GetHead(stream));
  locked_serial_ = conn_.transaction_serial();
  locked_stream_ = std::string(stream);
  locked_head_ = head;
  return head;
}

StatusOr<Head> LedgerStore::GetHead(std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(bool exists, Exists());
  Head head{0, GenesisHash()};
  if (!exists) return head;
  CAIRN_ASSIGN_OR_RETURN(auto rows,
                         conn_.Query("SELECT position, hash FROM cairn_ledger WHERE stream = $1 "
                                     "ORDER BY position DESC LIMIT 1",
                                     {Value(stream)}));
  if (!rows.empty()) {
    head.position = rows[0][0].AsInt();
    head.hash = rows[0][1].AsBytes();
  }
  return head;
}

Status LedgerStore::CheckHead(db::Transaction& tx, std::string_view stream,
                              int64_t expected_position) {
  CAIRN_RETURN_IF_ERROR(CheckTransaction(tx, "CheckHead"));
  CAIRN_ASSIGN_OR_RETURN(bool exists, Exists());
  Head head{0, GenesisHash()};
  if (exists) {
    CAIRN_ASSIGN_OR_RETURN(head, LockedHead(stream));
  }
  if (head.position != expected_position) {
    return AbortedError("another writer appended to stream '" + std::string(stream) +
                        "' (head is at position " + std::to_string(head.position) + ", expected " +
                        std::to_string(expected_position) + ")");
  }
  return Status::Ok();
}

StatusOr<AppendResult> LedgerStore::Append(db::Transaction& tx, v1::Event event) {
  CAIRN_RETURN_IF_ERROR(CheckTransaction(tx, "ledger append"));
  if (event.stream().empty()) return InvalidArgumentError("event has no stream");
  if (event.body_case() == v1::Event::BODY_NOT_SET)
    return InvalidArgumentError("event has no body");
  // An id generated here cannot be in the ledger yet: no lookup needed.
  const bool caller_id = !event.event_id().empty();
  if (!caller_id) event.set_event_id(NewUuid());
  if (!event.has_recorded_at()) MicrosToTimestamp(NowMicros(), event.mutable_recorded_at());
  const std::string& stream = event.stream();

  CAIRN_ASSIGN_OR_RETURN(Head head, LockedHead(stream));

  // Idempotent retry?
  std::vector<db::Row> existing;
  if (caller_id) {
    CAIRN_ASSIGN_OR_RETURN(
        existing, conn_.Query("SELECT position, record, hash FROM cairn_ledger WHERE event_id = $1",
                              {Value(event.event_id())}));
  }
  if (!existing.empty()) {
    v1::Event stored;
    if (!stored.ParseFromString(existing[0][1].AsBytes()))
      return DataLossError("stored record for event " + event.event_id() + " does not decode");
    if (!google::protobuf::util::MessageDifferencer::Equals(Content(stored), Content(event))) {
      return AlreadyExistsError("event_id " + event.event_id() +
                                " is already in the ledger with different content");
    }
    return AppendResult{existing[0][0].AsInt(), existing[0][2].AsBytes(), true};
  }

  CAIRN_ASSIGN_OR_RETURN(SealedRow row, Seal(event, head));
  db::Params params;
  CAIRN_RETURN_IF_ERROR(conn_.Execute(MultiRowInsert(stream, {row}, 1, &params), params)
                            .status()
                            .Annotate("cannot append to the ledger"));
  if (notify_ && conn_.backend() == db::Backend::kPostgres) {
    // Wakes `cairn serve` (db::ChangeWatcher) when, and only if, this commits.
    CAIRN_RETURN_IF_ERROR(conn_.Execute("SELECT pg_notify('cairn_ledger', $1)", {Value(stream)})
                              .status()
                              .Annotate("cannot notify ledger listeners"));
  }
  locked_head_ = Head{row.position, row.hash};
  return AppendResult{row.position, row.hash, false};
}

Status LedgerStore::Read(std::string_view stream, int64_t from_position, int64_t limit,
                         const std::function<bool(const v1::Event&)>& fn) {
  CAIRN_ASSIGN_OR_RETURN(bool exists, Exists());
  if (!exists) return Status::Ok();
  int64_t next = std::max<int64_t>(from_position, 1);
  int64_t remaining = limit > 0 ? limit : INT64_MAX;
  bool stop = false;
  Status decode_error;
  while (!stop && remaining > 0) {
    int64_t page = std::min(remaining, kPageSize);
    int64_t got = 0;
    CAIRN_RETURN_IF_ERROR(conn_.ForEachRow(
        "SELECT position, record, hash FROM cairn_ledger WHERE stream = $1 AND position >= $2 "
        "ORDER BY position LIMIT $3",
        {Value(stream), Value(next), Value(page)}, [&](const db::Row& row) {
          ++got;
          v1::Event e;
          if (!e.ParseFromString(row[1].AsBytes())) {
            decode_error = DataLossError("ledger record at position " +
                                         std::to_string(row[0].AsInt()) + " does not decode");
            stop = true;
            return false;
          }
          e.set_hash(row[2].AsBytes());
          next = row[0].AsInt() + 1;
          if (!fn(e)) {
            stop = true;
            return false;
          }
          return true;
        }));
    CAIRN_RETURN_IF_ERROR(decode_error);
    if (got < page) break;
    remaining -= got;
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> LedgerStore::ListStreams() {
  std::vector<std::string> out;
  CAIRN_ASSIGN_OR_RETURN(bool exists, Exists());
  if (!exists) return out;
  CAIRN_ASSIGN_OR_RETURN(auto rows,
                         conn_.Query("SELECT DISTINCT stream FROM cairn_ledger ORDER BY stream"));
  for (const auto& r : rows) out.push_back(r[0].AsText());
  return out;
}

StatusOr<VerifyReport> LedgerStore::Verify(std::string_view stream) {
  VerifyReport report;
  report.head = Head{0, GenesisHash()};
  CAIRN_ASSIGN_OR_RETURN(bool exists, Exists());
  if (!exists) return report;
  int64_t after = 0;  // rows are read by position > after, so gaps are seen
  bool done = false;
  // Every problem starts with its fault's name (docs/ledger-format.md).
  auto fail = [&](int64_t position, std::string fault, std::string_view detail) {
    report.ok = false;
    report.first_bad_position = position;
    report.problem = fault + ": " + std::string(detail);
    report.fault = std::move(fault);
    done = true;
    return false;
  };
  while (!done) {
    int64_t got = 0;
    CAIRN_RETURN_IF_ERROR(conn_.ForEachRow(
        std::string(kSelectColumns) +
            "WHERE stream = $1 AND position > $2 ORDER BY position LIMIT $3",
        {Value(stream), Value(after), Value(kPageSize)}, [&](const db::Row& row) {
          ++got;
          const int64_t position = row[1].AsInt();
          const int64_t expected = report.head.position + 1;
          after = position;
          if (position != expected) {
            return fail(expected, "gap",
                        "expected position " + std::to_string(expected) + ", found " +
                            std::to_string(position));
          }
          const std::string& record = row[5].AsBytes();
          const std::string& prev = row[6].AsBytes();
          const std::string& hash = row[7].AsBytes();
          if (prev != report.head.hash) {
            return fail(position, "broken link",
                        "prev_hash does not equal the hash of position " +
                            std::to_string(report.head.position));
          }
          if (RecordHash(row[0].AsText(), position, prev, record) != hash) {
            return fail(position, "hash mismatch", "the stored hash does not match the record");
          }
          v1::Event e;
          if (!e.ParseFromString(record))
            return fail(position, "record mismatch", "does not decode");
          if (e.stream() != row[0].AsText() || e.position() != position ||
              e.event_id() != row[2].AsText() || e.prev_hash() != prev || !e.hash().empty() ||
              EventTypeName(e) != row[3].AsText() ||
              TimestampToMicros(e.recorded_at()) != row[4].AsInt()) {
            return fail(position, "record mismatch", "columns disagree with the record");
          }
          ++report.events_checked;
          report.head = Head{position, hash};
          return true;
        }));
    if (got < kPageSize) break;
  }
  return report;
}

}  // namespace cairn::ledger
