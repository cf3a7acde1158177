// EventReader: the one way to read a ledger's events, wherever they are kept.
// Three implementations, one per place a ledger can be read from:
//
//   DatabaseEventReader  the target's database, through its LedgerStore
//                        (cairn/store/database_reader.h)
//   ServerEventReader    a `cairn serve`, through the gRPC client
//                        (clients/client/server_reader.h)
//   BundleEventReader    a signed verification bundle, offline
//                        (cairn/export/bundle_reader.h)
//
// Every reader of events (the report, the Yapper bridge, export, history)
// takes an EventReader& and works the same on all three:
//
//   ledger::DatabaseEventReader reader(*store, url.redacted);
//   CAIRN_RETURN_IF_ERROR(reader.Read("campus", {.from = 1}, [&](const v1::Event& e) {
//     Show(e);
//     return true;  // false stops
//   }));
//   CAIRN_ASSIGN_OR_RETURN(auto next, reader.Follow("campus", last, 100, 1s));
//   CAIRN_ASSIGN_OR_RETURN(ledger::VerifyReport chain, reader.Verify("campus"));
//
// The contract, which tests/clients/event_reader_test.cc checks for all three
// on the same ledger (docs/ledger-format.md, "Reading events"):
//   - Events come in ascending position order, each decoded with its
//     `hash` set. Reading does not check the chain (Verify does): a row
//     deleted from a database reads as a gap, which Verify names. A server
//     whose pages skip a position is kDataLoss naming both positions.
//   - A stream the source does not hold reads as empty (a database without
//     ledger tables, a stream before its first event); only a reader that
//     can tell a name is wrong (a bundle holds a fixed set) says kNotFound.
//   - An error means the stream could not be read to its end; events already
//     delivered stand.
//   - Verify checks the chain as the source holds it (docs/ledger-format.md,
//     "Verification"): a broken chain is a report with ok = false and the
//     first bad position, the same position from every reader; an error
//     Status means the check could not run.
//
// Thread safety: one thread at a time per reader.
#ifndef CAIRN_STORE_EVENT_READER_H_
#define CAIRN_STORE_EVENT_READER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/store/store.h"
#include "cairn/v1/events.pb.h"

namespace cairn::ledger {

// Which events of a stream Read delivers.
struct ReadRange {
  int64_t from = 1;   // first position, inclusive (0 and 1 both mean the first)
  int64_t limit = 0;  // at most this many events; 0: to the head
  // Leaves out events recorded before this time (microseconds since the
  // epoch, inclusive bound); 0: no bound. The positions delivered then need
  // not be consecutive. A server applies it before sending.
  int64_t recorded_since = 0;
  // Verifies the chain as it is read: each record's hash is recomputed from
  // the bytes the source holds, its prev_hash must be the hash of the record
  // before (of the genesis when reading from position 1) and positions must
  // follow each other. The first record that fails is kDataLoss naming the
  // stream, the position and the fault (docs/ledger-format.md, "Fault
  // names"); the events before it were delivered. Cannot be combined with
  // recorded_since (kInvalidArgument).
  bool verify = false;
};

// Checks records one after another as ReadRange::verify describes; for
// EventReader implementations.
class ChainCheck {
 public:
  // `from`: the position of the first record to come.
  ChainCheck(std::string stream, int64_t from);
  // The next record, as the source holds it: OK, or kDataLoss.
  Status Next(int64_t position, std::string_view prev_hash, std::string_view record,
              std::string_view hash);

 private:
  std::string stream_;
  int64_t expected_;
  std::string last_hash_;  // empty: not known (reading from the middle)
};

// Where ReadRecords delivers a stream's records as stored: the first three
// calls of an ExportWriter (cairn/export/export.h), which is one.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status BeginStream(std::string_view stream) = 0;
  // The stream's records in position order, with the exact bytes that were
  // hashed and every column filled.
  virtual Status Write(const StoredRecord& record) = 0;
  // `head` is the stream's last record (position 0 and 32 zero bytes if none).
  virtual Status EndStream(const Head& head) = 0;
};

using EventFn = std::function<bool(const v1::Event&)>;

class EventReader {
 public:
  virtual ~EventReader() = default;

  // Where the events come from, for a page header or an error line: a
  // redacted database URL, "grpc://host:port", "bundle PATH". Never a secret.
  virtual std::string Origin() const = 0;

  // Every stream the source holds, in the source's order: a database's by
  // name, a server's by target, then name (ListStreams), a bundle's as
  // written (by name, as exports write them).
  virtual StatusOr<std::vector<std::string>> Streams() = 0;

  // Calls `fn` with the events of `stream` in `range`, in position order,
  // until it returns false. Reads what is there now; never waits. With
  // range.verify, checks the chain as it reads.
  virtual Status Read(std::string_view stream, const ReadRange& range, const EventFn& fn) = 0;

  // Follows `stream`: up to `max` events with position > `after`, in
  // position order. Waits up to `timeout` for the first one and returns none
  // when it passes; a source that cannot grow (a bundle) returns at once.
  // Meant to be called again with the last position it returned: a server
  // reader keeps one subscription open across such calls.
  virtual StatusOr<std::vector<v1::Event>> Follow(std::string_view stream, int64_t after, int max,
                                                  std::chrono::milliseconds timeout) = 0;

  // Feeds every record of each of `streams` (empty: of every stream, in the
  // order of Streams()), from position 1 to the head the source had when the
  // stream began, into `sink`: BeginStream, Write per record, EndStream.
  // A stream named twice is kInvalidArgument. Returns the number of records.
  // This is what an export reads (ledger::ExportStreams).
  virtual StatusOr<int64_t> ReadRecords(const std::vector<std::string>& streams,
                                        RecordSink& sink) = 0;

  // Checks `stream`'s hash chain as the source holds it.
  virtual StatusOr<VerifyReport> Verify(std::string_view stream) = 0;
};

// Follow for a source that is read by polling: Read after `after` every
// `poll` until something comes or `timeout` passes. For readers without a
// wake-up of their own (DatabaseEventReader).
StatusOr<std::vector<v1::Event>> FollowByPolling(EventReader& reader, std::string_view stream,
                                                 int64_t after, int max,
                                                 std::chrono::milliseconds timeout,
                                                 std::chrono::milliseconds poll);

// Appends the events Read delivers to a vector: `reader.Read` with `range`.
StatusOr<std::vector<v1::Event>> ReadAll(EventReader& reader, std::string_view stream,
                                         const ReadRange& range);

}  // namespace cairn::ledger

#endif  // CAIRN_STORE_EVENT_READER_H_
