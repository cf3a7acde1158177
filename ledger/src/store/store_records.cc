// LedgerStore operations on records as stored: raw reads (for exports and
// forwarding) and Import, the append of a record hashed by another ledger.
#include <algorithm>
#include <climits>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"

namespace cairn::ledger {
namespace {

using db::Bytes;
using db::Value;

constexpr int64_t kRecordPageSize = 2000;

std::string Where(const StoredRecord& r) {
  return "stream '" + r.stream + "' position " + std::to_string(r.position);
}

}  // namespace

Status LedgerStore::ReadRecords(std::string_view stream, int64_t from_position, int64_t limit,
                                const std::function<bool(const StoredRecord&)>& fn) {
  CAIRN_ASSIGN_OR_RETURN(bool exists, Exists());
  if (!exists) return Status::Ok();
  int64_t next = std::max<int64_t>(from_position, 1);
  int64_t remaining = limit > 0 ? limit : INT64_MAX;
  bool stop = false;
  StoredRecord rec;  // reused: its strings keep their capacity between rows
  while (!stop && remaining > 0) {
    const int64_t page = std::min(remaining, kRecordPageSize);
    int64_t got = 0;
    CAIRN_RETURN_IF_ERROR(conn_.ForEachRow(
        "SELECT stream, position, event_id, event_type, recorded_at, record, prev_hash, hash "
        "FROM cairn_ledger WHERE stream = $1 AND position >= $2 ORDER BY position LIMIT $3",
        {Value(stream), Value(next), Value(page)}, [&](const db::Row& row) {
          ++got;
          rec.stream = row[0].AsText();
          rec.position = row[1].AsInt();
          rec.event_id = row[2].AsText();
          rec.event_type = row[3].AsText();
          rec.recorded_at = row[4].AsInt();
          rec.record = row[5].AsBytes();
          rec.prev_hash = row[6].AsBytes();
          rec.hash = row[7].AsBytes();
          next = rec.position + 1;
          if (!fn(rec)) {
            stop = true;
            return false;
          }
          return true;
        }));
    if (got < page) break;
    remaining -= got;
  }
  return Status::Ok();
}

StatusOr<AppendResult> LedgerStore::Import(db::Transaction& tx, const StoredRecord& r) {
  CAIRN_RETURN_IF_ERROR(CheckTransaction(tx, "ledger import"));
  if (r.stream.empty()) return InvalidArgumentError("imported record has no stream");
  if (r.position < 1) return InvalidArgumentError(Where(r) + ": position must be at least 1");
  if (r.prev_hash.size() != kHashSize || r.hash.size() != kHashSize)
    return DataLossError(Where(r) + ": prev_hash and hash must be 32 bytes");

  CAIRN_ASSIGN_OR_RETURN(Head head, LockedHead(r.stream));

  CAIRN_ASSIGN_OR_RETURN(
      auto existing,
      conn_.Query("SELECT stream, position, hash FROM cairn_ledger WHERE event_id = $1",
                  {Value(r.event_id)}));
  if (!existing.empty()) {
    if (existing[0][0].AsText() == r.stream && existing[0][1].AsInt() == r.position &&
        existing[0][2].AsBytes() == r.hash) {
      return AppendResult{r.position, r.hash, true};
    }
    return AlreadyExistsError(Where(r) + ": event_id " + r.event_id +
                              " is already stored as stream '" + existing[0][0].AsText() +
                              "' position " + std::to_string(existing[0][1].AsInt()));
  }
  if (r.position <= head.position) {
    return AlreadyExistsError(Where(r) +
                              ": the stream already holds a different event at this position "
                              "(another history)");
  }
  if (r.position != head.position + 1) {
    return FailedPreconditionError(Where(r) + ": gap: the stream's head is at position " +
                                   std::to_string(head.position));
  }
  if (r.prev_hash != head.hash) {
    return DataLossError(Where(r) +
                         ": broken link: prev_hash does not equal the hash of position " +
                         std::to_string(head.position));
  }
  if (RecordHash(r.stream, r.position, r.prev_hash, r.record) != r.hash) {
    return DataLossError(Where(r) + ": hash mismatch: the hash does not match the record");
  }
  v1::Event e;
  if (!e.ParseFromString(r.record) || e.stream() != r.stream || e.position() != r.position ||
      e.event_id() != r.event_id || e.prev_hash() != r.prev_hash || !e.hash().empty() ||
      EventTypeName(e) != r.event_type || TimestampToMicros(e.recorded_at()) != r.recorded_at) {
    return DataLossError(Where(r) + ": record mismatch: the record disagrees with its columns");
  }
  // On PostgreSQL an imported record wakes `cairn serve`'s subscribers as an
  // appended one does (pg_notify inside the same statement, so no extra round
  // trip; PostgreSQL folds repeated notifications of one transaction).
  static constexpr const char* kInsert =
      "INSERT INTO cairn_ledger (stream, position, event_id, event_type, recorded_at, "
      "record, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  static constexpr const char* kInsertAndNotify =
      "WITH ins AS (INSERT INTO cairn_ledger (stream, position, event_id, event_type, "
      "recorded_at, record, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "RETURNING 1) SELECT pg_notify('cairn_ledger', $1) FROM (SELECT count(*) FROM ins) c";
  const bool notify = notify_ && conn_.backend() == db::Backend::kPostgres;
  CAIRN_RETURN_IF_ERROR(
      conn_
          .Execute(notify ? kInsertAndNotify : kInsert,
                   {Value(r.stream), Value(r.position), Value(r.event_id), Value(r.event_type),
                    Value(r.recorded_at), Value(Bytes{r.record}), Value(Bytes{r.prev_hash}),
                    Value(Bytes{r.hash})})
          .status()
          .Annotate("cannot import into the ledger"));
  locked_head_ = Head{r.position, r.hash};
  return AppendResult{r.position, r.hash, false};
}

}  // namespace cairn::ledger
