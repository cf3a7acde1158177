// DatabaseEventReader: the EventReader (cairn/store/event_reader.h) of a
// database's own ledger, read through its LedgerStore. Writes nothing: on a
// database without ledger tables every stream is empty.
//
//   auto store = ledger::LedgerStore::For(*conn);
//   ledger::DatabaseEventReader reader(*store, conn->url().redacted);
//   CAIRN_ASSIGN_OR_RETURN(auto events, reader.Follow("campus", 0, 100, 1s));
//
// Follow polls: it reads the stream every `poll` until something comes (a
// SQLite file has no wake-up; PostgreSQL's NOTIFY is `cairn serve`'s).
#ifndef CAIRN_STORE_DATABASE_READER_H_
#define CAIRN_STORE_DATABASE_READER_H_

#include <chrono>
#include <string>

#include "cairn/store/event_reader.h"
#include "cairn/store/store.h"

namespace cairn::ledger {

class DatabaseEventReader final : public EventReader {
 public:
  // `store` must outlive the reader. `origin`: the database URL, redacted.
  DatabaseEventReader(LedgerStore& store, std::string origin,
                      std::chrono::milliseconds poll = std::chrono::milliseconds(50))
      : store_(store), origin_(std::move(origin)), poll_(poll) {}

  std::string Origin() const override { return origin_; }
  StatusOr<std::vector<std::string>> Streams() override;
  Status Read(std::string_view stream, const ReadRange& range, const EventFn& fn) override;
  StatusOr<std::vector<v1::Event>> Follow(std::string_view stream, int64_t after, int max,
                                          std::chrono::milliseconds timeout) override;
  StatusOr<int64_t> ReadRecords(const std::vector<std::string>& streams, RecordSink& sink) override;
  StatusOr<VerifyReport> Verify(std::string_view stream) override;

 private:
  LedgerStore& store_;
  std::string origin_;
  std::chrono::milliseconds poll_;
};

}  // namespace cairn::ledger

#endif  // CAIRN_STORE_DATABASE_READER_H_
