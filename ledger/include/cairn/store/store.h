// LedgerStore: the append-only, hash-chained event ledger of one database.
// The storage format is specified in docs/ledger-format.md.
//
//   auto store = ledger::LedgerStore::For(*conn);    // conn must outlive store
//   CAIRN_RETURN_IF_ERROR(store->EnsureSchema());
//   CAIRN_ASSIGN_OR_RETURN(auto tx, conn->Begin());
//   ... change the database through conn ...
//   CAIRN_ASSIGN_OR_RETURN(auto appended, store->Append(*tx, event));  // in tx
//   CAIRN_RETURN_IF_ERROR(tx->Commit());   // the change and the event, or neither
//
// The writes that must happen inside a transaction (Append, AppendAt,
// Import, CheckHead) take it as their first argument, as libpqxx's
// statements run through a transaction object: the open transaction is the
// capability to write, not a state the store checks for. Passing one that is
// no longer open is kFailedPrecondition; one of another connection than the
// store's, kInvalidArgument.
//
// Thread safety: a LedgerStore is used by one thread at a time, like its
// Connection. Any number of processes may append to one database at once:
// positions stay gapless and in commit order.
#ifndef CAIRN_STORE_STORE_H_
#define CAIRN_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/v1/events.pb.h"

namespace cairn::ledger {

// The last event of a stream: position 0 and 32 zero bytes for an empty one.
struct Head {
  int64_t position = 0;
  std::string hash;  // 32 raw bytes
};

struct AppendResult {
  int64_t position = 0;
  std::string hash;        // 32 raw bytes
  bool duplicate = false;  // the event_id was already stored with identical content
};

// The outcome of checking a stream's chain.
struct VerifyReport {
  bool ok = true;
  int64_t events_checked = 0;
  Head head;                       // the last event that passed every check
  int64_t first_bad_position = 0;  // 0 when ok
  // The fault's name, one of those listed in docs/ledger-format.md, "Fault
  // names" ("gap", "broken link", "hash mismatch", "record mismatch",
  // "snapshot ahead", "snapshot mismatch", "truncated", "anchor mismatch");
  // empty when ok.
  std::string fault;
  std::string problem;  // a sentence, e.g. "hash mismatch: ..."; empty when ok
};

// One cairn_ledger row exactly as stored (docs/ledger-format.md, "Tables").
struct StoredRecord {
  std::string stream;
  int64_t position = 0;
  std::string event_id;
  std::string event_type;
  int64_t recorded_at = 0;  // microseconds since the Unix epoch, UTC
  std::string record;       // the record bytes as stored, never re-encoded
  std::string prev_hash;    // 32 raw bytes
  std::string hash;         // 32 raw bytes
};

// The name of an event's body case as stored in the event_type column,
// e.g. "migration_committed"; empty when no body is set.
std::string EventTypeName(const v1::Event& event);

class LedgerStore {
 public:
  // Returns the store for `conn`'s backend. `conn` must outlive the store,
  // and appends on `conn` must all go through this one store (it remembers
  // the stream head within a transaction).
  static std::unique_ptr<LedgerStore> For(db::Connection& conn);

  virtual ~LedgerStore() = default;

  // Creates the ledger tables and their append-only triggers if they are
  // missing. Idempotent; safe when several processes call it at once. Runs in
  // its own transaction unless the connection already has one open.
  Status EnsureSchema();

  // Whether the ledger tables exist. Read operations on a database without
  // them see empty streams; they never create tables.
  StatusOr<bool> Exists();

  // Appends `event` to the stream named by event.stream(), inside `tx` (a
  // transaction on this store's connection); the event commits or rolls
  // back with it. Assigns position and prev_hash; fills event_id and
  // recorded_at if unset.
  // An event_id already stored with identical content (every field but
  // position, prev_hash and hash) returns the stored position with
  // duplicate = true; with different content, kAlreadyExists.
  StatusOr<AppendResult> Append(db::Transaction& tx, v1::Event event);

  // The runner's fast path: appends `events`, in order, right after
  // `expected`, the head the caller already knows (from its replay or its own
  // last append), with ONE statement that also takes the stream's append lock
  // (and sends NOTIFY on PostgreSQL when enabled). Fills event_id and
  // recorded_at if unset; there is no idempotency lookup, so events that may
  // be retried go through Append. Inside `tx`, as Append. If the stream's
  // head is no longer `expected` (another writer appended first) the insert
  // collides with that writer's position: kAborted, nothing appended, and on
  // PostgreSQL `tx` is aborted too. Returns the new head.
  StatusOr<Head> AppendAt(db::Transaction& tx, const Head& expected, std::vector<v1::Event> events);

  StatusOr<Head> GetHead(std::string_view stream);

  // Takes the stream's append lock for the rest of `tx` and checks that the
  // stream's head is `expected_position` (0: empty stream); otherwise
  // kAborted: another writer got there first. This is how a runner makes
  // sure its plan still holds before it changes anything.
  Status CheckHead(db::Transaction& tx, std::string_view stream, int64_t expected_position);

  // Calls `fn` with the events of `stream` from `from_position` (inclusive)
  // in position order, at most `limit` of them (0: no limit), until fn
  // returns false. Each event carries its hash.
  Status Read(std::string_view stream, int64_t from_position, int64_t limit,
              const std::function<bool(const v1::Event&)>& fn);

  // Like Read, but passes the rows as stored, without decoding the record
  // (store_records.cc). For exports and forwarding, which must carry the
  // exact bytes that were hashed.
  Status ReadRecords(std::string_view stream, int64_t from_position, int64_t limit,
                     const std::function<bool(const StoredRecord&)>& fn);

  // Appends a record that was hashed elsewhere (another database's ledger),
  // keeping its position and hashes (store_records.cc), inside `tx`, as
  // Append. The record is checked on arrival, as
  // docs/ledger-format.md "Verification" checks a stored row:
  //   - its event_id already stored at the same stream, position and hash:
  //     returns that position with duplicate = true (idempotent re-import);
  //     stored anywhere else: kAlreadyExists;
  //   - its position must be the stream's head + 1: a lower one is another
  //     history for that position (kAlreadyExists), a higher one a gap
  //     (kFailedPrecondition);
  //   - its prev_hash must equal the head's hash, its hash must recompute,
  //     and the record must decode and agree with the columns: otherwise
  //     kDataLoss. Every error message names the stream and position.
  StatusOr<AppendResult> Import(db::Transaction& tx, const StoredRecord& record);

  // Stream names in the database, sorted.
  StatusOr<std::vector<std::string>> ListStreams();

  // Recomputes the whole chain of `stream` (docs/ledger-format.md,
  // "Verification") and reports the first bad position. An error Status
  // means the check could not run; a broken chain is a report with ok=false.
  StatusOr<VerifyReport> Verify(std::string_view stream);

  db::Connection& connection() { return conn_; }

  // Whether Append on PostgreSQL also sends NOTIFY cairn_ledger (the wake-up
  // of `cairn serve`; default on). A transaction that will be PREPAREd must
  // turn it off: PostgreSQL cannot prepare one that notified. Its events
  // then wake listeners when a later transaction of the stream commits.
  void set_notify(bool notify) { notify_ = notify; }

 protected:
  explicit LedgerStore(db::Connection& conn) : conn_(conn) {}

  // Creates the tables and triggers inside the open transaction; safe when
  // another process creates them at the same time.
  virtual Status CreateSchema() = 0;
  // Serializes appenders of `stream` until the current transaction ends.
  virtual Status LockStream(std::string_view stream) = 0;
  virtual std::string_view TableExistsQuery() const = 0;
  // One row of cairn_ledger, sealed (hashed) and ready to insert.
  struct SealedRow {
    int64_t position = 0;
    std::string event_id, event_type, record, prev_hash, hash;
    int64_t recorded_at = 0;
  };
  // Gives `event` the position after `head` and its prev_hash, and returns
  // its row: the serialized record and its hash (docs/ledger-format.md).
  static StatusOr<SealedRow> Seal(v1::Event& event, const Head& head);
  // Inserts `rows` of `stream` in one statement that first takes the
  // stream's append lock (and notifies listeners when `notify`).
  virtual Status InsertLocked(std::string_view stream, const std::vector<SealedRow>& rows,
                              bool notify) = 0;
  // "INSERT INTO cairn_ledger (...)" + `source_prefix` + "(VALUES ($k, ...),
  // ...) AS v(...)" (or plain "VALUES ..." when `source_prefix` is empty),
  // with placeholders numbered from `first_param`; appends the values to
  // `params` in the same order.
  static std::string MultiRowInsert(std::string_view stream, const std::vector<SealedRow>& rows,
                                    int first_param, db::Params* params,
                                    std::string_view source_prefix = {});
  // The advisory-lock key of `stream` on PostgreSQL (first 4 bytes of its SHA-256).
  static int32_t StreamLockKey(std::string_view stream);

  db::Connection& conn_;

 private:
  // OK when `tx` is open and on this store's connection; otherwise the
  // error Append and the others return, naming `what` ("ledger append").
  Status CheckTransaction(db::Transaction& tx, std::string_view what);
  // Takes the stream lock once per transaction and returns the head, which
  // is then kept up to date by Append without re-reading it.
  StatusOr<Head> LockedHead(std::string_view stream);

  bool notify_ = true;
  bool schema_known_ = false;  // the tables exist (they are never dropped by cairn)
  // The head of `locked_stream_` as of the last append in transaction
  // `locked_serial_` (0: none), whose lock this connection holds.
  uint64_t locked_serial_ = 0;
  std::string locked_stream_;
  Head locked_head_;
};

}  // namespace cairn::ledger

#endif  // CAIRN_STORE_STORE_H_
