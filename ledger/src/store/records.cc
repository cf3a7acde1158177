#include "cairn/store/records.h"

#include <algorithm>

namespace cairn::ledger {
namespace {
constexpr int64_t kPage = 1000;
}  // namespace

Status ReadRecords(LedgerStore& store, const RecordRange& range,
                   const std::function<bool(const StoredRecord&)>& fn) {
  CAIRN_ASSIGN_OR_RETURN(bool exists, store.Exists());
  if (!exists) return Status::Ok();
  db::Connection& conn = store.connection();
  int64_t next = range.backwards ? (range.from_position > 0 ? range.from_position : INT64_MAX)
                                 : std::max<int64_t>(range.from_position, 1);
  int64_t remaining = range.limit > 0 ? range.limit : INT64_MAX;
  const char* sql = range.backwards
                        ? "SELECT position, event_id, event_type, recorded_at, record, prev_hash, "
                          "hash FROM cairn_ledger WHERE stream = $1 AND position <= $2 "
                          "ORDER BY position DESC LIMIT $3"
                        : "SELECT position, event_id, event_type, recorded_at, record, prev_hash, "
                          "hash FROM cairn_ledger WHERE stream = $1 AND position >= $2 "
                          "ORDER BY position LIMIT $3";
  bool stop = false;
  while (!stop && remaining > 0 && next >= 1) {
    const int64_t page = std::min(remaining, kPage);
    int64_t got = 0;
    CAIRN_RETURN_IF_ERROR(conn.ForEachRow(
        sql, {db::Value(range.stream), db::Value(next), db::Value(page)}, [&](const db::Row& row) {
          ++got;
          StoredRecord r;
          r.stream = range.stream;
          r.position = row[0].AsInt();
          r.event_id = row[1].AsText();
          r.event_type = row[2].AsText();
          r.recorded_at = row[3].AsInt();
          r.record = row[4].AsBytes();
          r.prev_hash = row[5].AsBytes();
          r.hash = row[6].AsBytes();
          next = range.backwards ? r.position - 1 : r.position + 1;
          if (!fn(r)) stop = true;
          return !stop;
        }));
    if (got < page) break;
    remaining -= got;
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> ListStreamNames(LedgerStore& store) {
  std::vector<std::string> out;
  CAIRN_ASSIGN_OR_RETURN(bool exists, store.Exists());
  if (!exists) return out;
  db::Connection& conn = store.connection();
  // A loose index scan: each step is one lookup on the (stream, position) key.
  CAIRN_ASSIGN_OR_RETURN(auto first,
                         conn.Query("SELECT stream FROM cairn_ledger ORDER BY stream LIMIT 1"));
  if (first.empty()) return out;
  out.push_back(first[0][0].AsText());
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(auto rows,
                           conn.Query("SELECT stream FROM cairn_ledger WHERE stream > $1 "
                                      "ORDER BY stream LIMIT 1",
                                      {db::Value(out.back())}));
    if (rows.empty()) break;
    out.push_back(rows[0][0].AsText());
  }
  return out;
}

}  // namespace cairn::ledger
