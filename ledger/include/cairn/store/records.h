// Raw access to stored ledger rows (docs/ledger-format.md, "Tables"): the
// exact record bytes and hashes, for readers that hand records on without
// re-encoding them (the Ledger service, exports, independent verifiers).
//
//   ledger::RecordRange range{.stream = "campus", .from_position = 1};
//   CAIRN_RETURN_IF_ERROR(ledger::ReadRecords(*store, range, [&](const StoredRecord& r) {
//     send(r);
//     return true;  // false stops
//   }));
//
// Reads go through the store's connection; a database without the ledger
// tables reads as empty.
#ifndef CAIRN_STORE_RECORDS_H_
#define CAIRN_STORE_RECORDS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/store/store.h"

namespace cairn::ledger {

// StoredRecord (one row of cairn_ledger, as stored) is declared in store.h.

struct RecordRange {
  std::string stream;
  // First position read, inclusive. Forwards: 0 or 1 is the first record.
  // Backwards: 0 is the head.
  int64_t from_position = 0;
  bool backwards = false;
  int64_t limit = 0;  // rows at most; 0: no limit
};

// Calls `fn` for the rows of `range` in position order (descending when
// backwards) until it returns false. At most one page of rows is held in
// memory at a time.
Status ReadRecords(LedgerStore& store, const RecordRange& range,
                   const std::function<bool(const StoredRecord&)>& fn);

// Stream names in the database, sorted. Costs one index lookup per stream
// (not a scan of the table), so it can be polled.
StatusOr<std::vector<std::string>> ListStreamNames(LedgerStore& store);

}  // namespace cairn::ledger

#endif  // CAIRN_STORE_RECORDS_H_
